/**
 * The safe set of names a grant can cover by prefix (sensor ids, publisher names): 1-128 ASCII
 * characters in `/`-separated segments, each starting with a letter or digit and going on with
 * letters, digits, `.`, `_`, `~` and `-` (RFC 3986 "unreserved"). So no control characters, no
 * whitespace, no empty, `.` or `..` segment, no percent-encoding, and exactly one way to write a
 * name (plain ASCII has a single Unicode form), so `plant-a/../plant-b/s1` is not "under"
 * `plant-a/` and two spellings of one name cannot hold different grants.
 *
 * The shipped telemetry schema uses the same pattern for `sensor_id`
 * (schemas/telemetry.schema.json; a test keeps the two equal).
 */

/** The pattern as JSON Schema `pattern` text. Linear to match: `/` is never inside a segment. */
export const SAFE_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._~-]*(/[A-Za-z0-9][A-Za-z0-9._~-]*)*$';
export const SAFE_NAME_MAX_LENGTH = 128;

const SAFE_NAME = new RegExp(SAFE_NAME_PATTERN);

export function isSafeName(name: string): boolean {
  return name.length <= SAFE_NAME_MAX_LENGTH && SAFE_NAME.test(name);
}

export const SAFE_NAME_RULE =
  'must be 1-128 ASCII characters in /-separated segments, each starting with a letter or digit followed by letters, digits, ".", "_", "~" or "-"';
