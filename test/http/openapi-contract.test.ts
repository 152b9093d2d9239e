/**
 * openapi.yaml against real responses: each answer's status must be documented for its route,
 * its media type too, and its body must validate against the documented schema (ajv, 2020-12 as
 * OpenAPI 3.1 uses). Also: the documented error codes are exactly the catalogue's.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Response } from 'supertest';
import { parse } from 'yaml';
import { ERRORS } from '../../src/errors';
import { DEV_AUTH, REPO_ROOT, startTestGateway, type TestGateway } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';

interface Operation {
  responses: Record<
    string,
    { $ref?: string; content?: Record<string, unknown>; headers?: Record<string, unknown> }
  >;
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: {
    responses: Record<string, { content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
  };
}

const DOC_ID = 'https://gateway.invalid/openapi.yaml';
const doc = parse(readFileSync(resolve(REPO_ROOT, 'openapi.yaml'), 'utf8')) as OpenApi;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...doc, $id: DOC_ID });

const token = (t: string): string => encodeURIComponent(t.replace(/~/g, '~0').replace(/\//g, '~1'));

/** Asserts that `res` is a documented answer of `method path`, body included. */
function expectDocumented(res: Response, path: string, method: string): void {
  const operation = doc.paths[path]?.[method];
  expect(operation).toBeDefined();
  const status = String(res.status);
  const documented = operation!.responses[status];
  expect({ path, method, status, documented: documented !== undefined }).toEqual({
    path,
    method,
    status,
    documented: true,
  });
  const [pointer, response] =
    documented!.$ref === undefined
      ? [`/paths/${token(path)}/${method}/responses/${status}`, documented!]
      : [documented!.$ref.slice(1), doc.components.responses[documented!.$ref.split('/').pop()!]!];
  const mediaType = String(res.headers['content-type']).split(';')[0]!.trim();
  expect(Object.keys(response.content ?? {})).toContain(mediaType);
  for (const header of Object.keys(response.headers ?? {})) {
    if (['Retry-After', 'X-Request-Id', 'Preference-Applied', 'WWW-Authenticate'].includes(header)) {
      expect(res.headers[header.toLowerCase()]).toBeDefined();
    }
  }
  if (mediaType.endsWith('json')) {
    const validate = ajv.compile({ $ref: `${DOC_ID}#${pointer}/content/${token(mediaType)}/schema` });
    const valid = validate(res.body);
    expect({ status, body: res.body as unknown, errors: valid ? null : validate.errors }).toEqual({
      status,
      body: res.body as unknown,
      errors: null,
    });
  }
}

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ env: { MAX_BODY_BYTES: '65536', MAX_BUFFERED_BYTES: '20000' } });
});
afterAll(() => t.close());

const EVENTS = '/v1/events/{type}';
const post = (type = 'telemetry') => t.request.post(`/v1/events/${type}`).set(DEV_AUTH);

describe('openapi.yaml', () => {
  it('when compared with the error catalogue, then the documented codes are exactly the catalogue', () => {
    const schemas = (
      doc.components as unknown as { schemas: { Problem: { properties: { code: { enum: string[] } } } } }
    ).schemas;
    expect([...schemas.Problem.properties.code.enum].sort()).toEqual(Object.keys(ERRORS).sort());
  });

  it('when events are accepted, then 200 and 202 receipts match the contract', async () => {
    const sensor = uniqueSensorId('contract');
    expectDocumented(await post().send([reading(sensor), reading(sensor)]), EVENTS, 'post');
    expectDocumented(await post().set('Prefer', 'respond-async').send(reading(sensor)), EVENTS, 'post');
  });

  it('when requests are refused, then every problem matches the contract', async () => {
    const sensor = uniqueSensorId('contract');
    const answers = [
      await post().type('application/json').send('{"sensor_id": }'), // 400
      await t.request.post('/v1/events/telemetry').send(reading(sensor)), // 401
      await post('nope').send(reading(sensor)), // 404
      await post().send(Array.from({ length: 700 }, () => reading(sensor))), // 413
      await post().set('Content-Type', 'text/csv').send('a,b'), // 415
      await post().send([reading(sensor), { ...reading(sensor), temperature: 'warm' }]), // 422
      await post().send(Array.from({ length: 200 }, () => reading(sensor))), // 503 buffer full
    ];
    expect(answers.map((r) => r.status)).toEqual([400, 401, 404, 413, 415, 422, 503]);
    for (const res of answers) expectDocumented(res, EVENTS, 'post');
  });

  it('when the ops routes are called, then their answers match the contract', async () => {
    expectDocumented(await t.request.get('/healthz'), '/healthz', 'get');
    const ready = await t.request.get('/readyz');
    expectDocumented(ready, '/readyz', 'get');
    const metrics = await t.request.get('/metrics');
    if (metrics.status !== 404) expectDocumented(metrics, '/metrics', 'get');
  });
});
