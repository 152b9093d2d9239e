/**
 * The one way the batcher calls its observer (metrics hooks). Observers run synchronously on the
 * flusher's path, between updates of its accounting; an exception there must not leave the
 * accounting half done or fail a request, so it is dropped.
 */
export function observeSafely(call: () => void): void {
  try {
    call();
  } catch {
    // deliberately ignored: metrics must never fail a request
  }
}
