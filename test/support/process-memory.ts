/**
 * Another process's resident memory, from /proc/<pid>/status (Linux): the current RSS, the peak
 * the kernel recorded (VmHWM, which no sampling interval can miss), and a reset of that peak
 * (writing 5 to /proc/<pid>/clear_refs, Linux 4.0+) so a test measures one phase, not start-up.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const KIB = 1024;

/** A `Vm*` field of /proc/<pid>/status in bytes. */
export function vmBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1];
  if (kib === undefined) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(kib) * KIB;
}

/** Resets the process's VmHWM to its current RSS; false where the kernel does not allow it. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export interface RssSampler {
  /** Stops sampling; the highest RSS seen, counting the kernel's own peak since the start. */
  stop(): { readonly peakBytes: number; readonly samples: number };
}

/**
 * Samples VmRSS every `everyMs` and, at the end, takes the larger of what it saw and VmHWM
 * (valid when `resetPeakRss` succeeded at the start; otherwise VmHWM is start-up's and ignored).
 */
export function sampleRss(pid: number, everyMs: number, peakWasReset: boolean): RssSampler {
  let peak = vmBytes(pid, 'VmRSS');
  let samples = 1;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, vmBytes(pid, 'VmRSS'));
      samples++;
    } catch {
      // The process ended; the test sees that on its own.
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      const hwm = peakWasReset ? vmBytes(pid, 'VmHWM') : 0;
      return { peakBytes: Math.max(peak, hwm), samples };
    },
  };
}
