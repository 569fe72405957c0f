/**
 * What building the binding needs besides the libraries: a C++ compiler, make, Python for gyp,
 * the Node.js headers (node-gyp cannot download them here) and node-gyp itself. Checked before
 * anything is changed, and reported all at once.
 */
import * as path from 'node:path';
import type { Env } from './options';
import { findOnPath } from './layout';
import { missingToolsError, type MissingTool } from './messages';

export interface Toolchain {
  /** node-gyp's `bin/node-gyp.js`, passed to node-pre-gyp as `npm_config_node_gyp`. */
  readonly nodeGyp: string;
  /** A folder with `include/node/node_api.h`, passed as `npm_config_nodedir`; undefined: node-gyp's own cache has them. */
  readonly nodeDir: string | undefined;
}

/** What the checks may look at; the real one reads the process and the disk. */
export interface Probe {
  readonly env: Env;
  readonly execPath: string;
  /** `process.version` without the `v`. */
  readonly nodeVersion: string;
  readonly homeDir: string;
  readonly isFile: (file: string) => boolean;
  readonly isExecutable: (file: string) => boolean;
  /** `npm root -g`, asked only when the cheaper guesses miss. */
  readonly npmGlobalRoot: () => string | undefined;
}

const NODE_GYP_IN_NPM = path.join('node_modules', 'node-gyp', 'bin', 'node-gyp.js');

function onPath(p: Probe, name: string): string | undefined {
  return findOnPath(name, p.env.PATH, p.isExecutable);
}

/** The C++ compiler node-gyp's make files will call: `$CXX`, else g++, c++ or clang++. */
export function findCompiler(p: Probe): string | undefined {
  const cxx = p.env.CXX?.trim().split(/\s+/)[0];
  if (cxx !== undefined && cxx !== '') return onPath(p, cxx);
  return ['g++', 'c++', 'clang++'].map((n) => onPath(p, n)).find((f) => f !== undefined);
}

/** The Python node-gyp runs gyp with: `$npm_config_python`, `$PYTHON`, else python3 or python. */
export function findGypPython(p: Probe): string | undefined {
  for (const name of [p.env.npm_config_python, p.env.PYTHON]) {
    if (name !== undefined && name !== '') return onPath(p, name);
  }
  return onPath(p, 'python3') ?? onPath(p, 'python');
}

/**
 * Where the Node.js headers are. `nodeDir` undefined with `found` true means node-gyp's own
 * header cache has them.
 */
export function findNodeHeaders(p: Probe): { found: boolean; nodeDir: string | undefined } {
  const hasHeaders = (dir: string): boolean =>
    p.isFile(path.join(dir, 'include', 'node', 'node_api.h'));
  const configured = p.env.npm_config_nodedir;
  if (configured !== undefined && configured !== '') {
    return { found: hasHeaders(configured), nodeDir: configured };
  }
  const prefix = path.resolve(path.dirname(p.execPath), '..');
  if (hasHeaders(prefix)) return { found: true, nodeDir: prefix };
  const xdg = p.env.XDG_CACHE_HOME;
  const devDir =
    p.env.npm_config_devdir ??
    path.join(xdg !== undefined && xdg !== '' ? xdg : path.join(p.homeDir, '.cache'), 'node-gyp');
  return { found: hasHeaders(path.join(devDir, p.nodeVersion)), nodeDir: undefined };
}

/** node-gyp: `$npm_config_node_gyp`, the one bundled with the running npm, or one on PATH. */
export function findNodeGyp(p: Probe): string | undefined {
  const guesses: string[] = [];
  const configured = p.env.npm_config_node_gyp;
  if (configured !== undefined && configured !== '') guesses.push(configured);
  const npmCli = p.env.npm_execpath;
  if (npmCli !== undefined && npmCli !== '') {
    guesses.push(path.join(path.dirname(path.dirname(npmCli)), NODE_GYP_IN_NPM));
  }
  guesses.push(
    path.resolve(path.dirname(p.execPath), '..', 'lib', 'node_modules', 'npm', NODE_GYP_IN_NPM),
  );
  const found = guesses.find((g) => p.isFile(g));
  if (found !== undefined) return found;
  const root = p.npmGlobalRoot();
  if (root !== undefined) {
    const bundled = path.join(root, 'npm', NODE_GYP_IN_NPM);
    if (p.isFile(bundled)) return bundled;
  }
  return onPath(p, 'node-gyp');
}

/** Checks everything the build needs; throws one error naming all that is missing. */
export function checkToolchain(p: Probe): Toolchain {
  const missing: MissingTool[] = [];
  if (findCompiler(p) === undefined) {
    missing.push({
      name: 'a C++ compiler',
      fix:
        p.env.CXX !== undefined && p.env.CXX !== ''
          ? `CXX=${p.env.CXX} is not on PATH: fix CXX or install g++ (apt-get install g++)`
          : 'install g++ (apt-get install g++) or set CXX to a C++ compiler',
    });
  }
  if (onPath(p, 'make') === undefined) {
    missing.push({ name: 'make', fix: 'install make (apt-get install make)' });
  }
  if (findGypPython(p) === undefined) {
    missing.push({
      name: 'Python 3 (node-gyp runs gyp with it)',
      fix: 'install python3 or set PYTHON to a Python 3',
    });
  }
  const headers = findNodeHeaders(p);
  if (!headers.found) {
    missing.push({
      name: `the Node.js ${p.nodeVersion} headers`,
      fix:
        headers.nodeDir !== undefined
          ? `npm_config_nodedir=${headers.nodeDir} has no include/node/node_api.h: point it at an unpacked node-v${p.nodeVersion}-headers.tar.gz`
          : `install your Node.js distribution's headers (include/node next to ${p.execPath}), or unpack node-v${p.nodeVersion}-headers.tar.gz and set npm_config_nodedir to that folder`,
    });
  }
  const nodeGyp = findNodeGyp(p);
  if (nodeGyp === undefined) {
    missing.push({
      name: 'node-gyp',
      fix: 'install npm (it bundles node-gyp), `npm install -g node-gyp`, or set npm_config_node_gyp to node-gyp.js',
    });
  }
  if (missing.length > 0 || nodeGyp === undefined) throw missingToolsError(missing);
  return { nodeGyp, nodeDir: headers.nodeDir };
}
