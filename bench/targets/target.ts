/**
 * What the runner needs to know about a target: how to start it in its own process and, once
 * running, where to send load and which process to measure.
 */
import type { EmulatorLink } from '../emulator-link';
import type { BenchOptions, TargetName } from '../options';

export interface RunningTarget {
  /** Origin plus ingest path, e.g. http://127.0.0.1:41234/v1/events/telemetry. */
  readonly url: string;
  /** Extra request headers (the gateway's API key). */
  readonly headers: Readonly<Record<string, string>>;
  /** Root of the measured process tree. */
  readonly pid: number;
  /** Stops the process and waits for it to exit (a gateway writes its CPU profile then). */
  stop(): Promise<void>;
}

export interface TargetContext {
  readonly options: BenchOptions;
  readonly emulator: EmulatorLink;
  /** Cores for the target's process, or undefined when not pinned. */
  readonly cpus: string | undefined;
  readonly logFile: string;
  readonly resultsDir: string;
}

export interface TargetDefinition {
  readonly name: TargetName;
  readonly label: string;
  /** Whether it sends to the hub (so batches are reported). */
  readonly sends: boolean;
  start(context: TargetContext): Promise<RunningTarget>;
}
