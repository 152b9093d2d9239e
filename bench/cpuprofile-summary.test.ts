import { moduleOf, summarise, type CpuProfile } from './cpuprofile-summary';

const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });

describe('summarise', () => {
  it('when samples fall on functions, then self time comes from the time deltas and idle is left out', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', '') },
        { id: 2, callFrame: frame('parse', 'file:///app/dist/src/ingest/parse-body.js') },
        { id: 3, callFrame: frame('(idle)', '') },
        { id: 4, callFrame: frame('handle', 'file:///app/node_modules/express/lib/application.js') },
      ],
      samples: [2, 2, 3, 4, 4],
      // The delta before a sample; a sample stands for the time until the next one.
      timeDeltas: [0, 1000, 1000, 1000, 3000],
    };
    const summary = summarise([profile, profile]);
    // parse: 1 + 1 ms; idle skipped; handle: 3 ms, then the last sample reuses its own delta (3 ms).
    expect(summary.totalMs).toBe(2 * (2 + 6));
    expect(summary.functions.map((f) => [f.name, f.selfMs])).toEqual([
      ['handle', 12],
      ['parse', 4],
    ]);
    expect(summary.modules.map((m) => m.name).sort()).toEqual(['express', 'src/ingest']);
  });
});

describe('moduleOf', () => {
  it('when given urls, then it names the package, project folder or node internal', () => {
    expect(moduleOf('file:///a/node_modules/@azure/core-amqp/dist/x.js', 'f')).toBe('@azure/core-amqp');
    expect(moduleOf('node:internal/streams/writable', 'f')).toBe('node:internal');
    expect(moduleOf('file:///a/dist/src/batching/batcher.js', 'f')).toBe('src/batching');
    expect(moduleOf('', '(garbage collector)')).toBe('(garbage collector)');
  });
});
