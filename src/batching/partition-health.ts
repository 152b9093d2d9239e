/**
 * One partition's health as the operator and readiness see it, kept as a state with one transition
 * per send outcome: `ok` after an acknowledgement, `failing` after a failed attempt (with the
 * reason), and `stalled` while an attempt has gone unanswered past the sink's attempt timeout
 * (derived at read time from when the send began, so a hang shows without waiting for it to end).
 */
import { SinkError, type HubProblem } from '../sink/types';

export type PartitionState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'sending'; readonly since: number }
  | { readonly kind: 'failing'; readonly since: number; readonly problem: HubProblem; readonly code: string };

export type PartitionVerdict =
  | { readonly state: 'ok' }
  | {
      readonly state: 'stalled' | 'failing';
      readonly reason: HubProblem;
      readonly code: string;
      readonly since: number;
    };

const OK: PartitionVerdict = Object.freeze({ state: 'ok' });

export class PartitionHealthTrack {
  private state: PartitionState = { kind: 'idle' };
  /** A batch is on its way (first attempt or a retry). */
  private busy = false;

  get current(): PartitionState {
    return this.state;
  }

  /** A batch left for the hub (a failing partition stays failing until something is acknowledged). */
  sendStarted(now: number): void {
    this.busy = true;
    if (this.state.kind === 'idle') this.state = { kind: 'sending', since: now };
  }

  acknowledged(): void {
    this.busy = false;
    this.state = { kind: 'idle' };
  }

  attemptFailed(error: unknown, now: number): void {
    if (this.state.kind === 'failing') return;
    const problem = error instanceof SinkError ? error.problem : 'error';
    const code = error instanceof SinkError ? error.code : 'Unknown';
    this.state = { kind: 'failing', since: now, problem, code };
  }

  /** The batch ended without an answer to give (abandoned or failed): nothing is in flight. */
  sendEnded(): void {
    this.busy = false;
    if (this.state.kind === 'sending') this.state = { kind: 'idle' };
  }

  /**
   * `hubAnsweredAt`: when the hub last answered anything. A failure older than that, with no batch
   * on its way, is history: the partition gets the benefit of the doubt until its next send.
   */
  verdict(now: number, attemptTimeoutMs: number, hubAnsweredAt: number): PartitionVerdict {
    const state = this.state;
    switch (state.kind) {
      case 'idle':
        return OK;
      case 'sending':
        return now - state.since > attemptTimeoutMs
          ? { state: 'stalled', reason: 'timeout', code: 'SendTimeout', since: state.since }
          : OK;
      case 'failing':
        if (!this.busy && hubAnsweredAt > state.since) return OK;
        return { state: 'failing', reason: state.problem, code: state.code, since: state.since };
    }
  }
}
