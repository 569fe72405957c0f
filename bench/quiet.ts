/**
 * Waiting until the benchmark's processes are idle, so that no contender is timed while another
 * still uses the CPU. Python Keras can go on working after `fit` returns: on this repository's
 * machine (2 vCPUs), with another process busy right after a 2048-sample epoch, its threads used
 * ~1.3 s of CPU over the next 1.2-1.5 s (0.5 s after a 512-sample epoch; not after every fit),
 * and a stock epoch timed in that window ran at 33 ms a batch instead of 17-18. Left alone, it
 * was idle again within 0.1-0.2 s.
 *
 * A process's CPU time is read from /proc/PID/stat (utime + stime, all of its threads). Where
 * there is no /proc (not Linux), nothing is measured and nothing waits.
 */
import { readFileSync } from 'node:fs';

/** How the processes are judged idle. */
export interface QuietOptions {
  /** Length of one look, in ms. Default: 100. */
  windowMs?: number;
  /** At most this much CPU, in ms summed over the processes, within one look. Default: 10. */
  maxCpuMs?: number;
  /** Give up after this long, in ms. Default: 10,000. */
  timeoutMs?: number;
}

/** What a wait found. */
export interface QuietResult {
  /** How long it waited, in seconds. */
  waitedSeconds: number;
  /** 'quiet': idle within the timeout; 'busy': still not idle; 'unmeasured': no /proc. */
  state: 'quiet' | 'busy' | 'unmeasured';
}

/** Clock ticks per second of /proc's CPU times: USER_HZ, 100 on every Linux that runs Node. */
const TICKS_PER_SECOND = 100;

/**
 * CPU time used so far by `pid`, in ms; undefined when it cannot be read (no /proc, or the
 * process is gone).
 */
export function cpuMilliseconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces, inside parentheses): state is
  // field 3, utime field 14 and stime field 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

/** The CPU time of every process that can be read, summed, in ms (undefined: none can). */
function totalCpu(pids: readonly number[]): number | undefined {
  let total: number | undefined;
  for (const pid of pids) {
    const ms = cpuMilliseconds(pid);
    if (ms !== undefined) total = (total ?? 0) + ms;
  }
  return total;
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** Waits until `pids` together use at most maxCpuMs of CPU within one look of windowMs. */
export async function waitUntilQuiet(
  pids: readonly number[],
  options: QuietOptions = {},
): Promise<QuietResult> {
  const windowMs = options.windowMs ?? 100;
  const maxCpuMs = options.maxCpuMs ?? 10;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const start = performance.now();
  const waited = (): number => (performance.now() - start) / 1000;
  let before = totalCpu(pids);
  if (before === undefined) return { waitedSeconds: 0, state: 'unmeasured' };
  for (;;) {
    await sleep(windowMs);
    const after = totalCpu(pids);
    if (after === undefined) return { waitedSeconds: waited(), state: 'unmeasured' };
    if (after - before <= maxCpuMs) return { waitedSeconds: waited(), state: 'quiet' };
    if (performance.now() - start >= timeoutMs) return { waitedSeconds: waited(), state: 'busy' };
    before = after;
  }
}
