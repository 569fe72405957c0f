import { describe, expect, it } from '@jest/globals';
import {
  cacheLayout,
  findOnPath,
  isBuildOutput,
  parseWheelName,
  requiredCacheFiles,
  stagingLinks,
  tensorflowDirCandidates,
  versionFromDistInfo,
  wheelMembers,
} from '../../src/native/layout';

const layout = cacheLayout('/c/libtensorflow-2.21.0');

describe('cacheLayout', () => {
  it('keeps the libraries under lib/ and the headers under include/', () => {
    expect(layout).toEqual({
      dir: '/c/libtensorflow-2.21.0',
      lib: '/c/libtensorflow-2.21.0/lib',
      ccLib: '/c/libtensorflow-2.21.0/lib/libtensorflow_cc.so.2',
      frameworkLib: '/c/libtensorflow-2.21.0/lib/libtensorflow_framework.so.2',
      include: '/c/libtensorflow-2.21.0/include',
      cApiHeader: '/c/libtensorflow-2.21.0/include/tensorflow/c/c_api.h',
      marker: '/c/libtensorflow-2.21.0/complete.json',
    });
  });

  it('counts the cache complete only with the marker, both libraries and the C API header', () => {
    expect(requiredCacheFiles(layout)).toEqual([
      layout.marker,
      layout.ccLib,
      layout.frameworkLib,
      layout.cApiHeader,
    ]);
  });
});

describe('wheelMembers', () => {
  it('extracts only the two libraries and include/', () => {
    expect(wheelMembers()).toEqual({
      files: ['tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'],
      dirPrefix: 'tensorflow/include/',
    });
  });
});

describe('stagingLinks', () => {
  const links = new Map(stagingLinks(layout).map((l) => [l.name, l.target]));

  it.each([
    // what `-ltensorflow -ltensorflow_framework` link against
    ['lib/libtensorflow.so', layout.ccLib],
    ['lib/libtensorflow_framework.so', layout.frameworkLib],
    // the SONAMEs the binding asks for at run time
    ['lib/libtensorflow_cc.so.2', layout.ccLib],
    ['lib/libtensorflow_framework.so.2', layout.frameworkLib],
    // the names upstream's installer checks before downloading
    ['lib/libtensorflow.so.2.9.1', layout.ccLib],
    ['lib/libtensorflow_framework.so.2.9.1', layout.frameworkLib],
    ['lib/libtensorflow.so.2', layout.ccLib],
    ['include', layout.include],
  ])('deps/%s -> %s', (name, target) => {
    expect(links.get(name)).toBe(target);
  });

  it('links into the cache only', () => {
    for (const target of links.values()) expect(target.startsWith(layout.dir)).toBe(true);
    expect(links.size).toBe(8);
  });
});

describe('isBuildOutput', () => {
  it.each([
    ['lib', true],
    ['build', true],
    ['build-tmp-napi-v8', true],
    ['binding', false],
    ['dist', false],
    ['deps', false],
    ['scripts', false],
  ])('%s -> %s', (name, expected) => {
    expect(isBuildOutput(name)).toBe(expected);
  });
});

describe('parseWheelName', () => {
  it.each([
    ['tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl', 'tensorflow_cpu', '2.21.0'],
    ['/x/tensorflow-2.20.0-cp312-cp312-manylinux_2_17_x86_64.whl', 'tensorflow', '2.20.0'],
    ['tensorflow-cpu-2.21.0-cp311-cp311-linux_x86_64.whl', 'tensorflow-cpu', '2.21.0'],
  ])('%s', (file, project, version) => {
    expect(parseWheelName(file)).toEqual({ project, version });
  });

  it.each([
    ['tensorflow_cpu-2.21.0.tar.gz'],
    ['keras-3.15.1-py3-none-any.whl'],
    ['tensorflow_io-0.37.0-cp311-cp311-linux_x86_64.whl'],
  ])('%s is not a TensorFlow wheel', (file) => {
    expect(parseWheelName(file)).toBeUndefined();
  });
});

describe('versionFromDistInfo', () => {
  it.each([
    [['numpy-2.0.0.dist-info', 'tensorflow_cpu-2.21.0.dist-info'], '2.21.0'],
    [['tensorflow-2.20.0.dist-info'], '2.20.0'],
    [['tensorflow_io-0.37.0.dist-info', 'tensorflow'], undefined],
    [[], undefined],
  ])('%j -> %s', (names, expected) => {
    expect(versionFromDistInfo(names)).toBe(expected);
  });
});

describe('tensorflowDirCandidates', () => {
  it('accepts the tensorflow folder itself or the site-packages folder around it', () => {
    expect(tensorflowDirCandidates('/sp')).toEqual(['/sp', '/sp/tensorflow']);
  });
});

describe('findOnPath', () => {
  const files = new Set(['/usr/bin/g++', '/opt/bin/make', '/usr/bin/make']);
  const isExec = (f: string) => files.has(f);

  it.each([
    ['g++', '/usr/local/bin:/usr/bin', '/usr/bin/g++'],
    ['make', '/opt/bin:/usr/bin', '/opt/bin/make'],
    ['make', '::/usr/bin', '/usr/bin/make'],
    ['clang++', '/usr/bin', undefined],
    ['g++', undefined, undefined],
    ['/usr/bin/g++', '', '/usr/bin/g++'],
    ['/nope/g++', '/usr/bin', undefined],
  ])('%s on %s -> %s', (name, pathVar, expected) => {
    expect(findOnPath(name, pathVar, isExec)).toBe(expected);
  });
});
