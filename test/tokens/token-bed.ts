/**
 * A small test bed for the token route: the tokens router and API-key authentication mounted in
 * an Express app with the gateway's problem+json error handler, against a real emulator (AMQP and
 * REST) that verifies every token it is shown. Used until/alongside the full gateway harness.
 */
import express from 'express';
import supertest from 'supertest';
import type { Emulator } from '../../emulator';
import { LISTEN_POLICY, SEND_POLICY } from '../../emulator/well-known';
import { createKeyStore } from '../../src/auth/key-store';
import { toProblem } from '../../src/errors';
import { createTokenIssuer, type TokenIssuerOptions } from '../../src/tokens/token-issuer';
import { createTokensRouter } from '../../src/tokens/tokens-route';
import { KEY_ENTRIES } from '../auth/keys';

export interface BedOptions {
  readonly issuer?: Partial<TokenIssuerOptions>;
  /** Gateway clock (ms); lets a test mint tokens that are already expired. */
  readonly now?: () => number;
}

export function tokenExpressApp(emulator: Emulator, options: BedOptions = {}): express.Express {
  const app = express();
  app.use(
    createTokensRouter({
      keyStore: createKeyStore(KEY_ENTRIES),
      issuer: createTokenIssuer({
        endpoint: emulator.endpoint,
        eventHub: 'telemetry',
        sendPolicy: SEND_POLICY,
        listenPolicy: LISTEN_POLICY,
        useDevelopmentEmulator: true,
        restBaseUrl: emulator.restUrl,
        ...options.issuer,
      }),
      ...(options.now === undefined ? {} : { now: options.now }),
    }),
  );
  app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const problem = toProblem(error, undefined);
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  });
  return app;
}

export function tokenApp(emulator: Emulator, options: BedOptions = {}) {
  return supertest(tokenExpressApp(emulator, options));
}
