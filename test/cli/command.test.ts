/** A command's handler must read every option it declares: one declared and never read is a defect the first run finds. */
import test from 'ava';
import yargs from 'yargs';
import { defineCommand } from '../../src/cli/command.js';
import { EXIT, Interrupt, Output, type Io } from '../../src/cli/io.js';

const io: Io = { out: new Output(), signal: new Interrupt().signal };

function run(read: 'both' | 'one', args: string[]): Promise<number> {
  const command = defineCommand({
    command: 'try <thing>',
    describe: 'a command for the test',
    positionals: (y) => y.positional('thing', { type: 'string', demandOption: true }),
    options: { 'first-option': { type: 'string', default: 'a' }, second: { type: 'number', default: 2 } } as const,
    run: async (options) => {
      const { thing, firstOption } = options;
      if (read === 'both') void options.second;
      return thing.length + firstOption.length;
    },
  });
  let code: number = EXIT.internal;
  return command.register(yargs(args), io, (c) => (code = c)).fail((message, error) => { throw error ?? new Error(message); }).parseAsync().then(() => code);
}

test('a handler that reads every declared option runs', async (t) => {
  t.is(await run('both', ['try', 'abc']), 4);
});

test('a handler that never reads a declared option fails, naming it', async (t) => {
  await t.throwsAsync(run('one', ['try', 'abc']), { message: 'try: option(s) declared but never read: --second' });
});

test('an option is known by its kebab-case name, its camelCase name and its aliases; others are not', (t) => {
  const command = defineCommand({
    command: 'try',
    describe: '',
    positionals: (y) => y,
    options: { 'first-option': { type: 'string', alias: 'f' } } as const,
    run: async ({ firstOption }) => firstOption?.length ?? 0,
  });
  for (const name of ['first-option', 'firstOption', 'f', 'help', 'version']) t.true(command.knows(name), name);
  t.false(command.knows('second'));
});
