/**
 * The @tensorflow/tfjs-node package in the project: finding or installing it (without its install
 * script, whose download is broken), staging its `deps/` as links into the cache, building its
 * binding with node-pre-gyp, proving it with a child process, and taking all that away again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TFJS_NODE_PACKAGE, TFJS_NODE_VERSION } from './options';
import { isBuildOutput, STAGING_MARKER, stagingLinks, type CacheLayout } from './layout';
import { SetupError, summarizeBuildLog } from './messages';
import { PROBE_SOURCE, parseProbe, type ProbeResult } from './probe';
import { exists, firstErrorLine, isFile, remove, run, runToFile } from './proc';
import type { Toolchain } from './toolchain';
import type { Log } from './libtensorflow';

/** tfjs-node's folder in the project (npm installs direct dependencies at the top level). */
export function packageDir(projectDir: string): string {
  return path.join(projectDir, 'node_modules', ...TFJS_NODE_PACKAGE.split('/'));
}

/** The installed version, or undefined when the package is absent. */
export function installedVersion(projectDir: string): string | undefined {
  try {
    const value: unknown = JSON.parse(
      fs.readFileSync(path.join(packageDir(projectDir), 'package.json'), 'utf8'),
    );
    if (typeof value !== 'object' || value === null) return undefined;
    const version: unknown = Reflect.get(value, 'version');
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}

/** Loads tfjs-node in a child process and runs one op on the `tensorflow` backend. */
export function probe(projectDir: string): ProbeResult {
  const r = run(process.execPath, ['-e', PROBE_SOURCE], {
    cwd: projectDir,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
    timeoutMs: 120_000,
  });
  if (r.spawnError !== undefined) return { ok: false, reason: r.spawnError };
  return parseProbe(r.status, r.signal, r.stdout, r.stderr);
}

/**
 * The npm that runs this script (`npm run` sets npm_execpath), else `npm` on PATH. Only npm's own
 * CLI: under yarn or pnpm, npm_execpath names theirs, whose flags differ.
 */
function npmCommand(): { cmd: string; args: string[] } {
  const cli = process.env.npm_execpath;
  if (cli !== undefined && path.basename(cli) === 'npm-cli.js' && isFile(cli)) {
    return { cmd: process.execPath, args: [cli] };
  }
  return { cmd: 'npm', args: [] };
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Runs npm so that package.json and package-lock.json stay byte for byte as they were (npm's
 * `--no-save` should already see to that; this puts them back if some npm does not).
 */
function npmKeepingManifests(projectDir: string, args: readonly string[], log: Log): void {
  const manifests = ['package.json', 'package-lock.json'].map((f) => path.join(projectDir, f));
  const before = manifests.map(readIfPresent);
  const npm = npmCommand();
  const r = run(npm.cmd, [...npm.args, ...args], { cwd: projectDir, timeoutMs: 10 * 60_000 });
  manifests.forEach((file, i) => {
    const old = before[i];
    const now = readIfPresent(file);
    if (old !== undefined && (now === undefined || !old.equals(now))) {
      fs.writeFileSync(file, old);
      log(`npm changed ${path.basename(file)}; put it back as it was`);
    }
  });
  if (r.status !== 0) {
    throw new SetupError(
      `\`npm ${args.join(' ')}\` failed: ${firstErrorLine(r)}`,
      `install it yourself with \`npm install --no-save --ignore-scripts ${TFJS_NODE_PACKAGE}@${TFJS_NODE_VERSION}\`, then run setup:native again`,
    );
  }
}

const NPM_QUIET = ['--no-save', '--ignore-scripts', '--no-audit', '--no-fund'];

/** Installs the pinned tfjs-node without running its install script (it downloads). */
export function installPackage(projectDir: string, log: Log): void {
  log(`installing ${TFJS_NODE_PACKAGE}@${TFJS_NODE_VERSION} without its install script...`);
  npmKeepingManifests(
    projectDir,
    ['install', ...NPM_QUIET, '--include=optional', `${TFJS_NODE_PACKAGE}@${TFJS_NODE_VERSION}`],
    log,
  );
  if (installedVersion(projectDir) === undefined) {
    throw new SetupError(
      `npm reported success but ${packageDir(projectDir)} is missing`,
      `check \`npm ls ${TFJS_NODE_PACKAGE}\` and run setup:native again`,
    );
  }
}

/** Takes back an install this run made, so a failed run leaves the package absent as before. */
export function uninstallPackage(projectDir: string, log: Log): void {
  try {
    npmKeepingManifests(projectDir, ['uninstall', ...NPM_QUIET, TFJS_NODE_PACKAGE], log);
  } catch {
    // npm could not: removing the folder still restores "absent" for require().
  }
  remove(packageDir(projectDir));
}

/** True when `deps/` was staged by this script (its marker is there). */
export function isOurStaging(pkgDir: string): boolean {
  return isFile(path.join(pkgDir, 'deps', STAGING_MARKER));
}

/** Removes what staging and a build put in the package: `deps/`, `lib/` and the build folders. */
export function clearBuild(pkgDir: string): string[] {
  const removed: string[] = [];
  const names = fs.existsSync(pkgDir) ? fs.readdirSync(pkgDir).filter(isBuildOutput) : [];
  for (const name of ['deps', ...names]) {
    const p = path.join(pkgDir, name);
    if (exists(p)) {
      remove(p);
      removed.push(name);
    }
  }
  return removed;
}

/** Makes `deps/` a set of links into the cache, with a marker saying where they point. */
export function stageDeps(pkgDir: string, layout: CacheLayout, tfVersion: string): void {
  const deps = path.join(pkgDir, 'deps');
  for (const link of stagingLinks(layout)) {
    const at = path.join(deps, link.name);
    fs.mkdirSync(path.dirname(at), { recursive: true });
    fs.symlinkSync(link.target, at);
  }
  const marker = { tfVersion, cache: layout.dir, stagedAt: new Date().toISOString() };
  fs.writeFileSync(path.join(deps, STAGING_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
}

function nodePreGypBin(pkgDir: string): string {
  try {
    return require.resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp', { paths: [pkgDir] });
  } catch {
    throw new SetupError(
      `${TFJS_NODE_PACKAGE}'s dependency @mapbox/node-pre-gyp is not installed`,
      `reinstall it: \`npm install --no-save --ignore-scripts ${TFJS_NODE_PACKAGE}@${TFJS_NODE_VERSION}\``,
    );
  }
}

/** `node-pre-gyp install --build-from-source` in the package, output to `logFile`. */
export function buildBinding(pkgDir: string, tools: Toolchain, logFile: string): void {
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_node_gyp: tools.nodeGyp };
  if (tools.nodeDir !== undefined) env.npm_config_nodedir = tools.nodeDir;
  const r = runToFile(
    process.execPath,
    [nodePreGypBin(pkgDir), 'install', '--build-from-source'],
    logFile,
    { cwd: pkgDir, env, timeoutMs: 20 * 60_000 },
  );
  if (r.status !== 0) {
    const log = fs.readFileSync(logFile, 'utf8');
    throw new SetupError(
      `building the binding failed: ${r.spawnError ?? summarizeBuildLog(log)}`,
      `see the full compiler output in ${logFile}`,
    );
  }
}

/** The path of the built binding, wherever node-pre-gyp's N-API version put it. */
export function builtBinding(pkgDir: string): string | undefined {
  const lib = path.join(pkgDir, 'lib');
  if (!fs.existsSync(lib)) return undefined;
  for (const dir of fs.readdirSync(lib)) {
    const file = path.join(lib, dir, 'tfjs_binding.node');
    if (isFile(file)) return file;
  }
  return undefined;
}

/** The cache folder the current staging points into, read from its marker. */
export function stagedCache(pkgDir: string): string | undefined {
  try {
    const value: unknown = JSON.parse(
      fs.readFileSync(path.join(pkgDir, 'deps', STAGING_MARKER), 'utf8'),
    );
    if (typeof value !== 'object' || value === null) return undefined;
    const cache: unknown = Reflect.get(value, 'cache');
    return typeof cache === 'string' ? cache : undefined;
  } catch {
    return undefined;
  }
}
