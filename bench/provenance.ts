/**
 * Where and how a bench result was made: the machine, the commit (and whether src/ differed
 * from it), and the command line as the user typed it. Shared by bench/run.ts and bench/soak.ts.
 */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import { ROOT } from './workers';

export interface Machine {
  cpu: string;
  cores: number;
  memoryBytes: number;
  platform: string;
}

export interface GitState {
  commit: string;
  /** Whether src/ had uncommitted changes (the bench runs the working tree). */
  srcChanged: boolean;
}

export function machine(): Machine {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
}

/** The commit and whether src/ differs from it; null outside a git checkout. */
export function gitState(): GitState | null {
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    return {
      commit: git('rev-parse', 'HEAD').trim(),
      srcChanged: git('status', '--porcelain', '--', 'src').trim() !== '',
    };
  } catch {
    return null;
  }
}

/** `npm run SCRIPT -- ARGS` when npm ran `script`, else `tsx FILE ARGS`. */
export function commandLine(script: string, file: string, argv: readonly string[]): string {
  const args = argv.length > 0 ? ` -- ${argv.join(' ')}` : '';
  return process.env.npm_lifecycle_event === script
    ? `npm run ${script}${args}`
    : `tsx ${file} ${argv.join(' ')}`.trim();
}
