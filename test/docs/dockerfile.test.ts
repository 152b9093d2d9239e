/**
 * The image's settings that matter to an orchestrator: a numeric non-root user, a shutdown
 * deadline inside `docker stop`'s default 10 s grace, and a health check that follows HOST/PORT.
 * (scripts/container/smoke-test.sh checks the built image itself.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

describe('Dockerfile', () => {
  it('when the runtime stage is read, then USER is numeric 1000:1000', () => {
    expect(runtime.match(/^USER (.+)$/gm)).toEqual(['USER 1000:1000']);
  });

  it("when the image stops, then SHUTDOWN_DEADLINE_MS leaves room inside docker stop's 10 s", () => {
    const deadline = Number(/SHUTDOWN_DEADLINE_MS=(\d+)/.exec(runtime)?.[1]);
    // The drain ends by the deadline; node's exit and the runtime's bookkeeping need the rest.
    expect(deadline).toBeGreaterThan(0);
    expect(deadline).toBeLessThanOrEqual(8000);
  });

  it('when healthy is asked, then the check is the compiled healthcheck tool (HOST and PORT aware)', () => {
    expect(runtime).toMatch(/HEALTHCHECK [^\n]*\\\n\s+CMD \["node", "dist\/src\/tools\/healthcheck\.js"\]/);
    expect(existsSync(join(root, 'src/tools/healthcheck.ts'))).toBe(true);
  });
});
