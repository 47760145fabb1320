/**
 * The range of each numeric analysis option, one definition for both doors:
 * the command line's flags (`--stuck-after`, `--jobs`, ...) and the library's
 * options (`stuckAfter`, ...) refuse the same values.
 */
export interface NumberLimit {
  /** What a good value is, for messages: "a number of seconds". */
  what: string;
  min: number;
  max: number;
  whole: boolean;
}

/** Largest record accepted: the pcapng block cap, so no length field can make the reader hold more. */
export const MAX_RECORD_LIMIT = 16 * 1024 * 1024;

export const LIMITS = {
  stuckAfter: { what: 'a number of seconds', min: 0, max: 1e9, whole: false },
  timeWait: { what: 'a number of seconds', min: 0, max: 1e9, whole: false },
  maxLive: { what: 'a whole number', min: 1, max: Number.MAX_SAFE_INTEGER, whole: true },
  maxRecord: { what: 'a whole number of bytes', min: 1, max: MAX_RECORD_LIMIT, whole: true },
  jobs: { what: 'a whole number', min: 1, max: 1024, whole: true },
  keepSegments: { what: 'a whole number', min: 0, max: Number.MAX_SAFE_INTEGER, whole: true },
  queueLimit: { what: 'a whole number', min: 1, max: Number.MAX_SAFE_INTEGER, whole: true },
} as const satisfies Record<string, NumberLimit>;

/** The library's options that are numbers (`jobs` is the command line's alone). */
const LIBRARY_NUMBERS = ['stuckAfter', 'timeWait', 'maxLive', 'maxRecord', 'keepSegments', 'queueLimit'] as const;
const LIBRARY_BOOLEANS = ['findings', 'live'] as const;
const LIBRARY_FUNCTIONS = ['onProgress', 'pause', 'onTransition', 'onFirstPacket', 'onTcpPacket', 'onRecord'] as const;

/** A value as a message shows it: strings quoted, other types named. */
function shownValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return Array.isArray(value) ? 'an array' : typeof value === 'function' ? 'a function' : `an ${typeof value}`;
}

/**
 * Throws a TypeError (not a number, a boolean, a function) or a RangeError
 * (out of the option's range, or not whole) naming the first bad option of
 * `options` and its value; undefined means the default.
 */
export function checkOptions(options: object): void {
  const given = options as Record<string, unknown>;
  for (const key of LIBRARY_NUMBERS) {
    const value = given[key];
    if (value === undefined) continue;
    const limit: NumberLimit = LIMITS[key];
    if (typeof value !== 'number') throw new TypeError(`${key}: ${shownValue(value)} is not ${limit.what}`);
    if (Number.isNaN(value) || (limit.whole && Number.isFinite(value) && !Number.isInteger(value))) throw new RangeError(`${key}: ${value} is not ${limit.what}`);
    if (!(value >= limit.min && value <= limit.max)) throw new RangeError(`${key}: ${value} is out of range (${limit.min} to ${limit.max})`);
  }
  for (const key of LIBRARY_BOOLEANS) {
    const value = given[key];
    if (value !== undefined && typeof value !== 'boolean') throw new TypeError(`${key}: ${shownValue(value)} is not true or false`);
  }
  for (const key of LIBRARY_FUNCTIONS) {
    const value = given[key];
    if (value !== undefined && typeof value !== 'function') throw new TypeError(`${key}: ${shownValue(value)} is not a function`);
  }
  const signal = given.signal;
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof (signal as { aborted?: unknown }).aborted !== 'boolean')) throw new TypeError(`signal: ${shownValue(signal)} is not an AbortSignal`);
}
