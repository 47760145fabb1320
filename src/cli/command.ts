/**
 * A command of the command line: its positionals, its options, and the
 * handler that takes them. The handler's argument type is the one yargs
 * infers from the declarations, so a value is used as what it was declared
 * to be, with no cast. Handlers destructure the options they read (an unused
 * name fails the build), and each run checks that the handler read every
 * option declared: an option declared but never read fails every test that
 * runs the command.
 */
import type { ArgumentsCamelCase, Argv, InferredOptionTypes, Options } from 'yargs';
import { single, STDIN_ARG, unmarked } from './common.js';
import type { Io } from './io.js';

export type OptionSet = Record<string, Options>;

/** What a handler receives: the positionals and options, by their camelCase names. */
export type ArgsOf<P, O extends OptionSet> = ArgumentsCamelCase<Omit<P, keyof O> & InferredOptionTypes<O>>;

export interface CommandSpec<P, O extends OptionSet> {
  /** yargs command string: name and positionals, as `diff <old> <new>`. */
  command: string;
  describe: string;
  positionals: (y: Argv) => Argv<P>;
  options: O;
  /** Runs the command; resolves with its exit code. */
  run: (args: ArgsOf<P, O>, io: Io) => Promise<number>;
}

export interface Command {
  readonly name: string;
  /** Is `--option` (or `-o`) one of this command's? */
  knows(option: string): boolean;
  /** The command's long option names, for "did you mean". */
  readonly optionNames: readonly string[];
  /** Does it take files (captures, analyses) as positionals, which may follow `--`? */
  readonly takesFiles: boolean;
  /** Adds the command to a yargs instance; `ran` receives its exit code. */
  register(y: Argv, io: Io, ran: (code: number) => void): Argv;
}

export function defineCommand<P, O extends OptionSet>(spec: CommandSpec<P, O>): Command {
  const name = spec.command.split(' ')[0]!;
  const positionals = [...spec.command.matchAll(/<([\w-]+)(?:\.\.)?>/g)].map((m) => m[1]!);
  const declared = [...Object.keys(spec.options), ...positionals];
  const known = new Set(['help', 'h', 'version', ...declared, ...declared.map(camelCase)]);
  for (const option of Object.values(spec.options)) for (const alias of [option.alias ?? []].flat()) known.add(alias);
  // An option's value `-` reaches its parser as typed (parsing carries a bare `-` under another name); an option that takes one
  // value, given twice, is a mistake rather than a list (options with a parser of their own check it there).
  const options = Object.fromEntries(
    Object.entries(spec.options).map(([key, option]) => {
      if (option.type === 'boolean') return [key, option];
      const parse = option.coerce ?? (option.array ? (value: unknown) => value : (value: unknown) => single(key, value));
      return [key, { ...option, coerce: (value: unknown) => parse(asTyped(value)) }];
    }),
  ) as O;
  return {
    name,
    knows: (option) => known.has(option),
    optionNames: ['help', 'version', ...Object.keys(spec.options)],
    takesFiles: positionals.length > 0,
    register: (y, io, ran) =>
      y.command(
        spec.command,
        spec.describe,
        (b) => spec.positionals(b).options(options),
        async (args) => {
          // Files given after `--` arrive marked (see OPERAND_MARK): the command sees them as typed.
          const given = args as Record<string, unknown>;
          for (const key of positionals) {
            const value = given[key];
            if (typeof value === 'string') given[key] = unmarked(value);
            else if (Array.isArray(value)) given[key] = value.map((v: unknown) => (typeof v === 'string' ? unmarked(v) : v));
          }
          const read = new Set<string | symbol>();
          const watched = new Proxy(args, {
            get(target, key, receiver) {
              read.add(key);
              return Reflect.get(target, key, receiver);
            },
          });
          const code = await spec.run(watched, io);
          const unread = declared.filter((key) => !read.has(key) && !read.has(camelCase(key)));
          if (unread.length > 0) throw new Error(`${name}: option(s) declared but never read: ${unread.map((key) => `--${key}`).join(', ')}`);
          ran(code);
        },
      ),
  };
}

/** `-` as the user typed it, in an option's value or values. */
const asTyped = (value: unknown): unknown => (Array.isArray(value) ? value.map(asTyped) : value === STDIN_ARG ? '-' : value);

const camelCase = (key: string): string => key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
