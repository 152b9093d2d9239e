/**
 * Certificate material for the emulator's optional AMQPS listener. Clients that always use TLS
 * (azure-eventhub for Python, the JS SDK without `UseDevelopmentEmulator=true`) need a listener
 * whose certificate they can be told to trust. Either the operator names a certificate and key
 * (PEM files), or a self-signed one for localhost / 127.0.0.1 / ::1 is made with the openssl CLI
 * (node cannot create X.509 certificates by itself) in a directory that is reused across starts,
 * so a client pointed at the certificate's path keeps working after a restart.
 */
import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { lstat, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TlsOptions {
  /** AMQPS port; 0 = ephemeral. */
  readonly port: number;
  /** PEM certificate (chain) file; with `keyFile`. Both absent = self-signed in `selfSignedDir`. */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** Where the self-signed pair lives. Default `<tmpdir>/eventhubs-emulator-tls`. */
  readonly selfSignedDir?: string;
}

export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The file a client trusts (`connection_verify=` in Python, NODE_EXTRA_CA_CERTS in node). */
  readonly certPath: string;
  readonly selfSigned: boolean;
}

export const SELF_SIGNED_CERT = 'emulator-cert.pem';
export const SELF_SIGNED_KEY = 'emulator-key.pem';
const SELF_SIGNED_DAYS = 365;
/** A reused certificate must stay valid at least this long, or it is replaced. */
const MIN_REMAINING_MS = 24 * 3600 * 1000;

export function defaultSelfSignedDir(): string {
  return join(tmpdir(), 'eventhubs-emulator-tls');
}

/** Reads or creates the material; throws naming the option or file that is wrong. */
export async function loadTlsMaterial(options: TlsOptions, now: Date = new Date()): Promise<TlsMaterial> {
  if ((options.certFile === undefined) !== (options.keyFile === undefined))
    throw new RangeError('tls: certFile and keyFile must be given together');
  if (options.certFile !== undefined && options.keyFile !== undefined) {
    const [cert, key] = await Promise.all([
      readPem(options.certFile, 'tls.certFile'),
      readPem(options.keyFile, 'tls.keyFile'),
    ]);
    checkValid(cert, options.certFile, now);
    return { cert, key, certPath: options.certFile, selfSigned: false };
  }
  return selfSigned(options.selfSignedDir ?? defaultSelfSignedDir(), now);
}

async function readPem(path: string, option: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new RangeError(
      `${option}: cannot read '${path}': ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

function checkValid(cert: Buffer, path: string, now: Date): void {
  let parsed: X509Certificate;
  try {
    parsed = new X509Certificate(cert);
  } catch {
    throw new RangeError(`tls.certFile: '${path}' is not a PEM certificate`);
  }
  if (new Date(parsed.validTo).getTime() <= now.getTime())
    throw new RangeError(`tls.certFile: '${path}' expired on ${parsed.validTo}`);
}

async function selfSigned(dir: string, now: Date): Promise<TlsMaterial> {
  const certPath = join(dir, SELF_SIGNED_CERT);
  const keyPath = join(dir, SELF_SIGNED_KEY);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await checkPrivate(dir);
  const existing = await reusable(certPath, keyPath, now);
  if (existing) return existing;
  // Written beside the final names, then renamed: two emulators starting at once never see half a pair.
  const suffix = `.${process.pid}.${Date.now()}`;
  try {
    await run(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        String(SELF_SIGNED_DAYS),
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
        '-keyout',
        keyPath + suffix,
        '-out',
        certPath + suffix,
      ],
      { timeout: 20_000 },
    );
  } catch (error) {
    await Promise.all([rm(keyPath + suffix, { force: true }), rm(certPath + suffix, { force: true })]);
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'openssl is not installed' : String(error);
    throw new Error(`tls: cannot create a self-signed certificate in '${dir}': ${reason}`);
  }
  await rename(keyPath + suffix, keyPath);
  await rename(certPath + suffix, certPath);
  const [cert, key] = await Promise.all([readFile(certPath), readFile(keyPath)]);
  return { cert, key, certPath, selfSigned: true };
}

/**
 * The directory is in a shared temp folder by default: a pair someone else planted there would be
 * trusted by every client pointed at it, so only a directory of ours that nobody else can write is used.
 */
async function checkPrivate(dir: string): Promise<void> {
  const info = await lstat(dir);
  const uid = process.getuid?.();
  if (!info.isDirectory() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o022) !== 0)
    throw new RangeError(
      `tls: '${dir}' must be a directory of this user that nobody else can write (set EMULATOR_TLS_DIR elsewhere)`,
    );
}

async function reusable(certPath: string, keyPath: string, now: Date): Promise<TlsMaterial | undefined> {
  try {
    const [cert, key] = await Promise.all([readFile(certPath), readFile(keyPath)]);
    const parsed = new X509Certificate(cert);
    if (!parsed.checkPrivateKey(createPrivateKey(key))) return undefined;
    if (new Date(parsed.validTo).getTime() - now.getTime() < MIN_REMAINING_MS) return undefined;
    return { cert, key, certPath, selfSigned: true };
  } catch {
    return undefined; // missing or unreadable: make a new pair
  }
}

/** The AMQPS settings of `npm run emulator`: EMULATOR_TLS_PORT switches the listener on. */
export function tlsOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): TlsOptions | undefined {
  const value = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  const rawPort = value('EMULATOR_TLS_PORT');
  const certFile = value('EMULATOR_TLS_CERT');
  const keyFile = value('EMULATOR_TLS_KEY');
  const selfSignedDir = value('EMULATOR_TLS_DIR');
  if (rawPort === undefined) {
    const stray = [
      ['EMULATOR_TLS_CERT', certFile],
      ['EMULATOR_TLS_KEY', keyFile],
      ['EMULATOR_TLS_DIR', selfSignedDir],
    ].find(([, v]) => v !== undefined);
    if (stray) throw new RangeError(`${stray[0]} is set but EMULATOR_TLS_PORT is not`);
    return undefined;
  }
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port > 65535)
    throw new RangeError(`EMULATOR_TLS_PORT must be a port number 0..65535, got '${rawPort}'`);
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new RangeError(
      `${certFile === undefined ? 'EMULATOR_TLS_CERT' : 'EMULATOR_TLS_KEY'} is required with ${certFile === undefined ? 'EMULATOR_TLS_KEY' : 'EMULATOR_TLS_CERT'}`,
    );
  if (selfSignedDir !== undefined && certFile !== undefined)
    throw new RangeError(
      'EMULATOR_TLS_DIR is for the self-signed certificate; it contradicts EMULATOR_TLS_CERT',
    );
  return {
    port,
    ...(certFile === undefined ? {} : { certFile }),
    ...(keyFile === undefined ? {} : { keyFile }),
    ...(selfSignedDir === undefined ? {} : { selfSignedDir }),
  };
}
