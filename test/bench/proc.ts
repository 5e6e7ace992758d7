/** What the benchmarks read of a process from Linux's /proc. */
import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of /proc's CPU times, 100 on Linux. */
const CLOCK_TICKS = 100;

/**
 * A process's parent, and its CPU time (user + system, all threads, ms): its own, and that of its
 * children already reaped. Undefined once it has gone.
 */
export function procCpu(pid: number): { ppid: number; ownMs: number; reapedChildrenMs: number } | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state(0) ppid(1) ...
    // utime(11) stime(12) cutime(13) cstime(14).
    const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    const ms = (i: number, j: number) => ((Number(f[i]) + Number(f[j])) * 1000) / CLOCK_TICKS;
    return { ppid: Number(f[1]), ownMs: ms(11, 12), reapedChildrenMs: ms(13, 14) };
  } catch {
    return undefined;
  }
}

/** `VmRSS` and `VmHWM` (peak) of a process, bytes; null once it has gone. */
export function memOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
  } catch {
    return null;
  }
}

/** CPU time of the whole machine so far, all cores, ms: busy (user, nice, system, irq, softirq, steal) and idle (with iowait). */
export function hostCpu(): { busyMs: number; idleMs: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const ms = (ticks: number) => (ticks * 1000) / CLOCK_TICKS;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f as [number, ...number[]];
  return { busyMs: ms(user + nice! + system! + irq! + softirq! + steal!), idleMs: ms(idle! + iowait!) };
}
