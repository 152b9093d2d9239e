/**
 * A pending receipt: the ticket a request waits on, and the per-event entries the flusher moves
 * through its queues. The ticket counts its events down as batches are acknowledged and settles
 * exactly once: resolved when the count reaches zero, rejected on the first failure or withdrawal.
 * Entries are plain objects with a state field, so the hot path allocates one object per event and
 * no closures.
 */
import type { GatewayError } from '../errors';
import type { OutgoingEvent, Ticket } from './types';

/** Where an entry is; only QUEUED and BATCHED entries can still be withdrawn. */
export enum EntryState {
  /** Waiting in the partition's FIFO for room in an open batch. */
  Queued,
  /** Added to the partition's open (not yet sent) batch. */
  Batched,
  /** Part of a batch being sent; its outcome will be reported. */
  InFlight,
  /** Acknowledged, failed or withdrawn; its bytes are released. */
  Done,
}

export interface Entry<C = unknown> {
  readonly event: OutgoingEvent;
  readonly ticket: PendingTicket<C>;
  readonly channel: C;
  readonly bytes: number;
  /** Clock reading at enqueue; the linger time of a batch counts from its first entry's. */
  readonly at: number;
  /**
   * Its place in its channel's FIFO (assigned when the channel takes it), so a partition handover
   * can tell the entries a channel held when the partition map changed from later ones.
   */
  ordinal: number;
  state: EntryState;
}

/** What a ticket needs from its batcher when it gives up its remaining entries. */
export interface TicketOwner<C> {
  withdrawEntries(ticket: PendingTicket<C>): void;
}

const ignore = (): void => undefined;

export class PendingTicket<C = unknown> implements Ticket {
  readonly partitionIds: string[];
  readonly entries: Entry<C>[];
  readonly acknowledged: Promise<void>;
  settled = false;
  /** The rejection reason once failed. */
  failure: GatewayError | undefined;
  private remaining: number;
  private resolveAck!: () => void;
  private rejectAck!: (reason: GatewayError) => void;
  private readonly owner: TicketOwner<C>;

  constructor(owner: TicketOwner<C>, size: number) {
    this.owner = owner;
    this.remaining = size;
    this.partitionIds = new Array<string>(size);
    this.entries = new Array<Entry<C>>(size);
    this.acknowledged = new Promise<void>((resolve, reject) => {
      this.resolveAck = resolve;
      this.rejectAck = reject;
    });
    // A caller that answered early (respond-async) may never await the ticket; its rejection must
    // not become an unhandled rejection. Callers that await still see it.
    this.acknowledged.catch(ignore);
    if (size === 0) this.settle();
  }

  /** One of the ticket's events was acknowledged by the hub. */
  eventAcknowledged(): void {
    if (--this.remaining === 0 && !this.settled) this.settle();
  }

  /** Rejects the ticket (first call wins) and withdraws whatever of it was not sent yet. */
  fail(reason: GatewayError): void {
    if (this.settled) return;
    this.settled = true;
    this.failure = reason;
    this.rejectAck(reason);
    this.owner.withdrawEntries(this);
  }

  withdraw(reason: GatewayError): void {
    this.fail(reason);
  }

  private settle(): void {
    this.settled = true;
    this.resolveAck();
  }
}
