/**
 * What `setup:native` was asked to do: its command-line flags and the environment variables that
 * point it at a TensorFlow wheel, an installed TensorFlow, a cache folder or a Python. Pure: the
 * environment, the home folder and the working folder are arguments.
 */
import * as path from 'node:path';
import { SetupError } from './messages';

/** The tfjs-node release this project pins; it must match the project's @tensorflow/tfjs. */
export const TFJS_NODE_PACKAGE = '@tensorflow/tfjs-node';
export const TFJS_NODE_VERSION = '4.22.0';

/** The TensorFlow Python wheel whose libtensorflow the binding is built against. */
export const TF_PIP_PACKAGE = 'tensorflow-cpu';
export const DEFAULT_TF_VERSION = '2.21.0';

/** The environment variables this script reads. */
export const ENV = {
  wheel: 'TFJS_KERAS_RNN_TF_WHEEL',
  tfDir: 'TFJS_KERAS_RNN_TF_DIR',
  cacheDir: 'TFJS_KERAS_RNN_CACHE_DIR',
  python: 'TFJS_KERAS_RNN_PYTHON',
  tfVersion: 'TFJS_KERAS_RNN_TF_VERSION',
} as const;

export type Env = Readonly<Partial<Record<string, string>>>;

export interface CliArgs {
  /** `setup` builds the binding, `undo` removes it, `help` prints the usage. */
  readonly mode: 'setup' | 'undo' | 'help';
  /** With `undo`: also delete the extracted libtensorflow cache. */
  readonly removeCache: boolean;
}

/** The command that runs setup:native from an installed package (a checkout: `npm run setup:native`). */
export const SETUP_COMMAND = 'npx tfjs-keras-rnn setup-native';

export const USAGE = `Usage: ${SETUP_COMMAND} [--undo [--remove-cache]]
       (in a checkout of tfjs-keras-rnn: npm run setup:native [-- --undo [--remove-cache]])

Builds @tensorflow/tfjs-node ${TFJS_NODE_VERSION} against the libtensorflow that ships in the
${TF_PIP_PACKAGE} Python wheel, so useBackend('auto') picks the 'tensorflow' backend.

  (no flag)        build it; does nothing when @tensorflow/tfjs-node already loads
  --undo           remove the built binding and its deps/ links (tfjs-node stays installed)
  --remove-cache   with --undo: also delete the extracted libtensorflow cache
  --help           this text

Environment: ${ENV.wheel}=<wheel file>, ${ENV.tfDir}=<installed tensorflow folder>,
${ENV.cacheDir}=<cache folder>, ${ENV.python}=<python with pip>, ${ENV.tfVersion}=<x.y.z>.
See docs/native-backend.md.`;

/** Reads the command-line flags; throws a usage error for anything else. */
export function parseArgs(argv: readonly string[]): CliArgs {
  let undo = false;
  let removeCache = false;
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') return { mode: 'help', removeCache: false };
    else if (arg === '--undo') undo = true;
    else if (arg === '--remove-cache') removeCache = true;
    else {
      throw new SetupError(
        `unknown argument ${JSON.stringify(arg)}`,
        'use no argument to build, `--undo` to remove the build, `--undo --remove-cache` to remove the cache too, `--help` for the usage',
        'usage',
      );
    }
  }
  if (removeCache && !undo) {
    throw new SetupError(
      '`--remove-cache` was given without `--undo`',
      `run \`${SETUP_COMMAND} --undo --remove-cache\``,
      'usage',
    );
  }
  return { mode: undo ? 'undo' : 'setup', removeCache };
}

export interface Options {
  /** The project root: the folder with package.json and node_modules. */
  readonly projectDir: string;
  /** The pinned TensorFlow version (`x.y.z`). */
  readonly tfVersion: string;
  /** The folder that holds `libtensorflow-<version>/` and the last build log. */
  readonly cacheRoot: string;
  /** `cacheRoot/libtensorflow-<version>`: the extracted libraries and headers. */
  readonly cacheDir: string;
  /** A TensorFlow wheel file to extract instead of downloading one. */
  readonly wheel: string | undefined;
  /** An installed TensorFlow package folder to copy from instead of downloading. */
  readonly tfDir: string | undefined;
  /** The Python that runs `-m pip download`. */
  readonly python: string;
}

export interface Context {
  readonly env: Env;
  readonly projectDir: string;
  readonly homeDir: string;
  /** Where relative paths in the environment are taken from. */
  readonly cwd: string;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** The default cache root: `${XDG_CACHE_HOME:-~/.cache}/tfjs-keras-rnn`. */
export function defaultCacheRoot(env: Env, homeDir: string): string {
  const xdg = nonEmpty(env.XDG_CACHE_HOME);
  const base = xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(homeDir, '.cache');
  return path.join(base, 'tfjs-keras-rnn');
}

/** Turns the environment into options; throws for contradictory or malformed settings. */
export function resolveOptions(ctx: Context): Options {
  const { env } = ctx;
  // `npm run` starts scripts in the project root; INIT_CWD is where the user typed the command.
  const base = nonEmpty(env.INIT_CWD) ?? ctx.cwd;
  const asPath = (value: string | undefined): string | undefined =>
    value === undefined ? undefined : path.resolve(base, value);

  const tfVersion = nonEmpty(env[ENV.tfVersion]) ?? DEFAULT_TF_VERSION;
  if (!/^\d+\.\d+\.\d+$/.test(tfVersion)) {
    throw new SetupError(
      `${ENV.tfVersion} must be a version like ${DEFAULT_TF_VERSION}, received ${JSON.stringify(tfVersion)}`,
      `unset it to use the pinned ${DEFAULT_TF_VERSION}`,
      'usage',
    );
  }
  const wheel = asPath(nonEmpty(env[ENV.wheel]));
  const tfDir = asPath(nonEmpty(env[ENV.tfDir]));
  if (wheel !== undefined && tfDir !== undefined) {
    throw new SetupError(
      `both ${ENV.wheel} and ${ENV.tfDir} are set`,
      'set only one of them: a wheel file, or an installed TensorFlow folder',
      'usage',
    );
  }
  const cacheRoot = asPath(nonEmpty(env[ENV.cacheDir])) ?? defaultCacheRoot(env, ctx.homeDir);
  return {
    projectDir: ctx.projectDir,
    tfVersion,
    cacheRoot,
    cacheDir: path.join(cacheRoot, `libtensorflow-${tfVersion}`),
    wheel,
    tfDir,
    python: nonEmpty(env[ENV.python]) ?? 'python3',
  };
}

/** The pip requirement and command line that fetch the pinned wheel. */
export function pipDownloadArgs(tfVersion: string, dest: string): string[] {
  return [
    '-m',
    'pip',
    'download',
    '--no-deps',
    '--retries',
    '0',
    '--only-binary=:all:',
    '--dest',
    dest,
    `${TF_PIP_PACKAGE}==${tfVersion}`,
  ];
}
