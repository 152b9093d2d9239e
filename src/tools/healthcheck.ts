/**
 * The container's HEALTHCHECK: `node dist/src/tools/healthcheck.js` asks the gateway's /healthz
 * where the gateway listens, from the same settings (HOST, PORT, `.env`), so a gateway bound to
 * one address is not reported unhealthy for not answering on another. Exit 0 when /healthz
 * answers 2xx within the timeout, else 1 with one line on stderr. (Slim images have no curl.)
 */
import { resolve } from 'node:path';
import { readEnvFile, withEnvFile, type Env } from '../config/env-file';

const TIMEOUT_MS = 2500;

/** The /healthz URL for the gateway's HOST and PORT (unset HOST and wildcards mean loopback). */
export function healthUrl(env: Env): string {
  const port = env.PORT?.trim() || '8080';
  const host = env.HOST?.trim() || '127.0.0.1';
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const authority = reachable.includes(':') ? `[${reachable}]` : reachable;
  return `http://${authority}:${port}/healthz`;
}

export async function checkHealth(env: Env, timeoutMs = TIMEOUT_MS): Promise<string | undefined> {
  const url = healthUrl(env);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.ok ? undefined : `${url} answered ${res.status}`;
  } catch (error) {
    return `${url}: ${(error as Error).message}`;
  }
}

if (require.main === module) {
  const env = withEnvFile(process.env, readEnvFile(resolve('.env')));
  checkHealth(env).then(
    (problem) => {
      if (problem !== undefined) process.stderr.write(`unhealthy: ${problem}\n`);
      process.exit(problem === undefined ? 0 : 1);
    },
    () => process.exit(1),
  );
}
