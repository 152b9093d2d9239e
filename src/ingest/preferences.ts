/**
 * The `Prefer` request header (RFC 7240) of `POST /v1/events/{type}`: `respond-async` (answer
 * 202 once buffered), `handling=lenient` / `handling=strict` (store the valid readings and report
 * the others, or all-or-nothing, the default), and `dry-run` (do everything but send). Parsed only
 * when the header is there, so a request without it costs one `undefined` check.
 *
 * Unknown preferences are ignored, as RFC 7240 asks; `Preference-Applied` echoes the ones honoured,
 * so a client can tell a dry run from a real send even through a gateway that does not know it.
 */

export interface IngestPreferences {
  readonly respondAsync: boolean;
  readonly lenient: boolean;
  readonly dryRun: boolean;
}

export const DEFAULT_PREFERENCES: IngestPreferences = Object.freeze({
  respondAsync: false,
  lenient: false,
  dryRun: false,
});

/** `respond-async, handling=lenient; foo=1` → the preferences this route knows. */
export function parsePreferences(prefer: string | readonly string[] | undefined): IngestPreferences {
  if (prefer === undefined) return DEFAULT_PREFERENCES;
  const text = typeof prefer === 'string' ? prefer : prefer.join(',');
  let respondAsync = false;
  let lenient = false;
  let dryRun = false;
  let handlingSeen = false;
  for (const item of text.split(',')) {
    // Parameters after ';' qualify a preference; none of ours takes any.
    const [token = '', value] = (item.split(';', 1)[0] ?? '').split('=', 2).map((part) => part.trim());
    const name = token.toLowerCase();
    if (name === 'respond-async') respondAsync = true;
    else if (name === 'dry-run') dryRun = true;
    else if (name === 'handling' && !handlingSeen) {
      // RFC 7240 §2: of a preference given twice, the first counts.
      handlingSeen = true;
      lenient = unquote(value ?? '').toLowerCase() === 'lenient';
    }
  }
  if (!respondAsync && !lenient && !dryRun) return DEFAULT_PREFERENCES;
  return { respondAsync, lenient, dryRun };
}

/** The `Preference-Applied` value for what was honoured, or undefined when nothing was. */
export function preferenceApplied(preferences: IngestPreferences, asyncApplied: boolean): string | undefined {
  const applied: string[] = [];
  if (asyncApplied) applied.push('respond-async');
  if (preferences.lenient) applied.push('handling=lenient');
  if (preferences.dryRun) applied.push('dry-run');
  return applied.length === 0 ? undefined : applied.join(', ');
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}
