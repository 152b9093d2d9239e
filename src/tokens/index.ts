/** Public surface of the SAS token service. */

export { signSas, type SignSasInput } from './sign-sas';
export { PUBLISHER_NAME_PATTERN, publisherNameProblem } from './publisher-name';
export { parseTokenRequest, type TokenRequest } from './token-request';
export {
  createTokenIssuer,
  DEFAULT_MAX_TOKEN_TTL_SECONDS,
  DEFAULT_TOKEN_TTL_SECONDS,
  type IssuedToken,
  type SasPolicyConfig,
  type TokenIssuer,
  type TokenIssuerOptions,
} from './token-issuer';
export { createTokensRouter, TOKENS_PATH, type TokensRouteOptions } from './tokens-route';
export { tokenIssuerFromConfig, type EmbeddedEndpoints } from './issuer-from-config';
