/**
 * CPU time and resident memory of a process and all its descendants, read from /proc, so a
 * target's cost is measured from outside it (no instrumentation inside the gateway) and a
 * `node:cluster` gateway's workers are counted with their primary.
 * Linux only; elsewhere `available` is false and callers print "n/a" instead of guessing.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface TreeSample {
  /** User + system CPU time of the tree, microseconds. */
  readonly cpuUs: number;
  /** Sum of resident set sizes, bytes. */
  readonly rssBytes: number;
  readonly processes: number;
}

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly ticks: number;
  readonly rssPages: number;
}

function sysconf(name: string, fallback: number): number {
  try {
    const value = Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim());
    return Number.isFinite(value) && value > 0 ? value : fallback;
  } catch {
    return fallback;
  }
}

/** Fields after the command name, which is in parentheses and may itself contain spaces. */
export function parseStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number(text.slice(0, text.indexOf(' ')));
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15, rss 24.
  const at = (field: number): number => Number(fields[field - 3]);
  return { pid, ppid: at(4), ticks: at(14) + at(15), rssPages: at(24) };
}

/** Machine-wide counters, to tell how much else was running during a measurement. */
export interface MachineSample {
  /** Busy CPU time of all cores (user, nice, system, irq, softirq, steal), microseconds. */
  readonly busyUs: number;
  /** CPU time of this process's children that have ended and been reaped (load generators). */
  readonly reapedChildrenUs: number;
  /** CPU time of this process itself. */
  readonly selfUs: number;
}

export interface ProcessTreeStats {
  readonly available: boolean;
  sample(rootPid: number): TreeSample;
  machine(): MachineSample;
}

export function createProcessTreeStats(): ProcessTreeStats {
  const available = process.platform === 'linux';
  const ticksPerSecond = available ? sysconf('CLK_TCK', 100) : 100;
  const pageSize = available ? sysconf('PAGESIZE', 4096) : 4096;

  const readAll = (): ProcStat[] => {
    const stats: ProcStat[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = parseStat(readFileSync(`/proc/${entry}/stat`, 'utf8'));
        if (stat) stats.push(stat);
      } catch {
        // The process ended between readdir and read.
      }
    }
    return stats;
  };

  const toUs = (ticks: number): number => (ticks * 1e6) / ticksPerSecond;
  return {
    available,
    machine() {
      const self = process.cpuUsage();
      const selfUs = self.user + self.system;
      if (!available) return { busyUs: 0, reapedChildrenUs: 0, selfUs };
      const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.split(/\s+/).slice(1).map(Number) ?? [];
      // user nice system idle iowait irq softirq steal
      const busy = [0, 1, 2, 5, 6, 7].reduce((sum, index) => sum + (cpu[index] ?? 0), 0);
      const own = readFileSync('/proc/self/stat', 'utf8');
      const fields = own.slice(own.lastIndexOf(')') + 2).split(' ');
      // cutime and cstime are fields 16 and 17.
      const reaped = Number(fields[16 - 3]) + Number(fields[17 - 3]);
      return { busyUs: toUs(busy), reapedChildrenUs: toUs(reaped), selfUs };
    },
    sample(rootPid) {
      if (!available) return { cpuUs: 0, rssBytes: 0, processes: 0 };
      const all = readAll();
      const children = new Map<number, ProcStat[]>();
      for (const stat of all) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
      const tree = all.filter((stat) => stat.pid === rootPid);
      for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]?.pid ?? -1) ?? []));
      let ticks = 0;
      let pages = 0;
      for (const stat of tree) {
        ticks += stat.ticks;
        pages += stat.rssPages;
      }
      return { cpuUs: toUs(ticks), rssBytes: pages * pageSize, processes: tree.length };
    },
  };
}
