/**
 * Publisher names go into a URI path segment (`<hub>/publishers/<name>`) and into a signed `sr`,
 * so only a conservative set is accepted: 1–128 characters of ASCII letters, digits, `-`, `_`,
 * `.` and `~` (RFC 3986 "unreserved", which encodeURIComponent leaves alone), starting with a
 * letter or digit. That rules out `/`, whitespace, `%` (no percent-encoding tricks), `..` as a
 * whole segment, and anything whose encoded and decoded forms differ.
 */

export const PUBLISHER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;

/** Why `name` is not a valid publisher name, or undefined when it is. */
export function publisherNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'publisher must be a string';
  if (name.length === 0 || name.length > 128) return 'publisher must be 1-128 characters long';
  if (!PUBLISHER_NAME_PATTERN.test(name))
    return 'publisher may contain only ASCII letters, digits, "-", "_", "." and "~", and must start with a letter or digit';
  return undefined;
}
