/**
 * The two things `setup:native` does: build tfjs-node's binding against the wheel's libtensorflow
 * (unless it already loads), and undo that. Everything that can be checked is checked before the
 * project changes; a failure after that puts tfjs-node back to absent or installed-without-binding.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { SETUP_COMMAND, TFJS_NODE_PACKAGE, TFJS_NODE_VERSION, type Options } from './options';
import { SetupError, type LeftState } from './messages';
import {
  buildLogPath,
  cacheSource,
  fillCache,
  planSource,
  removeCache,
  secondsSince,
  type Log,
} from './libtensorflow';
import { cacheLayout } from './layout';
import { exists, isExecutable, isFile, run } from './proc';
import { checkToolchain, type Probe } from './toolchain';
import {
  builtBinding,
  clearBuild,
  installPackage,
  installedVersion,
  isOurStaging,
  packageDir,
  probe,
  stageDeps,
  stagedCache,
  uninstallPackage,
  buildBinding,
} from './tfjs-node';

/** A failed run: the error to show and the state tfjs-node was left in. */
export class SetupFailure extends Error {
  constructor(
    readonly error: SetupError,
    readonly state: LeftState,
  ) {
    super(error.message);
    this.name = 'SetupFailure';
  }
}

function processProbe(): Probe {
  return {
    env: process.env,
    execPath: process.execPath,
    nodeVersion: process.version.replace(/^v/, ''),
    homeDir: os.homedir(),
    isFile,
    isExecutable,
    npmGlobalRoot: () => {
      const r = run('npm', ['root', '-g'], { timeoutMs: 60_000 });
      return r.status === 0 ? r.stdout.trim() : undefined;
    },
  };
}

/** Looks at tfjs-node after a failure and names its state. */
function leftState(projectDir: string): LeftState {
  if (installedVersion(projectDir) === undefined) return 'absent';
  return exists(path.join(packageDir(projectDir), 'deps'))
    ? 'foreign-deps'
    : 'present-without-binding';
}

/**
 * Puts a tfjs-node that does not load back to what npm installs: no `deps/`, `lib/`, `build/`,
 * unless `deps/` is not ours (then nothing is touched). Removes the package if this run installed it.
 */
function rollBack(projectDir: string, installedHere: boolean, log: Log): void {
  if (installedHere) {
    uninstallPackage(projectDir, log);
    return;
  }
  const pkgDir = packageDir(projectDir);
  if (installedVersion(projectDir) === undefined) return;
  if (exists(path.join(pkgDir, 'deps')) && !isOurStaging(pkgDir)) return;
  clearBuild(pkgDir);
}

function toSetupError(err: unknown): SetupError {
  if (err instanceof SetupError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SetupError(
    `unexpected error: ${message.split('\n')[0] ?? message}`,
    'run it again; if it repeats, report it with the output above',
  );
}

function describeSource(opts: Options, pkgDir: string): string {
  const cache = stagedCache(pkgDir);
  if (cache === undefined) return 'not built by setup:native';
  const from = cacheSource(cacheLayout(cache));
  return `libtensorflow in ${cache}${from !== undefined ? `, from ${from}` : ''}${
    cache === opts.cacheDir ? '' : ' (not the configured cache)'
  }`;
}

/** Builds the binding unless tfjs-node already loads. Throws SetupFailure. */
export function setup(opts: Options, log: Log): void {
  const started = Date.now();
  const { projectDir } = opts;
  const pkgDir = packageDir(projectDir);
  const before = probe(projectDir);
  if (before.ok) {
    log(
      `${TFJS_NODE_PACKAGE} ${before.version} already loads and runs on the 'tensorflow' backend (${describeSource(opts, pkgDir)}); nothing to do.`,
    );
    return;
  }
  log(`${TFJS_NODE_PACKAGE} does not load (${before.reason}); building it.`);
  let installedHere = false;
  try {
    if (process.platform !== 'linux') {
      throw new SetupError(
        `this set-up builds against the Linux TensorFlow wheel; this is ${process.platform}`,
        `on ${process.platform}, install ${TFJS_NODE_PACKAGE} with its own installer, or use the wasm backend`,
      );
    }
    const tools = checkToolchain(processProbe());
    const layout = fillCache(opts, planSource(opts), log);
    const version = installedVersion(projectDir);
    if (version === undefined) {
      installPackage(projectDir, log);
      installedHere = true;
    } else if (version !== TFJS_NODE_VERSION) {
      log(
        `warning: ${TFJS_NODE_PACKAGE} ${version} is installed; this project pins ${TFJS_NODE_VERSION}`,
      );
    }
    clearBuild(pkgDir);
    stageDeps(pkgDir, layout, opts.tfVersion);
    const logFile = buildLogPath(opts);
    log(`building the binding with node-pre-gyp (about 20 s; output in ${logFile})...`);
    const buildStart = Date.now();
    buildBinding(pkgDir, tools, logFile);
    log(`built ${builtBinding(pkgDir) ?? 'the binding'} (${secondsSince(buildStart)} s)`);
    const after = probe(projectDir);
    if (!after.ok) {
      throw new SetupError(
        `the built binding does not load: ${after.reason}`,
        `check that \`ldd ${builtBinding(pkgDir) ?? path.join(pkgDir, 'lib')}\` finds libtensorflow in ${path.join(pkgDir, 'deps', 'lib')}; compiler output is in ${logFile}`,
      );
    }
    log(
      `done in ${secondsSince(started)} s: ${TFJS_NODE_PACKAGE} ${after.version} runs on the 'tensorflow' backend, so useBackend('auto') picks it. Undo with \`${SETUP_COMMAND} --undo\`.`,
    );
  } catch (err) {
    try {
      rollBack(projectDir, installedHere, log);
    } catch {
      // The state below is read from the disk, whatever the roll-back managed.
    }
    throw new SetupFailure(toSetupError(err), leftState(projectDir));
  }
}

/** Removes the binding and the `deps/` links (and with `removeCacheToo`, the cache). */
export function undo(opts: Options, removeCacheToo: boolean, log: Log): void {
  const pkgDir = packageDir(opts.projectDir);
  if (installedVersion(opts.projectDir) === undefined) {
    log(`${TFJS_NODE_PACKAGE} is not installed; no binding to remove.`);
  } else if (exists(path.join(pkgDir, 'deps')) && !isOurStaging(pkgDir)) {
    log(
      `${pkgDir}/deps was not staged by setup:native (upstream's installer?); left as it is. \`npm uninstall ${TFJS_NODE_PACKAGE}\` removes the package.`,
    );
  } else {
    const removed = clearBuild(pkgDir);
    log(
      removed.length === 0
        ? `${TFJS_NODE_PACKAGE} has no binding built by setup:native; nothing to remove.`
        : `removed ${removed.map((r) => `${r}/`).join(', ')} from ${pkgDir}; ${TFJS_NODE_PACKAGE} stays installed without a binding, so useBackend('auto') uses wasm.`,
    );
  }
  if (removeCacheToo) {
    removeCache(opts, log);
  } else if (exists(opts.cacheDir)) {
    log(
      `the libtensorflow cache stays in ${opts.cacheDir}; \`${SETUP_COMMAND} --undo --remove-cache\` deletes it.`,
    );
  }
}
