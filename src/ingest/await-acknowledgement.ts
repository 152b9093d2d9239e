/**
 * Waiting for the hub: a request's tickets are answered once acknowledged, failed on a send failure
 * or when the request's deadline passes, and withdrawn when the client hangs up. `combineTickets`
 * lets one request wait on events sent to two hubs (the event hub and the dead-letter hub) with one
 * deadline, keeping each ticket's outcome apart.
 */
import type { ServerResponse } from 'node:http';
import type { Ticket } from '../batching/types';
import { GatewayError } from '../errors';

type Outcome = { acknowledged(): void; failed(error: unknown): void };
type WaitTicket = Pick<Ticket, 'acknowledged' | 'withdraw'>;

const WAIT = Symbol('acknowledgementWait');
type WaitingResponse = ServerResponse & { [WAIT]?: Wait };

/**
 * One request waiting for its ticket. Every request that sends waits here, so the wait is one
 * object: the deadline timer gets it as its argument and the response's 'close' listener is a
 * shared function that finds it on the response, instead of a closure for each.
 */
class Wait {
  private settled = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly res: WaitingResponse,
    readonly ticket: WaitTicket,
    readonly deadlineMs: number,
    readonly outcome: Outcome,
  ) {
    this.timer = setTimeout(onDeadline, deadlineMs, this);
    res[WAIT] = this;
    res.on('close', onClose);
    ticket.acknowledged.then(
      () => {
        if (this.settle()) outcome.acknowledged();
      },
      (error: unknown) => {
        if (this.settle()) outcome.failed(error);
      },
    );
  }

  /** True the first time only: the one outcome of the wait. */
  settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    clearTimeout(this.timer);
    this.res.removeListener('close', onClose);
    if (this.res[WAIT] === this) this.res[WAIT] = undefined;
    return true;
  }
}

function onDeadline(wait: Wait): void {
  if (!wait.settle()) return;
  const error = new GatewayError(
    'GW_ERR_DEADLINE',
    `Event Hubs did not acknowledge the events within ${wait.deadlineMs} ms; retry with the same message ids.`,
  );
  wait.ticket.withdraw(error);
  wait.outcome.failed(error);
}

function onClose(this: WaitingResponse): void {
  const wait = this[WAIT];
  if (wait?.settle() === true) {
    wait.ticket.withdraw(
      new GatewayError('GW_ERR_BAD_REQUEST', 'The client closed the connection before the acknowledgement.'),
    );
  }
}

/**
 * Calls `acknowledged` once the hub acknowledged every event, or `failed` on a send failure or when
 * the deadline passes (events not yet in a batch are withdrawn; ones already sent may still land,
 * and their message ids let consumers drop the duplicates of the client's retry). A client that
 * hangs up withdraws its events too. One wait per response at a time.
 */
export function awaitAcknowledgement(
  res: ServerResponse,
  ticket: WaitTicket,
  deadlineMs: number,
  outcome: Outcome,
): void {
  const waiting = res as WaitingResponse;
  if (waiting[WAIT] !== undefined) throw new Error('awaitAcknowledgement: this response already waits');
  new Wait(waiting, ticket, deadlineMs, outcome);
}

/** What became of one ticket: `true` once acknowledged, the error once it failed, else pending. */
export type TicketOutcome = true | { readonly error: unknown } | undefined;

/**
 * One ticket for several: `acknowledged` resolves once every ticket has settled (it never rejects;
 * read `outcomes`, in the order given; an absent ticket counts as delivered), `withdraw` withdraws each. After a deadline, call `failPending` so that tickets
 * still pending count as failed with the deadline's error.
 */
export function combineTickets(tickets: readonly (Ticket | undefined)[]): {
  readonly ticket: Pick<Ticket, 'acknowledged' | 'withdraw'>;
  readonly outcomes: TicketOutcome[];
  failPending(error: unknown): void;
} {
  const outcomes: TicketOutcome[] = tickets.map((ticket) => (ticket === undefined ? true : undefined));
  const settled = tickets.map((ticket, i) =>
    (ticket?.acknowledged ?? Promise.resolve()).then(
      () => {
        outcomes[i] ??= true;
      },
      (error: unknown) => {
        outcomes[i] ??= { error };
      },
    ),
  );
  return {
    ticket: {
      acknowledged: Promise.all(settled).then(() => undefined),
      withdraw(reason: GatewayError) {
        for (const ticket of tickets) ticket?.withdraw(reason);
      },
    },
    outcomes,
    failPending(error: unknown) {
      for (let i = 0; i < outcomes.length; i++) outcomes[i] ??= { error };
    },
  };
}
