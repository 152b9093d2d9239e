/**
 * JSON parsing that cannot be turned into prototype pollution. `JSON.parse` itself only creates
 * an own property named `__proto__`, but code that later merges or copies the result (a deep
 * merge, `Object.assign` into a template, a library applying defaults) can write through it into
 * `Object.prototype`. We refuse such bodies outright, like Fastify's secure-json-parse.
 *
 * Cost on the hot path: one `JSON.parse` plus one `indexOf` per suspicious word over the text;
 * the object walk only runs in the rare case the text contains one of them.
 */

export class UnsafeJsonError extends Error {
  constructor(readonly key: string) {
    super(`JSON object key "${key}" is not allowed`);
    this.name = 'UnsafeJsonError';
  }
}

// A JSON string can spell a key with escapes (`"\u005f_proto__"`), so the cheap scan looks for
// the tail too; anything that might be a forbidden key triggers the exact walk over the result.
const SUSPECT = ['__proto__', 'proto__', 'constructor', 'prototype'];

function hasForbiddenKey(value: unknown): string | undefined {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null) continue;
    if (Array.isArray(node)) {
      for (const item of node) stack.push(item);
      continue;
    }
    if (Object.prototype.hasOwnProperty.call(node, '__proto__')) return '__proto__';
    const record = node as Record<string, unknown>;
    const ctor = Object.prototype.hasOwnProperty.call(node, 'constructor') ? record.constructor : undefined;
    if (typeof ctor === 'object' && ctor !== null && Object.prototype.hasOwnProperty.call(ctor, 'prototype'))
      return 'constructor.prototype';
    for (const key of Object.keys(node)) stack.push(record[key]);
  }
  return undefined;
}

/**
 * `JSON.parse(text)`, throwing `SyntaxError` for malformed JSON (as `JSON.parse` does) and
 * `UnsafeJsonError` for objects with a `__proto__` key or a `constructor.prototype` path.
 */
export function parseJsonSafely(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null) return value;
  if (!SUSPECT.some((word) => text.includes(word))) return value;
  const key = hasForbiddenKey(value);
  if (key !== undefined) throw new UnsafeJsonError(key);
  return value;
}
