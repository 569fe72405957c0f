/**
 * The setup:native command: builds @tensorflow/tfjs-node's binding against the libtensorflow
 * inside the TensorFlow Python wheel, or with `--undo [--remove-cache]` takes it away again.
 * `npx tfjs-keras-rnn setup-native` runs it in the project that installed this package, and
 * `npm run setup:native` in a checkout of it. See docs/native-backend.md.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SetupError, formatFailure } from './messages';
import { USAGE, parseArgs, resolveOptions } from './options';
import { SetupFailure, setup, undo } from './setup';

/** Where the command writes; replaced in tests. */
export interface SetupOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * The project whose node_modules gets tfjs-node: the one that installed this package (the
 * folder around its `node_modules`), or the package's own folder in a checkout.
 */
export function projectDirOf(packageDir: string): string {
  const parent = path.dirname(packageDir);
  if (path.basename(parent) === 'node_modules') return path.dirname(parent);
  // A scoped install: node_modules/@scope/package.
  const grandparent = path.dirname(parent);
  if (path.basename(parent).startsWith('@') && path.basename(grandparent) === 'node_modules') {
    return path.dirname(grandparent);
  }
  return packageDir;
}

/** This package's folder: the nearest folder above this file with its package.json. */
export function ownPackageDir(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return from;
  }
}

/** Runs the command with `argv` (its flags) for `projectDir`; returns the exit status. */
export function runSetupNative(
  argv: readonly string[],
  projectDir: string,
  io: SetupOutput,
): number {
  const log = (line: string): void => {
    io.out(`setup:native: ${line}`);
  };
  try {
    const args = parseArgs(argv);
    const opts = resolveOptions({
      env: process.env,
      projectDir,
      homeDir: os.homedir(),
      cwd: process.cwd(),
    });
    if (args.mode === 'help') io.out(USAGE);
    else if (args.mode === 'undo') undo(opts, args.removeCache, log);
    else setup(opts, log);
    return 0;
  } catch (err) {
    const known =
      err instanceof SetupFailure ? err.error : err instanceof SetupError ? err : undefined;
    if (known === undefined) throw err;
    io.err(formatFailure(known, err instanceof SetupFailure ? err.state : undefined));
    return known.kind === 'usage' ? 2 : 1;
  }
}
