/**
 * RFC 6901 JSON pointers: parsed once when an event type loads, then resolved per event with a
 * plain loop (no string work on the hot path).
 */

/** `/a/b~1c` → `['a', 'b/c']`; `''` (the whole document) → `[]`. Throws on a malformed pointer. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`JSON pointer must start with "/": ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The value at `path`, or undefined when any step is missing. Only own properties count. */
export function resolvePointer(document: unknown, path: readonly string[]): unknown {
  let current = document;
  for (const token of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, token)) return undefined;
    current = (current as Record<string, unknown>)[token];
  }
  return current;
}

/** A token as it appears in a pointer (the inverse of the unescaping above). */
export function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}
