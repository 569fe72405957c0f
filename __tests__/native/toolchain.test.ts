import { describe, expect, it } from '@jest/globals';
import {
  checkToolchain,
  findCompiler,
  findGypPython,
  findNodeGyp,
  findNodeHeaders,
  type Probe,
} from '../../src/native/toolchain';
import type { Env } from '../../src/native/options';

const NPM_GYP = '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js';

/** A machine with these files; every file is executable. */
function machine(files: string[], env: Env = {}, npmRoot?: string): Probe {
  const set = new Set(files);
  return {
    env: { PATH: '/usr/local/bin:/usr/bin', ...env },
    execPath: '/usr/bin/node',
    nodeVersion: '20.20.2',
    homeDir: '/home/u',
    isFile: (f) => set.has(f),
    isExecutable: (f) => set.has(f),
    npmGlobalRoot: () => npmRoot,
  };
}

const FULL = [
  '/usr/bin/g++',
  '/usr/bin/make',
  '/usr/bin/python3',
  '/usr/include/node/node_api.h',
  NPM_GYP,
];

describe('checkToolchain', () => {
  it('finds everything on a Debian-like machine', () => {
    expect(checkToolchain(machine(FULL))).toEqual({ nodeGyp: NPM_GYP, nodeDir: '/usr' });
  });

  it('names every missing tool in one error', () => {
    expect(() => checkToolchain(machine([NPM_GYP]))).toThrow(
      /^building the binding needs a C\+\+ compiler, make, Python 3 \(node-gyp runs gyp with it\), the Node.js 20\.20\.2 headers, not found\. install g\+\+ .*; install make .*; install python3 or set PYTHON .*; .*npm_config_nodedir/,
    );
  });

  it('asks for node-gyp when npm does not bundle it', () => {
    expect(() => checkToolchain(machine(FULL.filter((f) => f !== NPM_GYP)))).toThrow(
      /needs node-gyp, not found.*npm_config_node_gyp/,
    );
  });
});

describe('findCompiler', () => {
  it.each([
    [['/usr/bin/c++'], {}, '/usr/bin/c++'],
    [['/usr/bin/g++', '/usr/bin/clang++'], { CXX: 'clang++ -std=c++17' }, '/usr/bin/clang++'],
    [['/usr/bin/g++'], { CXX: 'clang++' }, undefined],
    [['/usr/bin/clang++'], {}, '/usr/bin/clang++'],
  ])('%j with %j -> %s', (files, env, expected) => {
    expect(findCompiler(machine(files, env))).toBe(expected);
  });
});

describe('findGypPython', () => {
  it.each([
    [['/usr/bin/python3'], {}, '/usr/bin/python3'],
    [['/usr/bin/python'], {}, '/usr/bin/python'],
    [
      ['/usr/bin/python3', '/opt/py/bin/python3'],
      { PYTHON: '/opt/py/bin/python3' },
      '/opt/py/bin/python3',
    ],
    [['/usr/bin/python3'], { PYTHON: '/missing/python' }, undefined],
    [[], {}, undefined],
  ])('%j with %j -> %s', (files, env, expected) => {
    expect(findGypPython(machine(files, env))).toBe(expected);
  });
});

describe('findNodeHeaders', () => {
  it.each([
    [['/usr/include/node/node_api.h'], {}, { found: true, nodeDir: '/usr' }],
    [['/h/include/node/node_api.h'], { npm_config_nodedir: '/h' }, { found: true, nodeDir: '/h' }],
    [
      ['/usr/include/node/node_api.h'],
      { npm_config_nodedir: '/h' },
      { found: false, nodeDir: '/h' },
    ],
    [
      ['/home/u/.cache/node-gyp/20.20.2/include/node/node_api.h'],
      {},
      { found: true, nodeDir: undefined },
    ],
    [
      ['/x/node-gyp/20.20.2/include/node/node_api.h'],
      { XDG_CACHE_HOME: '/x' },
      { found: true, nodeDir: undefined },
    ],
    [[], {}, { found: false, nodeDir: undefined }],
  ])('%j with %j -> %j', (files, env, expected) => {
    expect(findNodeHeaders(machine(files, env))).toEqual(expected);
  });
});

describe('findNodeGyp', () => {
  it.each([
    [
      ['/g/node-gyp.js', NPM_GYP],
      { npm_config_node_gyp: '/g/node-gyp.js' },
      undefined,
      '/g/node-gyp.js',
    ],
    [
      ['/n/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'],
      { npm_execpath: '/n/lib/node_modules/npm/bin/npm-cli.js' },
      undefined,
      '/n/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    ],
    [[NPM_GYP], {}, undefined, NPM_GYP],
    [
      ['/r/npm/node_modules/node-gyp/bin/node-gyp.js'],
      {},
      '/r',
      '/r/npm/node_modules/node-gyp/bin/node-gyp.js',
    ],
    [['/usr/local/bin/node-gyp'], {}, undefined, '/usr/local/bin/node-gyp'],
    [[], {}, undefined, undefined],
  ])('%j with %j (npm root %s) -> %s', (files, env, root, expected) => {
    expect(findNodeGyp(machine(files, env, root))).toBe(expected);
  });
});
