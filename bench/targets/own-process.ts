/**
 * Starts one of the bench's own targets (ceiling, typical Express, naive sender) as a child
 * process running under tsx and waits for its IPC `ready` message with the port.
 */
import { join } from 'node:path';
import { nextMessage, startChild, tsxNode } from '../child';
import { INGEST_PATH } from '../bodies';
import { isReady } from './serve';
import type { RunningTarget, TargetContext } from './target';

export async function startOwnTarget(
  script: string,
  context: TargetContext,
  env: NodeJS.ProcessEnv = {},
): Promise<RunningTarget> {
  const { command, args } = tsxNode(join(__dirname, script));
  const child = startChild({
    name: script,
    command,
    args,
    cpus: context.cpus,
    logFile: context.logFile,
    ipc: true,
    env: { ...process.env, NODE_ENV: 'production', ...env },
  });
  const ready = await nextMessage(child, isReady, 30_000);
  return {
    url: `http://127.0.0.1:${ready.port}${INGEST_PATH}`,
    headers: {},
    pid: child.pid,
    async stop() {
      await child.stop();
    },
  };
}
