/**
 * Target 1, the machine's ceiling: bare `node:http` that reads the whole body and answers 200.
 * Nothing is parsed, validated, logged or sent; no HTTP server in Node can be faster, so every
 * other target is read as a fraction of this one.
 */
import { createServer } from 'node:http';
import { serve } from './serve';

const ANSWER = Buffer.from('{"accepted":true}');

const server = createServer((req, res) => {
  let bytes = 0;
  req.on('data', (chunk: Buffer) => (bytes += chunk.length));
  req.on('end', () => {
    res.writeHead(bytes > 0 ? 200 : 400, {
      'content-type': 'application/json',
      'content-length': ANSWER.length,
    });
    res.end(ANSWER);
  });
});

serve(server);
