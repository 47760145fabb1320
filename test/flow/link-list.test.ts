/** The tracker's two lists of lifecycles: order kept through appends, removals and moves to the end. */
import test from 'ava';
import { Link, LinkList } from '../../src/flow/link-list.js';

const owners = (list: LinkList<string>) => {
  const out: string[] = [];
  for (let l = list.head; l; l = l.next) out.push(l.owner);
  return out;
};

test('appends, removals from any place, moves to the end, and removing what is not linked', (t) => {
  const list = new LinkList<string>();
  const [a, b, c] = ['a', 'b', 'c'].map((x) => new Link(x)) as [Link<string>, Link<string>, Link<string>];
  list.push(a);
  list.push(b);
  list.push(c);
  t.deepEqual(owners(list), ['a', 'b', 'c']);
  list.moveToEnd(a);
  t.deepEqual(owners(list), ['b', 'c', 'a']);
  list.moveToEnd(a);
  t.deepEqual(owners(list), ['b', 'c', 'a'], 'already last');
  list.remove(c);
  t.deepEqual(owners(list), ['b', 'a']);
  t.false(c.linked);
  list.remove(c);
  t.deepEqual(owners(list), ['b', 'a'], 'a link not in the list changes nothing');
  list.remove(b);
  list.remove(a);
  t.is(list.head, undefined);
  t.is(list.tail, undefined);
});
