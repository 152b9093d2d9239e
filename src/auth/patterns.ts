/**
 * Name patterns for API-key grants (sensors, event types, publishers). Deliberately tiny: a
 * pattern is either `*` (any name), a prefix ending in `*` (`plant-a/*` matches every name that
 * starts with `plant-a/`), or an exact name. No globbing in the middle, no regular expressions,
 * so an operator can read a key file and know exactly what it grants.
 *
 * Names and prefixes are held to the safe set of `safe-name.ts`, and a prefix grant covers only
 * names in that set: `plant-a/*` never covers `plant-a/../plant-b/s1`, whatever the event type's
 * schema lets through.
 */

import { isSafeName, SAFE_NAME_RULE } from './safe-name';

export interface CompiledPatterns {
  readonly any: boolean;
  readonly exact: ReadonlySet<string>;
  readonly prefixes: readonly string[];
}

/** Pre-sorts patterns once so the per-event check is a set lookup plus a few `startsWith`. */
export function compilePatterns(patterns: readonly string[]): CompiledPatterns {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  let any = false;
  for (const pattern of patterns) {
    if (pattern === '*') any = true;
    else if (pattern.endsWith('*')) prefixes.push(pattern.slice(0, -1));
    else exact.add(pattern);
  }
  return Object.freeze({ any, exact, prefixes: Object.freeze(prefixes) });
}

export function matchesAny(compiled: CompiledPatterns, name: string): boolean {
  if (compiled.any || compiled.exact.has(name)) return true;
  // Exact names were checked when the key file was read; a prefix says nothing about the rest.
  for (const prefix of compiled.prefixes) if (name.startsWith(prefix)) return isSafeName(name);
  return false;
}

/** Why a pattern is unusable, or undefined; `*` is only allowed as the last character. */
export function patternProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return 'is empty';
  if (pattern.length > 256) return 'is longer than 256 characters';
  const star = pattern.indexOf('*');
  if (star !== -1 && star !== pattern.length - 1) return "may contain '*' only as its last character";
  if (/\s/u.test(pattern)) return 'contains whitespace';
  if (pattern === '*') return undefined;
  // A prefix must be the start of some safe name: `plant-a/*` yes, `plant-a/.*` or `a//*` no.
  const name = star === -1 ? pattern : `${pattern.slice(0, -1)}x`;
  if (!isSafeName(name)) return star === -1 ? SAFE_NAME_RULE : `cannot start a name that ${SAFE_NAME_RULE}`;
  return undefined;
}
