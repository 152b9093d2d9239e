/**
 * The "typical Express gateway" that most teams would write: Express 5, `express.json()`, an
 * ajv-compiled schema checked per event, helmet and pino-http logging every request at info (to
 * stdout, which the bench sends to a file). `accept` decides what happens to valid events, so the
 * same stack serves as target 2 (answers at once) and target 3 (sends first).
 */
import express, { type Request, type Response } from 'express';
import helmet from 'helmet';
import pino from 'pino';
import { pinoHttp } from 'pino-http';
import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { loadTelemetrySchema } from './schema';

export type Accept = (events: Record<string, unknown>[], req: Request, res: Response) => Promise<void>;

export function createTypicalApp(accept: Accept): express.Express {
  const { schema } = loadTelemetrySchema();
  // The dialect the schema declares, as any team would pick it.
  const draft2020 = typeof schema.$schema === 'string' && schema.$schema.includes('2020-12');
  const ajv = draft2020 ? new Ajv2020({ allErrors: true }) : new Ajv({ allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  const app = express();
  app.use(helmet());
  app.use(pinoHttp({ logger: pino({ level: 'info' }) }));
  app.use(express.json({ limit: '1mb' }));
  app.post('/v1/events/:type', async (req, res) => {
    const body: unknown = req.body;
    const events = (Array.isArray(body) ? body : [body]) as Record<string, unknown>[];
    const errors = [];
    for (let i = 0; i < events.length; i++) {
      if (!validate(events[i])) errors.push({ index: i, errors: validate.errors });
    }
    if (errors.length > 0) {
      res.status(422).json({ errors });
      return;
    }
    try {
      await accept(events, req, res);
    } catch (error) {
      req.log.error({ err: error }, 'send failed');
      if (!res.headersSent) res.status(503).json({ error: 'send failed' });
    }
  });
  return app;
}
