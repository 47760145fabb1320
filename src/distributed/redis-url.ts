/** Redis URLs as the command line takes them, and as messages show them (without a password). */

/** The URL, when it is one of Redis (redis://, rediss:// for TLS); else undefined. */
export function checkRedisUrl(text: string): string | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'redis:' || url.protocol === 'rediss:' ? text : undefined;
  } catch {
    return undefined;
  }
}

/** A Redis URL without its password, for messages. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
