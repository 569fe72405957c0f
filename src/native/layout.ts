/**
 * Where things go: the cache folder's layout, the links staged in tfjs-node's `deps/`, the names
 * inside a TensorFlow wheel, and looking up programs on PATH. Pure: file checks are arguments.
 */
import * as path from 'node:path';

/** The members of a TensorFlow wheel (or folders of an installed TensorFlow) that are kept. */
export const TF_FILES = {
  cc: 'libtensorflow_cc.so.2',
  framework: 'libtensorflow_framework.so.2',
  include: 'include',
  /** A header that proves `include/` is the C API's. */
  cApiHeader: path.join('include', 'tensorflow', 'c', 'c_api.h'),
} as const;

/** The wheel's top-level package folder. */
export const WHEEL_PACKAGE_DIR = 'tensorflow';

export interface CacheLayout {
  readonly dir: string;
  readonly lib: string;
  readonly ccLib: string;
  readonly frameworkLib: string;
  readonly include: string;
  readonly cApiHeader: string;
  /** Written last: its presence means the folder is complete. */
  readonly marker: string;
}

export function cacheLayout(cacheDir: string): CacheLayout {
  const lib = path.join(cacheDir, 'lib');
  return {
    dir: cacheDir,
    lib,
    ccLib: path.join(lib, TF_FILES.cc),
    frameworkLib: path.join(lib, TF_FILES.framework),
    include: path.join(cacheDir, TF_FILES.include),
    cApiHeader: path.join(cacheDir, TF_FILES.cApiHeader),
    marker: path.join(cacheDir, 'complete.json'),
  };
}

/** The files that must all exist for the cache to be usable. */
export function requiredCacheFiles(layout: CacheLayout): string[] {
  return [layout.marker, layout.ccLib, layout.frameworkLib, layout.cApiHeader];
}

/** The wheel members to extract: the two libraries and the whole `include/` tree. */
export function wheelMembers(): { files: string[]; dirPrefix: string } {
  return {
    files: [TF_FILES.cc, TF_FILES.framework].map((f) => `${WHEEL_PACKAGE_DIR}/${f}`),
    dirPrefix: `${WHEEL_PACKAGE_DIR}/${TF_FILES.include}/`,
  };
}

/** The libtensorflow version tfjs-node 4.22's own installer would have put in `deps/`. */
export const UPSTREAM_LIBTENSORFLOW_VERSION = '2.9.1';

export interface StagedLink {
  /** Relative to tfjs-node's `deps/`. */
  readonly name: string;
  /** Absolute path in the cache. */
  readonly target: string;
}

/**
 * The links in tfjs-node's `deps/`. `libtensorflow.so` and `libtensorflow_framework.so` are what
 * the linker's `-ltensorflow -ltensorflow_framework` look for; the binding then records the
 * libraries' SONAMEs (`libtensorflow_cc.so.2`, `libtensorflow_framework.so.2`), which its rpath
 * `$ORIGIN/../../deps/lib` finds at run time. The `.so.2.9.1` names are the ones upstream's
 * installer checks, so it would not download over them if its script were ever run.
 */
export function stagingLinks(layout: CacheLayout): StagedLink[] {
  const v = UPSTREAM_LIBTENSORFLOW_VERSION;
  const cc = ['libtensorflow.so', 'libtensorflow.so.2', `libtensorflow.so.${v}`, TF_FILES.cc];
  const fw = ['libtensorflow_framework.so', TF_FILES.framework, `libtensorflow_framework.so.${v}`];
  return [
    ...cc.map((name) => ({ name: path.join('lib', name), target: layout.ccLib })),
    ...fw.map((name) => ({ name: path.join('lib', name), target: layout.frameworkLib })),
    { name: TF_FILES.include, target: layout.include },
  ];
}

/** The file in `deps/` that marks it as staged by this script (and says from where). */
export const STAGING_MARKER = 'staged-by-tfjs-keras-rnn.json';

/**
 * Whether `name`, a folder in tfjs-node's package, is build output that an undo or a failed run
 * removes: `lib/` (the binding), `build/` and node-pre-gyp's `build-tmp-napi-v8/`. The published
 * package has none of them.
 */
export function isBuildOutput(name: string): boolean {
  return name === 'lib' || name === 'build' || name.startsWith('build-tmp-');
}

export interface WheelName {
  readonly project: string;
  readonly version: string;
}

/** `tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl` -> tensorflow_cpu, 2.21.0. */
export function parseWheelName(file: string): WheelName | undefined {
  const m = /^(tensorflow(?:[_-]cpu)?)-([^-]+)-.+\.whl$/i.exec(path.basename(file));
  if (m === null) return undefined;
  const [, project, version] = m;
  return { project, version };
}

/** The TensorFlow version recorded by a `tensorflow*-x.y.z.dist-info` folder name, if any. */
export function versionFromDistInfo(names: readonly string[]): string | undefined {
  for (const name of names) {
    const m = /^tensorflow(?:[_-]cpu)?-(\d[^-]*)\.dist-info$/i.exec(name);
    if (m?.[1] !== undefined) return m[1];
  }
  return undefined;
}

/**
 * The TensorFlow package folder inside what the user pointed at: the folder itself when it holds
 * the libraries, else its `tensorflow/` child (a site-packages folder).
 */
export function tensorflowDirCandidates(dir: string): string[] {
  return [dir, path.join(dir, WHEEL_PACKAGE_DIR)];
}

/** The first `dir/name` on a PATH-style list that `isExecutable` accepts. */
export function findOnPath(
  name: string,
  pathVar: string | undefined,
  isExecutable: (file: string) => boolean,
): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const dir of (pathVar ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, name);
    if (isExecutable(file)) return file;
  }
  return undefined;
}
