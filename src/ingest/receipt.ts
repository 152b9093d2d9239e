/**
 * The receipt of an accepted request, serialised: `{"count":n,"requestId":"…","events":[{"messageId":
 * "…","partitionId":"…"},…]}`, the same text `JSON.stringify` makes of the `Receipt` object, built
 * in one pass over the events without the per-event objects. Message ids are mostly UUIDs, which
 * need no escaping: each id is checked with one regular expression and only an id with a character
 * JSON must escape goes through `JSON.stringify`. Each partition id's closing fragment is made
 * once and reused. Pure.
 */

/** What the client keeps as proof of what was accepted. */
export interface Receipt {
  readonly count: number;
  readonly requestId: string;
  readonly events: readonly { readonly messageId: string; readonly partitionId: string }[];
}

/** Printable ASCII without `"` and `\`: copied into JSON as is. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

const closers = new Map<string, string>();

function quoted(text: string): string {
  return PLAIN.test(text) ? `"${text}"` : JSON.stringify(text);
}

/** `","partitionId":"<id>"}` for one partition id, made once per id. */
function closer(partitionId: string): string {
  let fragment = closers.get(partitionId);
  if (fragment === undefined) {
    fragment = `,"partitionId":${quoted(partitionId)}}`;
    // Partition ids are a handful of short strings; an unbounded set would be a bug elsewhere.
    if (closers.size < 1024) closers.set(partitionId, fragment);
  }
  return fragment;
}

/**
 * `JSON.stringify(receipt)` for `events[i]` with `partitionIds[i]` (`''` when missing, as the
 * route's receipt has it).
 */
export function receiptJson(
  requestId: string,
  events: readonly { readonly messageId: string }[],
  partitionIds: readonly (string | undefined)[],
): string {
  const count = events.length;
  let json = `{"count":${count},"requestId":${quoted(requestId)},"events":[`;
  for (let i = 0; i < count; i++) {
    json += `${i === 0 ? '' : ','}{"messageId":${quoted(events[i]!.messageId)}${closer(partitionIds[i] ?? '')}`;
  }
  return `${json}]}`;
}
