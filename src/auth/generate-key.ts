/**
 * New API keys: `ehgw_` + 32 random bytes in base64url. The prefix makes a leaked key easy to
 * recognise (secret scanners, log greps); randomness is passed in so tests can pin the output.
 */

import { randomBytes } from 'node:crypto';

export const API_KEY_PREFIX = 'ehgw_';

export function generateApiKey(random: (size: number) => Buffer = randomBytes): string {
  return API_KEY_PREFIX + random(32).toString('base64url');
}
