import { describe, expect, it } from '@jest/globals';
import {
  SetupError,
  describeLeftState,
  formatFailure,
  missingToolsError,
  noWheelError,
  summarizeBuildLog,
} from '../../src/native/messages';
import { ENV } from '../../src/native/options';

describe('noWheelError', () => {
  const err = noWheelError(
    'pip download failed: No matching distribution',
    ENV,
    '2.21.0',
    'tensorflow-cpu',
  );

  it('says what failed and names every way to supply the wheel', () => {
    expect(err.what).toBe(
      'could not get the TensorFlow 2.21.0 wheel (pip download failed: No matching distribution)',
    );
    expect(err.fix).toMatch(/TFJS_KERAS_RNN_TF_WHEEL at a tensorflow_cpu-2\.21\.0-\*\.whl file/);
    expect(err.fix).toMatch(/TFJS_KERAS_RNN_TF_DIR at an installed TensorFlow 2\.21\.0/);
    expect(err.fix).toMatch(/python3 -m pip download tensorflow-cpu==2\.21\.0/);
    expect(err.fix).toMatch(/TFJS_KERAS_RNN_PYTHON/);
    expect(err.kind).toBe('failure');
  });

  it('formats as one message with the state tfjs-node was left in', () => {
    const text = formatFailure(err, 'present-without-binding');
    expect(text.split('\n')).toEqual([
      'setup:native failed: could not get the TensorFlow 2.21.0 wheel (pip download failed: No matching distribution).',
      expect.stringMatching(/^ {2}To fix: point TFJS_KERAS_RNN_TF_WHEEL .*\.$/),
      "  @tensorflow/tfjs-node is installed without a native binding, as npm leaves it; useBackend('auto') uses wasm.",
    ]);
  });
});

describe('formatFailure', () => {
  it('leaves the state out for usage errors', () => {
    const err = new SetupError('unknown argument "-x"', 'use --help', 'usage');
    expect(formatFailure(err, undefined)).toBe(
      'setup:native failed: unknown argument "-x".\n  To fix: use --help.',
    );
  });

  it.each([
    ['absent', /not installed; useBackend\('auto'\) uses wasm/],
    ['present-without-binding', /installed without a native binding/],
    ['foreign-deps', /deps\/ was not staged by setup:native and was left as it was/],
  ] as const)('%s', (state, message) => {
    expect(describeLeftState(state)).toMatch(message);
  });
});

describe('missingToolsError', () => {
  it('names every missing tool and every fix in one message', () => {
    const err = missingToolsError([
      { name: 'a C++ compiler', fix: 'install g++' },
      { name: 'make', fix: 'install make' },
    ]);
    expect(err.what).toBe('building the binding needs a C++ compiler, make, not found');
    expect(err.fix).toBe('install g++; install make');
  });
});

describe('summarizeBuildLog', () => {
  it.each([
    [
      'the compiler error',
      'gyp info ok\n../binding/tfjs_backend.cc:20:10: fatal error: tensorflow/c/c_api.h: No such file or directory\nmake: *** [x.mk:1: a.o] Error 1\ngyp ERR! build error',
      '../binding/tfjs_backend.cc:20:10: fatal error: tensorflow/c/c_api.h: No such file or directory',
    ],
    [
      'the linker error',
      '/usr/bin/ld: cannot find -ltensorflow: No such file or directory\ncollect2: error: ld returned 1 exit status',
      '/usr/bin/ld: cannot find -ltensorflow: No such file or directory',
    ],
    [
      'a missing program',
      'make: printf: No such file or directory\nmake: *** [x.mk:111: a.o] Error 127',
      'make: printf: No such file or directory',
    ],
    [
      'make failing',
      'CXX a.o\nmake: *** [x.mk:111: a.o] Error 1\ngyp ERR! build error',
      'make: *** [x.mk:111: a.o] Error 1',
    ],
    [
      'node-gyp failing',
      'gyp ERR! configure error\ngyp ERR! stack Error: Could not find any Python installation to use\ngyp ERR! not ok',
      'gyp ERR! stack Error: Could not find any Python installation to use',
    ],
    ['the last line otherwise', 'a\nb\n\n', 'b'],
    ['no output', '', 'no output'],
  ])('shows %s', (_, log, expected) => {
    expect(summarizeBuildLog(log)).toBe(expected);
  });
});
