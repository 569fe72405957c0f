import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpuMilliseconds, waitUntilQuiet } from '../../bench/quiet';

const hasProc = existsSync(`/proc/${process.pid}/stat`);
const onLinux = hasProc ? it : it.skip;

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('cpuMilliseconds', () => {
  onLinux('reads this process and grows while it computes', () => {
    const before = cpuMilliseconds(process.pid);
    spin(300);
    const after = cpuMilliseconds(process.pid);
    expect(before).toBeDefined();
    expect(after).toBeDefined();
    // Any growth: how much CPU 300 ms of spinning gets depends on the machine's load.
    expect(after ?? 0).toBeGreaterThan(before ?? 0);
  });

  it('is undefined for a process that does not exist', () => {
    expect(cpuMilliseconds(2 ** 30)).toBeUndefined();
  });
});

describe('waitUntilQuiet', () => {
  it('measures nothing without processes it can read', async () => {
    await expect(waitUntilQuiet([])).resolves.toEqual({ waitedSeconds: 0, state: 'unmeasured' });
    await expect(waitUntilQuiet([2 ** 30])).resolves.toEqual({
      waitedSeconds: 0,
      state: 'unmeasured',
    });
  });

  onLinux('returns after one look when the processes are idle', async () => {
    // This process sleeps in the timer while it looks.
    const result = await waitUntilQuiet([process.pid], { windowMs: 100, maxCpuMs: 50 });
    expect(result.state).toBe('quiet');
  });

  onLinux('waits for a busy process, and gives up at the time limit', async () => {
    const busy = spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' });
    try {
      const pid = busy.pid;
      if (pid === undefined) throw new Error('the busy process did not start');
      const result = await waitUntilQuiet([pid], { windowMs: 100, timeoutMs: 600 });
      expect(result.state).toBe('busy');
      // It gives up at the limit, never before it (how long after is the machine's load).
      expect(result.waitedSeconds).toBeGreaterThanOrEqual(0.6);
    } finally {
      busy.kill('SIGKILL');
    }
  });

  onLinux('returns once a busy process stops', async () => {
    // Busy for ~0.8 s after start-up, then idle until killed.
    const busy = spawn(
      process.execPath,
      ['-e', 'const u = Date.now() + 800; while (Date.now() < u); setTimeout(() => {}, 60000);'],
      { stdio: 'ignore' },
    );
    try {
      const pid = busy.pid;
      if (pid === undefined) throw new Error('the busy process did not start');
      const result = await waitUntilQuiet([pid], { windowMs: 100, timeoutMs: 10_000 });
      // It waited (the process was busy at the first look), then saw it stop.
      expect(result.state).toBe('quiet');
      expect(result.waitedSeconds).toBeGreaterThan(0);
    } finally {
      busy.kill('SIGKILL');
    }
  });
});
