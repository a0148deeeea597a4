import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a live process has used so far; NaN when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces: count fields after its closing parenthesis (field 3 on).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** Resident memory of a live process in bytes; NaN when it is gone. */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds each named process spends between `start()` and `stop()`. */
export class CpuMeter {
  private readonly before = new Map<string, number>();

  constructor(private readonly pids: Record<string, number>) {}

  start(): this {
    for (const [name, pid] of Object.entries(this.pids)) this.before.set(name, cpuSeconds(pid));
    return this;
  }

  stop(): Record<string, number> {
    const used: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      used[name] = round(cpuSeconds(pid) - (this.before.get(name) ?? Number.NaN), 3);
    }
    return used;
  }
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Sum of the figures of a record, skipping any that are not numbers. */
export function total(values: Record<string, number>): number {
  return Object.values(values)
    .filter(Number.isFinite)
    .reduce((a, b) => a + b, 0);
}

/** The soft and hard limits on open files of a live process. */
export function openFileLimits(pid: number): { soft: number; hard: number } {
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
  const [, soft, hard] = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits) ?? [];
  const value = (v?: string) => (v === undefined || v === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(v));
  return { soft: value(soft), hard: value(hard) };
}

/**
 * Raises a process's soft limit on open files to at least `needed` (up to its hard limit) with
 * prlimit(1), for the load generator and the gateway holding thousands of sockets. Returns the
 * soft limit in force afterwards.
 */
export function raiseOpenFileLimit(pid: number, needed: number): number {
  const { soft, hard } = openFileLimits(pid);
  if (soft >= needed) return soft;
  const target = Math.min(hard, Math.max(needed, soft));
  const result = spawnSync('prlimit', [`--pid=${pid}`, `--nofile=${target}:${hard}`], { stdio: 'ignore' });
  return result.status === 0 ? openFileLimits(pid).soft : soft;
}
