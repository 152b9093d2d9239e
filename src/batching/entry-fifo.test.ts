import type { OutgoingEvent } from './types';
import { EntryFifo } from './entry-fifo';
import { OpenBatch, Placement } from './open-batch';
import { EntryState, PendingTicket, type Entry } from './pending-ticket';
import type { SinkBatch } from '../sink/types';

const owner = { withdrawEntries: () => undefined };

function entry(id: string, at = 0): Entry<null> {
  const event: OutgoingEvent = {
    partitionKey: 'k',
    messageId: id,
    body: Buffer.alloc(1),
    properties: {},
    contentType: 'j',
  };
  return {
    event,
    ticket: new PendingTicket<null>(owner, 1),
    channel: null,
    bytes: 1,
    at,
    ordinal: 0,
    state: EntryState.Queued,
  };
}

/** A batch that holds `room` events. */
function batch(room: number): SinkBatch {
  let count = 0;
  return {
    partitionId: '0',
    get count() {
      return count;
    },
    sizeInBytes: 0,
    maxSizeInBytes: room,
    tryAdd: () => (count < room ? (++count, true) : false),
  };
}

const ids = (entries: readonly Entry<null>[]): string[] => entries.map((e) => e.event.messageId);

describe('EntryFifo', () => {
  it('when entries wait, then fill moves them in order until the batch is full, and the rest stays first', () => {
    const fifo = new EntryFifo<null>();
    for (const id of ['a', 'b', 'c']) fifo.push(entry(id));
    const open = new OpenBatch<null>(batch(2));
    fifo.fill(open, (o, e) => o.place(e, Number.POSITIVE_INFINITY) !== Placement.Full);
    expect(ids(open.entries)).toEqual(['a', 'b']);
    expect(open.full).toBe(true);
    expect(fifo.first?.event.messageId).toBe('c');
    expect(ids(fifo.queued())).toEqual(['c']);
  });

  it('when an entry was withdrawn, then it is skipped and no longer counts as waiting', () => {
    const fifo = new EntryFifo<null>();
    const a = entry('a');
    fifo.push(a);
    a.state = EntryState.Done;
    expect(fifo.empty).toBe(false);
    expect(fifo.hasQueued()).toBe(false);
    const open = new OpenBatch<null>(batch(2));
    fifo.fill(open, (o, e) => o.place(e, Number.POSITIVE_INFINITY) !== Placement.Full);
    expect(open.entries).toEqual([]);
    expect(fifo.empty).toBe(true);
  });

  it('when survivors are put back, then they come before everything waiting; takeQueued empties the FIFO', () => {
    const fifo = new EntryFifo<null>();
    fifo.push(entry('c'));
    fifo.putBack([entry('a'), entry('b')]);
    expect(ids(fifo.takeQueued())).toEqual(['a', 'b', 'c']);
    expect(fifo.empty).toBe(true);
  });
});
