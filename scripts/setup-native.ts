/**
 * `npm run setup:native`: builds @tensorflow/tfjs-node's binding against the libtensorflow inside
 * the TensorFlow Python wheel, because upstream's installer downloads a build that can no longer
 * be fetched. `-- --undo [--remove-cache]` takes it away again. See docs/native-backend.md.
 *
 * Exit status: 0 done (or nothing to do), 1 failed (one message says what is missing and how to
 * supply it), 2 bad arguments or environment variables.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { USAGE, parseArgs, resolveOptions, type CliArgs, type Options } from './native/options';
import { SetupError, formatFailure } from './native/messages';
import { SetupFailure, setup, undo } from './native/setup';

const PROJECT_DIR = path.resolve(__dirname, '..');

function log(line: string): void {
  console.log(`setup:native: ${line}`);
}

function fail(err: SetupError, failure: SetupFailure | undefined): number {
  console.error(formatFailure(err, failure?.state));
  return err.kind === 'usage' ? 2 : 1;
}

function readArgsAndOptions(): { args: CliArgs; opts: Options } {
  const args = parseArgs(process.argv.slice(2));
  const opts = resolveOptions({
    env: process.env,
    projectDir: PROJECT_DIR,
    homeDir: os.homedir(),
    cwd: process.cwd(),
  });
  return { args, opts };
}

function main(): number {
  try {
    const { args, opts } = readArgsAndOptions();
    if (args.mode === 'help') console.log(USAGE);
    else if (args.mode === 'undo') undo(opts, args.removeCache, log);
    else setup(opts, log);
    return 0;
  } catch (err) {
    if (err instanceof SetupFailure) return fail(err.error, err);
    if (err instanceof SetupError) return fail(err, undefined);
    throw err;
  }
}

process.exitCode = main();
