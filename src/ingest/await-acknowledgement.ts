/**
 * Waiting for the hub: a request's tickets are answered once acknowledged, failed on a send failure
 * or when the request's deadline passes, and withdrawn when the client hangs up. `combineTickets`
 * lets one request wait on events sent to two hubs (the event hub and the dead-letter hub) with one
 * deadline, keeping each ticket's outcome apart.
 */
import type { ServerResponse } from 'node:http';
import type { Ticket } from '../batching/types';
import { GatewayError } from '../errors';

/**
 * Calls `acknowledged` once the hub acknowledged every event, or `failed` on a send failure or when
 * the deadline passes (events not yet in a batch are withdrawn; ones already sent may still land,
 * and their message ids let consumers drop the duplicates of the client's retry). A client that
 * hangs up withdraws its events too.
 */
export function awaitAcknowledgement(
  res: ServerResponse,
  ticket: Pick<Ticket, 'acknowledged' | 'withdraw'>,
  deadlineMs: number,
  outcome: { acknowledged(): void; failed(error: unknown): void },
): void {
  let settled = false;
  const settle = (): boolean => {
    if (settled) return false;
    settled = true;
    clearTimeout(timer);
    res.removeListener('close', onClose);
    return true;
  };
  const timer = setTimeout(() => {
    if (!settle()) return;
    const error = new GatewayError(
      'GW_ERR_DEADLINE',
      `Event Hubs did not acknowledge the events within ${deadlineMs} ms; retry with the same message ids.`,
    );
    ticket.withdraw(error);
    outcome.failed(error);
  }, deadlineMs);
  const onClose = (): void => {
    if (settle()) {
      ticket.withdraw(
        new GatewayError(
          'GW_ERR_BAD_REQUEST',
          'The client closed the connection before the acknowledgement.',
        ),
      );
    }
  };
  res.on('close', onClose);
  ticket.acknowledged.then(
    () => {
      if (settle()) outcome.acknowledged();
    },
    (error: unknown) => {
      if (settle()) outcome.failed(error);
    },
  );
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
