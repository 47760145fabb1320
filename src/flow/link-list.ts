/**
 * A doubly linked list through links its members own: append, removal and
 * moving to the end in constant time, nothing allocated per operation. The
 * tracker keeps its lifecycles in two: by last packet, and those that look
 * over.
 */
export class Link<T> {
  prev: Link<T> | undefined = undefined;
  next: Link<T> | undefined = undefined;
  linked = false;

  constructor(readonly owner: T) {}

  /** Out of any list, for a recycled owner. */
  reset(): void {
    this.prev = this.next = undefined;
    this.linked = false;
  }
}

export class LinkList<T> {
  head: Link<T> | undefined = undefined;
  tail: Link<T> | undefined = undefined;

  push(link: Link<T>): void {
    link.prev = this.tail;
    link.next = undefined;
    link.linked = true;
    if (this.tail) this.tail.next = link;
    else this.head = link;
    this.tail = link;
  }

  remove(link: Link<T>): void {
    if (!link.linked) return;
    if (link.prev) link.prev.next = link.next;
    else this.head = link.next;
    if (link.next) link.next.prev = link.prev;
    else this.tail = link.prev;
    link.reset();
  }

  /** To the end, where the most recent stand. */
  moveToEnd(link: Link<T>): void {
    if (link === this.tail) return;
    this.remove(link);
    this.push(link);
  }

  clear(): void {
    this.head = this.tail = undefined;
  }
}
