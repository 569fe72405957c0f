/**
 * Running programs and small file-system helpers shared by the steps.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { findOnPath } from './layout';

export interface RunResult {
  readonly status: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the program could not be started at all (not found, not executable). */
  readonly spawnError: string | undefined;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/** Runs a program to completion, capturing its output as text. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): RunResult {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    timeout: opts.timeoutMs,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
    spawnError: r.error?.message,
  };
}

/** Runs a program with its output going to `logFile` (overwritten); returns its exit status. */
export function runToFile(
  cmd: string,
  args: readonly string[],
  logFile: string,
  opts: RunOptions = {},
): { status: number | null; spawnError: string | undefined } {
  const fd = fs.openSync(logFile, 'w');
  try {
    const r = spawnSync(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      timeout: opts.timeoutMs,
      stdio: ['ignore', fd, fd],
    });
    return { status: r.status, spawnError: r.error?.message };
  } finally {
    fs.closeSync(fd);
  }
}

/** The first non-empty line of a program's error output, for a one-line reason. */
export function firstErrorLine(r: RunResult): string {
  if (r.spawnError !== undefined) return r.spawnError;
  const lines = `${r.stderr}\n${r.stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const error = lines.find((l) => /^(ERROR|error|npm error)\b/.test(l));
  return error ?? lines.at(-1) ?? `exit status ${String(r.status)}`;
}

export function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Whether anything (even a dangling link) exists at `p`. */
export function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Looks a program up on this process's PATH. */
export function which(name: string): string | undefined {
  return findOnPath(name, process.env.PATH, isExecutable);
}

/** Removes a file, link or folder if it is there. */
export function remove(p: string): void {
  fs.rmSync(p, { recursive: true, force: true });
}
