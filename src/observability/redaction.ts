/**
 * Keeps secrets out of logs. Two layers, because neither alone is enough:
 *  - pino `redact` paths censor the places we know hold a secret (the `Authorization` and
 *    `X-API-Key` headers, cookies, configuration fields) before serialisation, cheaply;
 *  - `redactSecrets(text)` scrubs anything that *looks* like a secret wherever it ended up: SAS
 *    tokens in error messages, `SharedAccessKey=` in a connection string dumped with the config,
 *    a bearer key quoted back by a library. It runs once per log line on the serialised string
 *    (pino's `streamWrite` hook), so it sees messages, errors and nested objects alike, in one
 *    regex pass, with no walk over the log object.
 */

import type { LoggerOptions } from 'pino';

export const REDACTED = '[REDACTED]';

/*
 * One alternation, one pass. Each branch captures the harmless prefix (kept) and lets the
 * secret run up to a delimiter that cannot occur inside it: whitespace, quotes, a JSON escape
 * backslash, or a connection-string `;`. SAS tokens and signatures are URL-encoded, so `,` and
 * quotes never occur in them.
 */
const SECRET_PATTERN = new RegExp(
  [
    // SAS token: `SharedAccessSignature sr=...&sig=...&se=...&skn=...` (the whole token goes).
    String.raw`(SharedAccessSignature\s+)[^\s"'\\;,]+`,
    // A signature in a query string or token outside the SAS prefix: `sig=...` up to `&`.
    String.raw`((?:^|[?&\s"'])sig=)[^&\s"'\\;,]+`,
    // Connection-string keys: `SharedAccessKey=...;`.
    String.raw`(SharedAccessKey\s*=\s*)[^;\s"'\\,]+`,
    // Bearer and Basic credentials, up to a delimiter. The auth-params of a WWW-Authenticate
    // challenge (`Bearer realm="gateway"`) are not credentials and stay readable.
    String.raw`(\b(?:Bearer|Basic)\s+)(?!(?:realm|error|error_description|scope|charset)=)[^\s"'\\;,]+`,
    // `x-api-key: ...`, `apiKey=...`, `"api_key":"..."` in free text.
    String.raw`(\b(?:x-api-key|api[-_]?key)["']?\s*[:=]\s*["']?)[^\s"'\\;,&]+`,
    // Our own API keys carry a recognisable prefix (src/auth/generate-key.ts): `ehgw_` + base64url.
    String.raw`(\behgw_)[A-Za-z0-9_-]{8,}`,
  ].join('|'),
  'gi',
);

const CAPTURE_GROUPS = 6;

// Cheap gate: most log lines contain none of these words, and a plain `test` is much cheaper
// than a replace with a callback over the whole line.
const TRIGGER = /sharedaccess|sig=|bearer|basic|api[-_]?key|ehgw_/i;

/** Returns `text` with every secret-looking value replaced by `[REDACTED]`; pure. */
export function redactSecrets(text: string): string {
  if (!TRIGGER.test(text)) return text;
  return text.replace(SECRET_PATTERN, (match: string, ...groups: unknown[]) => {
    // The first defined capture group is the prefix to keep; groups after the captures are
    // offset and input, which are never strings of the capture kind we look for.
    for (let i = 0; i < CAPTURE_GROUPS; i += 1) {
      const prefix = groups[i];
      if (typeof prefix === 'string') return prefix + REDACTED;
    }
    return match;
  });
}

/**
 * Paths pino censors before serialising. Request headers as pino-http logs them, response
 * cookies, and configuration fields that hold keys if a config object is logged whole.
 */
export const REDACT_PATHS: readonly string[] = Object.freeze([
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'config.eventHubs.connectionString',
  'config.connectionString',
  'connectionString',
  '*.connectionString',
  '*.sasKey',
  '*.sharedAccessKey',
  '*.apiKey',
  '*.token',
]);

/**
 * Options to spread into `pino({...})`. If the logger has its own `hooks.streamWrite`, compose:
 * `streamWrite: (s) => redactSecrets(own(s))`.
 */
export function redactionLoggerOptions(): Pick<LoggerOptions, 'redact' | 'hooks'> {
  return {
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    hooks: { streamWrite: redactSecrets },
  };
}
