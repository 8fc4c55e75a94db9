import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds (user + system) used so far by each group of processes, read from Linux's /proc. */
export type CpuTimes = Record<string, number>;

const TICKS_PER_SEC = 100; // USER_HZ, 100 on every Linux this runs on

/** utime + stime of a process (fields 14 and 15 of /proc/<pid>/stat, after the command name). */
function secondsOf(pid: string): { comm: string; sec: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    return { comm, sec: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SEC };
  } catch {
    return undefined; // gone meanwhile
  }
}

/**
 * CPU used by the named processes (by pid) and by every process of the named commands (all of
 * PostgreSQL's backends, say), so a benchmark can say where a machine's cores went.
 */
export function cpuTimes(pids: Record<string, number>, commands: Record<string, string>): CpuTimes {
  const times: CpuTimes = {};
  for (const [name, pid] of Object.entries(pids)) times[name] = secondsOf(String(pid))?.sec ?? 0;
  for (const name of Object.keys(commands)) times[name] = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    const s = secondsOf(pid);
    for (const [name, comm] of Object.entries(commands))
      if (s && s.comm.startsWith(comm)) times[name]! += s.sec;
  }
  return times;
}

/** CPU used between two readings, per group. */
export const cpuSince = (before: CpuTimes, after: CpuTimes): CpuTimes =>
  Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
