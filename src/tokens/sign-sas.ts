/**
 * Shared Access Signature signing exactly as the service and the SDK do it (reference note §2.4):
 * `SharedAccessSignature sr=E(uri)&sig=E(base64(HMAC-SHA256(utf8(key), E(uri) + "\n" + se)))&se=<se>&skn=E(name)`
 * with E = encodeURIComponent, the key's UTF-8 bytes as written (not base64-decoded), and the
 * fields in the order sr, sig, se, skn. Pure: the expiry is passed in, there is no clock here.
 */

import { createHmac } from 'node:crypto';

export interface SignSasInput {
  /** The resource the token covers, e.g. `sb://ns.servicebus.windows.net/hub/publishers/sensor-1`. */
  readonly resourceUri: string;
  /** Name of the SAS policy (`skn`). */
  readonly keyName: string;
  /** The policy's key, used as UTF-8 bytes exactly as written. */
  readonly key: string;
  /** Expiry in Unix seconds (`se`). */
  readonly expiresAt: number;
}

export function signSas(input: SignSasInput): string {
  const { resourceUri, keyName, key, expiresAt } = input;
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= 0)
    throw new RangeError('expiresAt must be positive integer seconds');
  if (keyName === '' || key === '') throw new RangeError('keyName and key must not be empty');
  const sr = encodeURIComponent(resourceUri);
  const se = String(expiresAt);
  const signature = createHmac('sha256', Buffer.from(key, 'utf8'))
    .update(`${sr}\n${se}`, 'utf8')
    .digest('base64');
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(signature)}&se=${se}&skn=${encodeURIComponent(keyName)}`;
}
