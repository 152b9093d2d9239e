import { PassThrough, Writable } from 'node:stream';
import { createLogDestination } from './log-destination';

const line = (n: number): string => `${JSON.stringify({ n, pad: 'x'.repeat(80) })}\n`;

describe('log destination', () => {
  it('when the reader takes nothing, then lines beyond the bound are dropped and counted, and flush returns by its bound', async () => {
    const unread = new PassThrough({ highWaterMark: 1 });
    const destination = createLogDestination({ stream: unread, minLength: 0, maxBufferedBytes: 1000 });
    for (let n = 0; n < 100; n++) destination.write(line(n));
    expect(unread.writableLength).toBeLessThanOrEqual(1000);
    expect(destination.droppedLines).toBe(100 - Math.floor(1000 / line(0).length));
    const at = performance.now();
    await destination.flush(50);
    expect(performance.now() - at).toBeLessThan(1000);
  });

  it('when a write fails (EPIPE), then what it held and every later line is dropped, counted, never retried', async () => {
    let writes = 0;
    const broken = new Writable({
      write(_chunk, _encoding, callback) {
        writes++;
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const destination = createLogDestination({ stream: broken, minLength: 0 });
    destination.write(line(1));
    await destination.flush(1000);
    for (let n = 0; n < 10; n++) destination.write(line(n));
    await destination.flush(1000);
    expect(destination.brokenBy).toBe('EPIPE');
    expect(destination.droppedLines).toBe(11);
    expect(writes).toBe(1);
  });

  it('when the reader keeps up, then every line arrives in order, gathered into few writes', async () => {
    const chunks: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString());
        callback();
      },
    });
    const destination = createLogDestination({ stream: sink, minLength: 4096 });
    const lines = Array.from({ length: 200 }, (_, n) => line(n));
    for (const l of lines) destination.write(l);
    await destination.flush(1000);
    expect(chunks.join('')).toBe(lines.join(''));
    expect(chunks.length).toBeLessThan(lines.length / 10);
    expect(destination.droppedLines).toBe(0);
  });
});
