/**
 * The libtensorflow cache: the two shared libraries and the C headers out of the TensorFlow
 * wheel, kept outside node_modules so `npm ci` does not cost another download. It is filled in a
 * side folder and renamed into place with its marker last, so it is either complete or absent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENV, TF_PIP_PACKAGE, pipDownloadArgs, type Options } from './options';
import {
  TF_FILES,
  WHEEL_PACKAGE_DIR,
  cacheLayout,
  parseWheelName,
  requiredCacheFiles,
  tensorflowDirCandidates,
  versionFromDistInfo,
  wheelMembers,
  type CacheLayout,
} from './layout';
import { SetupError, noWheelError } from './messages';
import { exists, firstErrorLine, isFile, remove, run, which } from './proc';

/** Where the libraries will come from, decided before anything is written. */
export type LibSource =
  | { readonly kind: 'cache' }
  | { readonly kind: 'wheel'; readonly file: string }
  | { readonly kind: 'dir'; readonly dir: string }
  | { readonly kind: 'pip'; readonly python: string };

/** About what a wheel download plus its extraction needs on disk (274 MB + 1.1 GB). */
const NEEDED_BYTES = 1.5e9;

interface Marker {
  readonly tfVersion: string;
  readonly source: string;
  readonly createdAt: string;
}

function readMarker(file: string): Marker | undefined {
  try {
    const value: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof value !== 'object' || value === null) return undefined;
    const tfVersion: unknown = Reflect.get(value, 'tfVersion');
    const source: unknown = Reflect.get(value, 'source');
    const createdAt: unknown = Reflect.get(value, 'createdAt');
    if (typeof tfVersion !== 'string' || typeof source !== 'string') return undefined;
    return { tfVersion, source, createdAt: typeof createdAt === 'string' ? createdAt : '' };
  } catch {
    return undefined;
  }
}

/** True when the cache holds both libraries, the headers and a marker for this version. */
export function isCacheComplete(layout: CacheLayout, tfVersion: string): boolean {
  if (!requiredCacheFiles(layout).every(isFile)) return false;
  return readMarker(layout.marker)?.tfVersion === tfVersion;
}

/** Where the cached libraries came from, for messages. */
export function cacheSource(layout: CacheLayout): string | undefined {
  return readMarker(layout.marker)?.source;
}

function checkWheel(file: string, tfVersion: string): LibSource {
  if (!isFile(file)) {
    throw new SetupError(
      `${ENV.wheel} points at ${file}, which is not a file`,
      `point it at a downloaded ${TF_PIP_PACKAGE.replace('-', '_')}-${tfVersion}-*.whl, or unset it to download with pip`,
    );
  }
  const name = parseWheelName(file);
  if (name?.version !== tfVersion) {
    throw new SetupError(
      `${ENV.wheel} points at ${path.basename(file)}, not a TensorFlow ${tfVersion} wheel`,
      `use ${TF_PIP_PACKAGE}==${tfVersion} (or tensorflow==${tfVersion}), or set ${ENV.tfVersion} to the wheel's version`,
    );
  }
  return { kind: 'wheel', file };
}

function hasLibraries(dir: string): boolean {
  return [TF_FILES.cc, TF_FILES.framework, TF_FILES.cApiHeader].every((f) =>
    isFile(path.join(dir, f)),
  );
}

function checkTfDir(given: string, tfVersion: string): LibSource {
  const dir = tensorflowDirCandidates(given).find(hasLibraries);
  if (dir === undefined) {
    throw new SetupError(
      `${ENV.tfDir} points at ${given}, which holds no ${TF_FILES.cc}, ${TF_FILES.framework} and ${TF_FILES.cApiHeader}`,
      `point it at an installed TensorFlow ${tfVersion} package folder (python3 -c "import tensorflow, os; print(os.path.dirname(tensorflow.__file__))")`,
    );
  }
  let siblings: string[] = [];
  try {
    siblings = fs.readdirSync(path.dirname(dir));
  } catch {
    // No listing: the version stays unknown.
  }
  const version = versionFromDistInfo(siblings);
  if (version !== undefined && version !== tfVersion) {
    throw new SetupError(
      `${ENV.tfDir} points at TensorFlow ${version}, not ${tfVersion}`,
      `install tensorflow-cpu==${tfVersion} there, or set ${ENV.tfVersion}=${version} to build against it`,
    );
  }
  return { kind: 'dir', dir };
}

function checkPip(opts: Options): LibSource {
  const r = run(opts.python, ['-m', 'pip', '--version'], { timeoutMs: 60_000 });
  if (r.status !== 0) {
    const reason =
      r.spawnError !== undefined
        ? `${opts.python} not found`
        : `${opts.python} -m pip does not run: ${firstErrorLine(r)}`;
    throw noWheelError(reason, ENV, opts.tfVersion, TF_PIP_PACKAGE);
  }
  return { kind: 'pip', python: opts.python };
}

function checkFreeSpace(dir: string): void {
  let probeDir = dir;
  while (!exists(probeDir) && path.dirname(probeDir) !== probeDir)
    probeDir = path.dirname(probeDir);
  const stats = fs.statfsSync(probeDir);
  const free = stats.bavail * stats.bsize;
  if (free < NEEDED_BYTES) {
    throw new SetupError(
      `only ${(free / 1e9).toFixed(1)} GB free under ${probeDir}; the libtensorflow cache needs about ${(NEEDED_BYTES / 1e9).toFixed(1)} GB`,
      `free some space or set ${ENV.cacheDir} to a folder on a larger disk`,
    );
  }
}

/** Decides where the libraries come from, checking that source works; writes nothing. */
export function planSource(opts: Options): LibSource {
  if (isCacheComplete(cacheLayout(opts.cacheDir), opts.tfVersion)) return { kind: 'cache' };
  const source =
    opts.wheel !== undefined
      ? checkWheel(opts.wheel, opts.tfVersion)
      : opts.tfDir !== undefined
        ? checkTfDir(opts.tfDir, opts.tfVersion)
        : checkPip(opts);
  checkFreeSpace(opts.cacheRoot);
  return source;
}

function extractWheel(wheel: string, dest: string, python: string): void {
  const { files, dirPrefix } = wheelMembers();
  const unzip = which('unzip');
  const r =
    unzip !== undefined
      ? run(unzip, ['-q', '-o', wheel, ...files, `${dirPrefix}*`, '-d', dest])
      : run(python, [
          '-c',
          [
            'import sys, zipfile',
            'wheel, dest, prefix, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]',
            'z = zipfile.ZipFile(wheel)',
            'z.extractall(dest, [m for m in z.namelist() if m in files or m.startswith(prefix)])',
          ].join('\n'),
          wheel,
          dest,
          dirPrefix,
          ...files,
        ]);
  // unzip's status 11 is "no matching files": a wheel without the libraries, reported below.
  if (r.status !== 0 && !(unzip !== undefined && r.status === 11)) {
    throw new SetupError(
      `could not extract ${path.basename(wheel)} (${firstErrorLine(r)})`,
      `install unzip or python3, or check that the wheel is not truncated (delete it and run again)`,
    );
  }
  const pkg = path.join(dest, WHEEL_PACKAGE_DIR);
  if (!hasLibraries(pkg)) {
    throw new SetupError(
      `${path.basename(wheel)} holds no ${TF_FILES.cc}, ${TF_FILES.framework} and C headers`,
      `use a Linux ${TF_PIP_PACKAGE} wheel of TensorFlow 2.x (point ${ENV.wheel} at it)`,
    );
  }
  const layout = cacheLayout(dest);
  fs.mkdirSync(layout.lib, { recursive: true });
  fs.renameSync(path.join(pkg, TF_FILES.cc), layout.ccLib);
  fs.renameSync(path.join(pkg, TF_FILES.framework), layout.frameworkLib);
  fs.renameSync(path.join(pkg, TF_FILES.include), layout.include);
  remove(pkg);
}

/** A hard link when source and cache share a disk (free and independent of the source), else a copy. */
function linkOrCopy(from: string, to: string): void {
  try {
    fs.linkSync(from, to);
  } catch {
    fs.copyFileSync(from, to);
  }
}

function copyFromDir(dir: string, dest: string): void {
  const layout = cacheLayout(dest);
  fs.mkdirSync(layout.lib, { recursive: true });
  linkOrCopy(path.join(dir, TF_FILES.cc), layout.ccLib);
  linkOrCopy(path.join(dir, TF_FILES.framework), layout.frameworkLib);
  fs.cpSync(path.join(dir, TF_FILES.include), layout.include, { recursive: true });
}

function downloadWheel(python: string, tfVersion: string, dir: string, log: Log): string {
  log(`downloading ${TF_PIP_PACKAGE}==${tfVersion} with ${python} -m pip (about 275 MB)...`);
  const r = run(python, pipDownloadArgs(tfVersion, dir), { timeoutMs: 30 * 60_000 });
  const wheel = fs.existsSync(dir)
    ? fs.readdirSync(dir).find((f) => f.endsWith('.whl'))
    : undefined;
  if (r.status !== 0 || wheel === undefined) {
    throw noWheelError(`pip download failed: ${firstErrorLine(r)}`, ENV, tfVersion, TF_PIP_PACKAGE);
  }
  return path.join(dir, wheel);
}

export type Log = (line: string) => void;

function describeSource(source: LibSource, tfVersion: string): string {
  switch (source.kind) {
    case 'cache':
      return 'cache';
    case 'wheel':
      return source.file;
    case 'dir':
      return source.dir;
    case 'pip':
      return `pip ${TF_PIP_PACKAGE}==${tfVersion}`;
  }
}

/** Removes side folders that runs which were killed left behind (their process is gone). */
function removeStaleSideFolders(cacheRoot: string): void {
  if (!fs.existsSync(cacheRoot)) return;
  for (const name of fs.readdirSync(cacheRoot)) {
    const pid = /^\.(?:download|partial)-.*-(\d+)$/.exec(name)?.[1];
    if (pid === undefined || isAlive(Number(pid))) continue;
    remove(path.join(cacheRoot, name));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Fills the cache from `source` (a no-op for `cache`) and returns its layout. */
export function fillCache(opts: Options, source: LibSource, log: Log): CacheLayout {
  const layout = cacheLayout(opts.cacheDir);
  if (source.kind === 'cache') {
    log(`using the cached libtensorflow ${opts.tfVersion} in ${layout.dir}`);
    return layout;
  }
  fs.mkdirSync(opts.cacheRoot, { recursive: true });
  removeStaleSideFolders(opts.cacheRoot);
  const tag = `${path.basename(opts.cacheDir)}-${process.pid}`;
  const partial = path.join(opts.cacheRoot, `.partial-${tag}`);
  const download = path.join(opts.cacheRoot, `.download-${tag}`);
  const started = Date.now();
  try {
    fs.mkdirSync(partial);
    if (source.kind === 'dir') {
      log(`copying libtensorflow ${opts.tfVersion} from ${source.dir}...`);
      copyFromDir(source.dir, partial);
    } else {
      const wheel =
        source.kind === 'wheel'
          ? source.file
          : downloadWheel(source.python, opts.tfVersion, download, log);
      log(`extracting the libraries and headers from ${path.basename(wheel)}...`);
      extractWheel(wheel, partial, opts.python);
    }
    const marker: Marker = {
      tfVersion: opts.tfVersion,
      source: describeSource(source, opts.tfVersion),
      createdAt: new Date().toISOString(),
    };
    fs.writeFileSync(cacheLayout(partial).marker, `${JSON.stringify(marker, null, 2)}\n`);
    remove(layout.dir); // an incomplete leftover, never a complete cache (checked by planSource)
    fs.renameSync(partial, layout.dir);
  } finally {
    remove(partial);
    remove(download);
  }
  log(`libtensorflow ${opts.tfVersion} cached in ${layout.dir} (${secondsSince(started)} s)`);
  return layout;
}

export function secondsSince(start: number): string {
  return ((Date.now() - start) / 1000).toFixed(1);
}

/** Deletes the cache for this version and the build log; the cache root too when left empty. */
export function removeCache(opts: Options, log: Log): void {
  const layout = cacheLayout(opts.cacheDir);
  if (exists(layout.dir)) {
    remove(layout.dir);
    log(`removed the libtensorflow cache ${layout.dir}`);
  } else {
    log(`no libtensorflow cache at ${layout.dir}`);
  }
  remove(buildLogPath(opts));
  try {
    fs.rmdirSync(opts.cacheRoot);
  } catch {
    // Not empty (other versions) or absent: leave it.
  }
}

/** Where the last build's compiler output is kept. */
export function buildLogPath(opts: Options): string {
  return path.join(opts.cacheRoot, 'build.log');
}
