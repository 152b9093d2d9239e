/**
 * The gateway starts the same way everywhere: `npm start`, the Dockerfile's CMD and the benchmark
 * (which reads package.json) run `node <the same V8 flags> dist/src/main.js`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { productionNodeFlags } from '../../bench/targets/gateway';

const root = join(__dirname, '..', '..');

function dockerCmd(): string[] {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const line = dockerfile.split('\n').find((candidate) => candidate.startsWith('CMD '));
  if (line === undefined) throw new Error('Dockerfile has no CMD line');
  return JSON.parse(line.slice('CMD '.length)) as string[];
}

describe('start command', () => {
  it('when the Dockerfile starts the gateway, then it uses the node flags of npm start', () => {
    const flags = productionNodeFlags();
    expect(flags).toEqual(['--single-threaded-gc', '--no-allocation-site-pretenuring']);
    expect(dockerCmd()).toEqual(['node', ...flags, 'dist/src/main.js']);
  });
});
