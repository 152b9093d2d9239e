/**
 * openapi.yaml against real responses, through the real gateway and the emulator: each answer's
 * status must be documented for its route, its media type too, every documented header that is
 * required must be there and every documented header that is there must match its schema, and a
 * JSON body must validate against the documented schema (ajv, 2020-12 as OpenAPI 3.1 uses; the
 * problem schemas refuse undocumented members). Problems must also agree with their headers and
 * with the error catalogue.
 *
 * Coverage is checked both ways: the last test fails if the document lists a response (route,
 * method, status) that no test here produced; `expectDocumented` fails on a response the document
 * does not list. The spec's own examples and the copy of the telemetry schema are checked too.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { startEmulator, type Emulator } from '../../emulator';
import { hashApiKey } from '../../src/auth';
import { ERRORS, GatewayError, toProblem } from '../../src/errors';
import { defaultOpenApiFile } from '../../src/ops/openapi-route';
import { createEventHubsSink } from '../../src/sink/event-hubs-sink';
import { pollUntil } from '../ops/prometheus-text';
import { newTestKey } from '../security/api-keys';
import { DEV_AUTH, REPO_ROOT, startTestGateway, type TestGateway } from '../support/harness';
import { reading, uniqueSensorId } from '../support/readings';

// ---- the document ------------------------------------------------------------------------------

interface HeaderSpec {
  readonly $ref?: string;
  readonly required?: boolean;
  readonly schema?: unknown;
}
interface MediaSpec {
  readonly schema?: unknown;
  readonly examples?: Record<string, { readonly value: unknown }>;
}
interface WithContent {
  readonly content?: Record<string, MediaSpec>;
}
interface ResponseSpec extends WithContent {
  readonly $ref?: string;
  readonly headers?: Record<string, HeaderSpec>;
}
interface OperationSpec {
  readonly requestBody?: WithContent;
  readonly responses: Record<string, ResponseSpec>;
}
type PathSpec = Record<string, OperationSpec> & { 'x-method-not-allowed'?: ResponseSpec };
interface OpenApi {
  readonly paths: Record<string, PathSpec>;
  readonly components: {
    readonly responses: Record<string, ResponseSpec>;
    readonly headers: Record<string, HeaderSpec>;
    readonly schemas: Record<string, Record<string, unknown>>;
  };
}

const DOC_ID = 'https://gateway.invalid/openapi.yaml';
const doc = parse(readFileSync(resolve(REPO_ROOT, 'openapi.yaml'), 'utf8')) as OpenApi;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...doc, $id: DOC_ID });

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
/** The pseudo-method under which a path's `x-method-not-allowed` response is counted. */
const OTHER = 'other';

const pointerToken = (t: string): string => encodeURIComponent(t.replace(/~/g, '~0').replace(/\//g, '~1'));
const validators = new Map<string, ValidateFunction>();
function validatorAt(pointer: string): ValidateFunction {
  let validate = validators.get(pointer);
  if (validate === undefined) {
    validate = ajv.compile({ $ref: `${DOC_ID}#${pointer}` });
    validators.set(pointer, validate);
  }
  return validate;
}
function expectValid(pointer: string, value: unknown, what: string): void {
  const validate = validatorAt(pointer);
  const valid = validate(value);
  expect({ what, value, errors: valid ? null : validate.errors }).toEqual({ what, value, errors: null });
}

/** A response object and the JSON pointer its content lives under, with `$ref` followed. */
function resolveResponse(path: string, method: string, status: string): [string, ResponseSpec] | undefined {
  const pathSpec = doc.paths[path];
  const [base, response] =
    method === OTHER
      ? [`/paths/${pointerToken(path)}/x-method-not-allowed`, pathSpec?.['x-method-not-allowed']]
      : [`/paths/${pointerToken(path)}/${method}/responses/${status}`, pathSpec?.[method]?.responses[status]];
  if (response === undefined) return undefined;
  if (response.$ref === undefined) return [base, response];
  return [response.$ref.slice(1), doc.components.responses[response.$ref.split('/').pop()!]!];
}

function resolveHeader(header: HeaderSpec): HeaderSpec {
  return header.$ref === undefined ? header : doc.components.headers[header.$ref.split('/').pop()!]!;
}

/** Every response the document promises, as `METHOD path status`. */
function documentedResponses(): string[] {
  const all: string[] = [];
  for (const [path, pathSpec] of Object.entries(doc.paths)) {
    for (const method of Object.keys(pathSpec).filter((m) => HTTP_METHODS.includes(m)))
      for (const status of Object.keys(pathSpec[method]!.responses)) all.push(`${method} ${path} ${status}`);
    if (pathSpec['x-method-not-allowed'] !== undefined) all.push(`${OTHER} ${path} 405`);
  }
  return all.sort();
}

// ---- checking one answer -----------------------------------------------------------------------

/** The parts of an HTTP answer the contract speaks about (supertest's Response fits). */
interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
  readonly text?: string;
}

const produced = new Set<string>();

/** Asserts that `res` is a documented answer of `method path` (or `OTHER`), and records it. */
function expectDocumented(res: Answer, path: string, method: string): void {
  const status = String(res.status);
  const found = resolveResponse(path, method, status);
  expect({ path, method, status, documented: found !== undefined }).toEqual({
    path,
    method,
    status,
    documented: true,
  });
  const [pointer, response] = found!;
  produced.add(`${method} ${path} ${status}`);

  for (const [name, spec] of Object.entries(response.headers ?? {})) {
    const header = resolveHeader(spec);
    const value = res.headers[name.toLowerCase()];
    if (header.required === true)
      expect({ status, header: name, present: value !== undefined }).toEqual({
        status,
        header: name,
        present: true,
      });
    if (value !== undefined && header.schema !== undefined) {
      const validate = ajv.compile(header.schema as object);
      expect({ header: name, value, valid: validate(value) }).toEqual({ header: name, value, valid: true });
    }
  }

  const contentType = res.headers['content-type'];
  if (response.content === undefined) {
    expect({ status, contentType, text: res.text ?? '' }).toEqual({
      status,
      contentType: undefined,
      text: '',
    });
    return;
  }
  const mediaType = String(contentType).split(';')[0]!.trim();
  expect({ status, mediaType, documented: Object.keys(response.content) }).toEqual({
    status,
    mediaType,
    documented: expect.arrayContaining([mediaType]) as unknown,
  });
  if (mediaType.endsWith('json')) {
    expectValid(
      `${pointer}/content/${pointerToken(mediaType)}/schema`,
      res.body,
      `${method} ${path} ${status}`,
    );
  } else {
    expect(res.text ?? '').not.toBe('');
  }
  if (mediaType === 'application/problem+json') {
    const problem = res.body as { status: number; code: keyof typeof ERRORS; requestId: string };
    expect(problem.status).toBe(res.status);
    expect(ERRORS[problem.code].status).toBe(res.status);
    expect(problem.requestId).toBe(res.headers['x-request-id']);
  }
  if (method === OTHER) {
    const served = Object.keys(doc.paths[path]!).filter((m) => HTTP_METHODS.includes(m));
    expect(res.headers.allow).toBe(served.map((m) => m.toUpperCase()).join(', '));
  }
}

/**
 * Sends `head` on a raw socket and never the rest (a client that stalls), and returns what the
 * server wrote before it closed the connection (written to the socket, outside supertest).
 */
function stalledRequest(url: string, head: string): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolveAnswer, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(head));
    let raw = '';
    socket.on('data', (chunk: Buffer) => (raw += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [headText = '', text = ''] = raw.split('\r\n\r\n', 2);
      const [statusLine = '', ...lines] = headText.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const at = line.indexOf(':');
        if (at > 0) headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
      }
      const body: unknown = text === '' ? undefined : JSON.parse(text);
      resolveAnswer({ status: Number(statusLine.split(' ')[1]), headers, body, text });
    });
  });
}

// ---- the gateways under test -------------------------------------------------------------------

const writer = newTestKey('contract-writer');
const device17 = newTestKey('contract-device-17');
const tokensOnly = newTestKey('contract-tokens-only');
const noisyEvents = newTestKey('contract-noisy-events');
const noisyTokens = newTestKey('contract-noisy-tokens');
const operator = newTestKey('contract-operator');
/** The events budget counts readings: room for every test of the writer key. */
const EVENTS_PER_MINUTE = 3000;
const TOKENS_PER_MINUTE = 20;

function writeContractKeyFile(): string {
  const everything = { eventTypes: ['*'], sensors: ['*'] };
  const entry = (key: { id: string; key: string }, rest: Record<string, unknown>) => ({
    id: key.id,
    sha256: hashApiKey(key.key),
    ...rest,
  });
  const keys = [
    entry(writer, {
      scopes: ['events:write', 'tokens:issue'],
      ...everything,
      tokens: { publishers: ['*'], hub: ['send', 'listen'] },
    }),
    entry(device17, { scopes: ['events:write'], eventTypes: ['*'], sensors: ['sensor-17'] }),
    entry(tokensOnly, {
      scopes: ['tokens:issue'],
      eventTypes: [],
      sensors: [],
      tokens: { publishers: ['plant-a-*'] },
    }),
    entry(noisyEvents, { scopes: ['events:write'], ...everything }),
    entry(operator, { scopes: ['ops:read'], eventTypes: [], sensors: [] }),
    entry(noisyTokens, {
      scopes: ['tokens:issue'],
      eventTypes: [],
      sensors: [],
      tokens: { publishers: ['*'] },
    }),
  ];
  const path = join(mkdtempSync(join(tmpdir(), 'gw-contract-')), 'keys.json');
  writeFileSync(path, JSON.stringify({ keys }), { mode: 0o600 });
  return path;
}

/** Small link size, so one event can be larger than the hub accepts (422 GW_ERR_EVENT_TOO_LARGE). */
const MAX_MESSAGE_SIZE = 8192;
/**
 * The real sink with a test-sized SDK timeout: a management call caught in flight by the outage
 * would otherwise hold the hub "reachable" for the SDK's 30 s default.
 */
const SINK_OPTIONS = { tryTimeoutMs: 2000, retry: { delayMs: 20, maxDelayMs: 50 } } as const;
let emulator: Emulator;
/** Development target with a key file: signing policies are the emulator's well-known ones. */
let t: TestGateway;
/** A production-like target with no SAS_* policy (501), and short timeouts (408). */
let unsigned: TestGateway;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, maxMessageSize: MAX_MESSAGE_SIZE });
  const API_KEYS_FILE = writeContractKeyFile();
  t = await startTestGateway({
    emulator,
    deps: { createSink: (target) => createEventHubsSink(target, SINK_OPTIONS) },
    env: {
      API_KEYS_FILE,
      MAX_BODY_BYTES: '65536',
      MAX_BUFFERED_BYTES: '20000',
      // An outage is noticed without traffic, for /readyz 503.
      PARTITION_REFRESH_MS: '100',
      RATE_LIMIT_EVENTS_PER_MINUTE: String(EVENTS_PER_MINUTE),
      RATE_LIMIT_TOKENS_PER_MINUTE: String(TOKENS_PER_MINUTE),
    },
  });
  // Without UseDevelopmentEmulator the config is not development mode, so no signing policy is
  // borrowed from the emulator; the sink still reaches the emulator with the flag it needs.
  const production = emulator.connectionString.replace(/;UseDevelopmentEmulator=true/i, '');
  expect(production).not.toBe(emulator.connectionString);
  unsigned = await startTestGateway({
    emulator,
    env: {
      API_KEYS_FILE,
      EVENTHUB_CONNECTION_STRING: production,
      HEADERS_TIMEOUT_MS: '300',
      REQUEST_TIMEOUT_MS: '600',
    },
    deps: {
      createSink: () =>
        createEventHubsSink(
          { connectionString: emulator.connectionString, eventHubName: 'telemetry' },
          SINK_OPTIONS,
        ),
    },
  });
});
afterAll(async () => {
  await unsigned?.close();
  await t?.close();
  await emulator?.close();
});

const EVENTS = '/v1/events/{type}';
const TOKENS = '/v1/tokens';
const as = (key: { key: string }) => ({ Authorization: `Bearer ${key.key}` });
const postEvents = (type = 'telemetry', key: { key: string } = writer) =>
  t.request.post(`/v1/events/${type}`).set(as(key));
const postToken = (key = writer) => t.request.post('/v1/tokens').set('X-API-Key', key.key);

// ---- the tests ---------------------------------------------------------------------------------

describe('openapi.yaml', () => {
  it('when compared with the error catalogue, then the documented codes are exactly the catalogue', () => {
    const codes = (doc.components.schemas.Problem!.properties as { code: { enum: string[] } }).code.enum;
    expect([...codes].sort()).toEqual(Object.keys(ERRORS).sort());
  });

  it('when its telemetry schema is compared with schemas/telemetry.schema.json, then they are the same', () => {
    const file = JSON.parse(
      readFileSync(resolve(REPO_ROOT, 'schemas/telemetry.schema.json'), 'utf8'),
    ) as Record<string, unknown>;
    const strip = ({ $schema: _s, $id: _i, description: _d, ...rest }: Record<string, unknown>) => rest;
    expect(strip(doc.components.schemas.Telemetry!)).toEqual(strip(file));
  });

  it('when its examples are checked, then each is valid against the schema beside it', () => {
    let checked = 0;
    for (const [path, pathSpec] of Object.entries(doc.paths)) {
      for (const method of Object.keys(pathSpec).filter((m) => HTTP_METHODS.includes(m))) {
        const operation = pathSpec[method]!;
        const bodies: [string, WithContent | undefined][] = [
          [`/paths/${pointerToken(path)}/${method}/requestBody`, operation.requestBody],
        ];
        for (const status of Object.keys(operation.responses))
          bodies.push([
            `/paths/${pointerToken(path)}/${method}/responses/${status}`,
            operation.responses[status],
          ]);
        for (const [pointer, body] of bodies)
          for (const [mediaType, media] of Object.entries(body?.content ?? {}))
            for (const [name, example] of Object.entries(media.examples ?? {})) {
              if (mediaType === 'application/x-ndjson') {
                for (const line of String(example.value).trim().split('\n'))
                  expectValid('/components/schemas/Telemetry', JSON.parse(line), `${path} ${name}`);
              } else {
                expectValid(
                  `${pointer}/content/${pointerToken(mediaType)}/schema`,
                  example.value,
                  `${path} ${name}`,
                );
              }
              checked++;
            }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });
});

describe('POST /v1/events/{type} against the contract', () => {
  it('when events are accepted, then 200 and 202 receipts match', async () => {
    const sensor = uniqueSensorId('contract');
    expectDocumented(await postEvents().send([reading(sensor), reading(sensor)]), EVENTS, 'post');
    expectDocumented(await postEvents().set('Prefer', 'respond-async').send(reading(sensor)), EVENTS, 'post');
  });

  it('when requests are refused, then every problem matches', async () => {
    const sensor = uniqueSensorId('contract');
    const tooLarge = reading(sensor, {
      tags: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`t${i}`, 'x'.repeat(256)])),
    });
    const answers = [
      await postEvents().type('application/json').send('{"sensor_id": }'), // 400 bad JSON
      await postEvents().set('Content-Encoding', 'gzip').type('application/json').send('not gzip'), // 400
      await t.request.post('/v1/events/telemetry').send(reading(sensor)), // 401 no key
      await postEvents('telemetry', { key: 'ehgw_not-a-key-anyone-has-0000000000000' }).send(reading(sensor)), // 401
      await postEvents('telemetry', device17).send([reading('sensor-17'), reading('sensor-18')]), // 403 index 1
      await postEvents('telemetry', tokensOnly).send(reading(sensor)), // 403 scope
      await postEvents('nope').send(reading(sensor)), // 404
      await postEvents().send(Array.from({ length: 700 }, () => reading(sensor))), // 413
      await postEvents()
        .type('application/json')
        .send(`[${Array(1001).fill('{}').join(',')}]`), // 413 count
      // 413 inflation ratio (on the gateway with the default buffer cap: this one's 20 kB cannot
      // hold the 40 kB such a body may inflate to, and would answer 503)
      await unsigned.request
        .post('/v1/events/telemetry')
        .set(as(writer))
        .set('Content-Encoding', 'gzip')
        .type('application/json')
        .serialize((bytes: unknown) => bytes as string) // superagent would JSON-encode a Buffer
        .send(gzipSync(`[${Array(30_000).fill('{}').join(',')}]`)),
      await postEvents().set('Content-Type', 'text/csv').send('a,b'), // 415
      await postEvents().send([reading(sensor), { ...reading(sensor), temperature: 'warm' }]), // 422 schema
      await postEvents().send(tooLarge), // 422 larger than the hub accepts
      await postEvents().send(Array.from({ length: 200 }, () => reading(sensor))), // 503 buffer full
    ];
    expect(answers.map((r) => r.status)).toEqual([
      400, 400, 401, 401, 403, 403, 404, 413, 413, 413, 415, 422, 422, 503,
    ]);
    expect((answers[4]!.body as { index?: number }).index).toBe(1);
    expect(answers.slice(7, 10).map((r) => (r.body as { code?: string }).code)).toEqual([
      'GW_ERR_BODY_TOO_LARGE',
      'GW_ERR_TOO_MANY_EVENTS',
      'GW_ERR_BODY_TOO_LARGE',
    ]);
    expect(answers[9]!.body).toMatchObject({ maxInflationRatio: 200 });
    expect((answers[12]!.body as { code?: string }).code).toBe('GW_ERR_EVENT_TOO_LARGE');
    for (const res of answers) expectDocumented(res, EVENTS, 'post');
  });

  it('when readings are handled leniently or dry-run, then 207, 200 and 422 answers match', async () => {
    const sensor = uniqueSensorId('contract');
    const mixed = [reading(sensor), { ...reading(sensor), temperature: 'warm' }];
    const lenient = await postEvents().set('Prefer', 'handling=lenient').send(mixed);
    expect(lenient.status).toBe(207);
    expect(lenient.headers['preference-applied']).toBe('handling=lenient');
    expectDocumented(lenient, EVENTS, 'post');
    const dry = await postEvents()
      .set('Prefer', 'dry-run')
      .send([reading(sensor)]);
    expect({ status: dry.status, dryRun: (dry.body as { dryRun?: boolean }).dryRun }).toEqual({
      status: 200,
      dryRun: true,
    });
    expectDocumented(dry, EVENTS, 'post');
    const dryLenient = await postEvents().set('Prefer', 'handling=lenient, dry-run').send(mixed);
    expect(dryLenient.status).toBe(207);
    expectDocumented(dryLenient, EVENTS, 'post');
    const allRefused = await postEvents()
      .set('Prefer', 'handling=lenient')
      .send([{ ...reading(sensor), temperature: 'warm' }]);
    expect(allRefused.status).toBe(422);
    expectDocumented(allRefused, EVENTS, 'post');
  });

  it('when a key spends its events budget, then 429 with Retry-After and RateLimit headers', async () => {
    // The budget counts readings, refused ones too: bodies of invalid readings spend it.
    const invalid = (n: number) => `[${Array(n).fill('{}').join(',')}]`;
    const send = (n: number) =>
      postEvents('telemetry', noisyEvents).type('application/json').send(invalid(n));
    for (const n of [1000, 1000, EVENTS_PER_MINUTE - 2500]) expect((await send(n)).status).toBe(422);
    // 500 left: a body of 1000 is refused whole (its arrival spends one), saying what is left.
    const tooMany = await send(1000);
    expect(tooMany.status).toBe(429);
    expect(tooMany.headers.ratelimit).toMatch(/remaining=499,/);
    expectDocumented(tooMany, EVENTS, 'post');
    expect((await send(499)).status).toBe(422);
    const limited = await postEvents('telemetry', noisyEvents).send(reading(uniqueSensorId('contract')));
    expect(limited.status).toBe(429);
    expect(limited.headers.ratelimit).toMatch(/remaining=0,/);
    expectDocumented(limited, EVENTS, 'post');
  });

  it('when another method is used, then 405 with Allow', async () => {
    expectDocumented(await t.request.get('/v1/events/telemetry').set(as(writer)), EVENTS, OTHER);
  });

  it('when a client stalls sending its body, then the server cuts it off with 408', async () => {
    const body = JSON.stringify(reading(uniqueSensorId('contract')));
    const answer = await stalledRequest(
      unsigned.gateway.url,
      `POST /v1/events/telemetry HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer ${writer.key}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    expect(answer.status).toBe(408);
    expect(answer.body).toMatchObject({
      code: 'GW_ERR_REQUEST_TIMEOUT',
      requestId: answer.headers['x-request-id'],
    });
    expectDocumented(answer, EVENTS, 'post');
  });
});

const TYPES = '/v1/event-types';
const SCHEMA = '/v1/event-types/{type}/schema';

describe('GET /v1/event-types and their schemas against the contract', () => {
  it('when a writer asks, then the list and the schema match', async () => {
    expectDocumented(await t.request.get('/v1/event-types').set(as(writer)), TYPES, 'get');
    const schema = await t.request.get('/v1/event-types/telemetry/schema').set(as(writer));
    expect(schema.status).toBe(200);
    expectDocumented(schema, SCHEMA, 'get');
  });

  it('when refused, then every problem matches', async () => {
    const answers: [Answer, string, string][] = [
      [await t.request.get('/v1/event-types'), TYPES, 'get'], // 401
      [await t.request.get('/v1/event-types').set(as(tokensOnly)), TYPES, 'get'], // 403 scope
      [await t.request.post('/v1/event-types').set(as(writer)), TYPES, OTHER], // 405
      [await t.request.get('/v1/event-types/telemetry/schema'), SCHEMA, 'get'], // 401
      [await t.request.get('/v1/event-types/telemetry/schema').set(as(tokensOnly)), SCHEMA, 'get'], // 403
      [await t.request.get('/v1/event-types/nope/schema').set(as(writer)), SCHEMA, 'get'], // 404
      [await t.request.delete('/v1/event-types/telemetry/schema').set(as(writer)), SCHEMA, OTHER], // 405
    ];
    expect(answers.map(([res]) => res.status)).toEqual([401, 403, 405, 401, 403, 404, 405]);
    for (const [res, path, method] of answers) expectDocumented(res, path, method);
  });
});

describe('POST /v1/tokens against the contract', () => {
  it('when a publisher or hub token is issued, then 200 with the documented fields, not cacheable', async () => {
    for (const body of [
      { publisher: 'sensor-123' },
      { scope: 'hub', access: 'send' },
      { scope: 'hub', access: 'listen', ttlSeconds: 60 },
    ]) {
      const res = await postToken().send(body);
      expect(res.status).toBe(200);
      expectDocumented(res, TOKENS, 'post');
    }
  });

  it('when a token is refused, then every problem matches', async () => {
    const answers = [
      await postToken().set('Content-Type', 'application/json').send('{'), // 400 bad JSON
      await postToken().send({ publisher: 'sensor-123', ttlSeconds: 999_999 }), // 400 over the maximum
      await postToken().send({ publisher: 'a/../b' }), // 400 publisher name
      await t.request.post('/v1/tokens').send({ publisher: 'sensor-123' }), // 401
      await postToken(device17).send({ publisher: 'sensor-17' }), // 403 scope
      await postToken(tokensOnly).send({ publisher: 'sensor-123' }), // 403 publisher not granted
      await postToken().send({ publisher: 'sensor-123', pad: 'x'.repeat(5000) }), // 413
      await postToken().set('Content-Type', 'text/plain').send('publisher=sensor-123'), // 415
      await unsigned.request.post('/v1/tokens').set(as(writer)).send({ publisher: 'sensor-123' }), // 501
    ];
    expect(answers.map((r) => r.status)).toEqual([400, 400, 400, 401, 403, 403, 413, 415, 501]);
    for (const res of answers) expectDocumented(res, TOKENS, 'post');
  });

  it('when a key spends its tokens budget, then 429 with Retry-After and RateLimit headers', async () => {
    for (let i = 0; i < TOKENS_PER_MINUTE; i++)
      expect((await postToken(noisyTokens).send({ publisher: 'sensor-123' })).status).toBe(200);
    const limited = await postToken(noisyTokens).send({ publisher: 'sensor-123' });
    expect(limited.status).toBe(429);
    expectDocumented(limited, TOKENS, 'post');
  });

  it('when another method is used, then 405 with Allow', async () => {
    expectDocumented(await t.request.get('/v1/tokens').set(as(writer)), TOKENS, OTHER);
  });

  it('when a client stalls sending its body, then the server cuts it off with 408', async () => {
    const answer = await stalledRequest(
      unsigned.gateway.url,
      `POST /v1/tokens HTTP/1.1\r\nHost: gateway\r\nX-API-Key: ${writer.key}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{"publ',
    );
    expect(answer.status).toBe(408);
    expectDocumented(answer, TOKENS, 'post');
  });
});

const CAPACITY = '/v1/capacity';

describe('GET /v1/capacity against the contract', () => {
  it('when an operator asks, then the report matches', async () => {
    expectDocumented(await t.request.get('/v1/capacity?consumers=2').set(as(operator)), CAPACITY, 'get');
  });

  it('when refused, then every problem matches', async () => {
    const answers = [
      await t.request.get('/v1/capacity?tier=basic').set(as(operator)), // 400
      await t.request.get('/v1/capacity'), // 401
      await t.request.get('/v1/capacity').set(as(writer)), // 403
    ];
    for (const res of answers) expectDocumented(res, CAPACITY, 'get');
    expectDocumented(await t.request.post('/v1/capacity').set(as(operator)), CAPACITY, OTHER); // 405
  });
});

describe('ops routes against the contract', () => {
  it('when /healthz, /readyz and /metrics are called, then 200 answers match', async () => {
    expectDocumented(await t.request.get('/healthz'), '/healthz', 'get');
    expectDocumented(await t.request.get('/readyz'), '/readyz', 'get');
    const metrics = await t.request.get('/metrics');
    expect(metrics.status).toBe(200);
    expectDocumented(metrics, '/metrics', 'get');
  });

  it('when the hub is unreachable, then /readyz answers the documented 503', async () => {
    await emulator.faults.stopListening();
    try {
      const down = await pollUntil(
        () => t.request.get('/readyz'),
        (res) => res.status === 503,
        15_000,
      );
      expect((down.body as { reason?: string }).reason).toBe('hub-unreachable');
      expectDocumented(down, '/readyz', 'get');
      // The readings of a request the unreachable hub cannot take get the documented 503.
      const refused = await postEvents().send(reading(uniqueSensorId('contract')));
      expect(refused.status).toBe(503);
      expectDocumented(refused, EVENTS, 'post');
    } finally {
      await emulator.faults.startListening();
    }
    await pollUntil(
      () => t.request.get('/readyz'),
      (res) => res.status === 200,
      15_000,
    );
  }, 40_000);

  it('when a partition stalls, then /readyz answers the documented degraded 200, naming it', async () => {
    const sensor = uniqueSensorId('contract-stall');
    const first = await postEvents().send(reading(sensor));
    expect(first.status).toBe(200);
    const { partitionId } = (first.body as { events: { partitionId: string }[] }).events[0]!;
    emulator.faults.stallPartition(partitionId);
    const held = postEvents()
      .send(reading(sensor))
      .then((res) => res);
    try {
      const degraded = await pollUntil(
        () => t.request.get('/readyz'),
        (res) => (res.body as { status?: string }).status === 'degraded',
        15_000,
      );
      expect(degraded.status).toBe(200);
      // Stalled while its send is past its bound, failing once the SDK's attempt gave up.
      expect(degraded.body).toMatchObject({
        partitions: [{ partitionId, state: expect.stringMatching(/^(stalled|failing)$/), reason: 'timeout' }],
      });
      expectDocumented(degraded, '/readyz', 'get');
    } finally {
      emulator.faults.clearPartitionFaults();
    }
    expectDocumented(await held, EVENTS, 'post');
    await pollUntil(
      () => t.request.get('/readyz'),
      (res) => (res.body as { status?: string }).status === 'ready',
      15_000,
    );
  }, 40_000);

  it('when the dead-letter hub refuses, then /readyz answers the documented degraded 200, naming that hub', async () => {
    const DEAD_LETTER = 'dead-letter';
    const hubs = await startEmulator({
      port: 0,
      hubs: [
        { name: 'telemetry', partitionCount: 2 },
        { name: DEAD_LETTER, partitionCount: 2 },
      ],
    });
    const withDeadLetters = await startTestGateway({
      emulator: hubs,
      env: { DEAD_LETTER_EVENTHUB_NAME: DEAD_LETTER },
    });
    try {
      for (const p of ['0', '1'])
        hubs.faults.rejectPartition(p, 'com.microsoft:server-busy', 'refused for the test', DEAD_LETTER);
      const sensor = uniqueSensorId('contract-dl');
      const mixed = [reading(sensor), { ...reading(sensor), temperature: 'warm' }];
      const lenient = await withDeadLetters.request
        .post('/v1/events/telemetry')
        .set(DEV_AUTH)
        .set('Prefer', 'handling=lenient')
        .send(mixed);
      expect(lenient.status).toBe(207);
      expectDocumented(lenient, EVENTS, 'post');
      const degraded = await pollUntil(
        () => withDeadLetters.request.get('/readyz'),
        (res) => (res.body as { deadLetterHub?: unknown }).deadLetterHub !== undefined,
        15_000,
      );
      expect(degraded.status).toBe(200);
      expect(degraded.body).toMatchObject({
        status: 'degraded',
        partitions: [],
        deadLetterHub: { hub: DEAD_LETTER, state: 'degraded' },
      });
      expectDocumented(degraded, '/readyz', 'get');
    } finally {
      await withDeadLetters.close();
      await hubs.close();
    }
  }, 40_000);

  it('when /openapi.yaml is fetched, then it is this document as application/yaml', async () => {
    const res = await t.request
      .get('/openapi.yaml')
      .buffer(true)
      .parse((response, done) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => done(null, text));
      });
    const answer: Answer = { ...res, text: res.body as string };
    expectDocumented(answer, '/openapi.yaml', 'get');
    expect(answer.text).toBe(readFileSync(resolve(REPO_ROOT, 'openapi.yaml'), 'utf8'));
  });

  it('when the handler runs from src/ops or from the compiled dist/src/ops, then it finds this document', () => {
    const file = resolve(REPO_ROOT, 'openapi.yaml');
    expect(defaultOpenApiFile(resolve(REPO_ROOT, 'src/ops'))).toBe(file);
    expect(defaultOpenApiFile(resolve(REPO_ROOT, 'dist/src/ops'), (path) => path === file)).toBe(file);
  });

  it('when an ops route gets another method, then 404, as the document says', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const res = await t.request.delete(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect((res.body as { code?: string }).code).toBe('GW_ERR_NOT_FOUND');
    }
  });
});

describe('every route against the contract', () => {
  /** Each documented operation with a concrete URL. */
  const operations = Object.entries(doc.paths).flatMap(([path, spec]) =>
    Object.keys(spec)
      .filter((m) => HTTP_METHODS.includes(m))
      .map((method) => ({
        path,
        method,
        url: path.replace('{type}', 'telemetry').replace('{code}', 'GW_ERR_BAD_JSON'),
      })),
  );

  it('when a request has two Host headers or an unsupported Expect, then every route answers 400 or 417 as documented', async () => {
    expect(operations.length).toBeGreaterThanOrEqual(9);
    for (const { path, method, url } of operations) {
      const start = `${method.toUpperCase()} ${url} HTTP/1.1\r\nAuthorization: Bearer ${writer.key}\r\n`;
      const twoHosts = await stalledRequest(t.gateway.url, `${start}Host: gateway\r\nHost: other\r\n\r\n`);
      expect({ path, method, status: twoHosts.status }).toEqual({ path, method, status: 400 });
      expectDocumented(twoHosts, path, method);
      const expectFoo = await stalledRequest(t.gateway.url, `${start}Host: gateway\r\nExpect: foo\r\n\r\n`);
      expect({ path, method, status: expectFoo.status }).toEqual({ path, method, status: 417 });
      expectDocumented(expectFoo, path, method);
    }
  });

  it('when each code of the catalogue is turned into a problem, then its type resolves to the document of that code', async () => {
    for (const code of Object.keys(ERRORS) as (keyof typeof ERRORS)[]) {
      const { type } = toProblem(new GatewayError(code, 'x'), 'id');
      const res = await t.request.get(new URL(type, t.gateway.url).pathname);
      expect({ code, status: res.status }).toEqual({ code, status: 200 });
      expect(res.body).toMatchObject({ type, code, status: ERRORS[code].status, title: ERRORS[code].title });
      expectDocumented(res, '/problems/{code}', 'get');
    }
    const unknown = await t.request.get('/problems/GW_ERR_NO_SUCH_CODE');
    expect(unknown.status).toBe(404);
    expectDocumented(unknown, '/problems/{code}', 'get');
  });
});

describe('coverage', () => {
  it('when every test above ran, then each documented response was produced and nothing else', () => {
    expect([...produced].sort()).toEqual(documentedResponses());
  });
});
