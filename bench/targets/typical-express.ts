/**
 * Target 2: the typical Express stack (see typical-stack.ts) answering 200 as soon as the events
 * are valid, without sending them anywhere — the cost of the framework alone.
 */
import { createServer } from 'node:http';
import { createTypicalApp } from './typical-stack';
import { serve } from './serve';

const app = createTypicalApp((events, _req, res) => {
  res.json({ accepted: events.length });
  return Promise.resolve();
});

serve(createServer(app));
