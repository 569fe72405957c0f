import * as path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_TF_VERSION,
  ENV,
  defaultCacheRoot,
  parseArgs,
  pipDownloadArgs,
  resolveOptions,
  type Env,
} from '../../src/native/options';
import { SetupError } from '../../src/native/messages';

const ctx = (env: Env) => ({ env, projectDir: '/proj', homeDir: '/home/u', cwd: '/proj' });

describe('parseArgs', () => {
  it.each([
    [[], { mode: 'setup', removeCache: false }],
    [['--undo'], { mode: 'undo', removeCache: false }],
    [['--undo', '--remove-cache'], { mode: 'undo', removeCache: true }],
    [['--remove-cache', '--undo'], { mode: 'undo', removeCache: true }],
    [['--help'], { mode: 'help', removeCache: false }],
    [['--undo', '-h'], { mode: 'help', removeCache: false }],
  ])('%j -> %j', (argv, expected) => {
    expect(parseArgs(argv)).toEqual(expected);
  });

  it.each([
    [['--bogus'], /unknown argument "--bogus"/],
    [['undo'], /unknown argument "undo"/],
    [['--remove-cache'], /`--remove-cache` was given without `--undo`/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
    try {
      parseArgs(argv);
    } catch (err) {
      expect(err).toBeInstanceOf(SetupError);
      expect((err as SetupError).kind).toBe('usage');
    }
  });
});

describe('defaultCacheRoot', () => {
  it.each([
    [{}, '/home/u/.cache/tfjs-keras-rnn'],
    [{ XDG_CACHE_HOME: '/xdg' }, '/xdg/tfjs-keras-rnn'],
    [{ XDG_CACHE_HOME: '' }, '/home/u/.cache/tfjs-keras-rnn'],
    // The XDG spec ignores relative values.
    [{ XDG_CACHE_HOME: 'rel' }, '/home/u/.cache/tfjs-keras-rnn'],
  ])('%j -> %s', (env, expected) => {
    expect(defaultCacheRoot(env, '/home/u')).toBe(expected);
  });
});

describe('resolveOptions', () => {
  it('defaults: pinned version, XDG cache, python3, no wheel or folder', () => {
    expect(resolveOptions(ctx({}))).toEqual({
      projectDir: '/proj',
      tfVersion: DEFAULT_TF_VERSION,
      cacheRoot: '/home/u/.cache/tfjs-keras-rnn',
      cacheDir: `/home/u/.cache/tfjs-keras-rnn/libtensorflow-${DEFAULT_TF_VERSION}`,
      wheel: undefined,
      tfDir: undefined,
      python: 'python3',
    });
  });

  it('reads every variable; relative paths are taken from INIT_CWD (where npm was run)', () => {
    const opts = resolveOptions(
      ctx({
        INIT_CWD: '/work',
        [ENV.wheel]: 'w/tf.whl',
        [ENV.cacheDir]: ' /c ',
        [ENV.python]: '/usr/bin/python3.12',
        [ENV.tfVersion]: '2.20.0',
      }),
    );
    expect(opts.wheel).toBe(path.join('/work', 'w', 'tf.whl'));
    expect(opts.cacheRoot).toBe('/c');
    expect(opts.cacheDir).toBe('/c/libtensorflow-2.20.0');
    expect(opts.python).toBe('/usr/bin/python3.12');
    expect(opts.tfVersion).toBe('2.20.0');
  });

  it('takes relative paths from the working folder without INIT_CWD', () => {
    expect(resolveOptions(ctx({ [ENV.tfDir]: 'venv/tensorflow' })).tfDir).toBe(
      '/proj/venv/tensorflow',
    );
  });

  it('treats empty variables as unset', () => {
    const opts = resolveOptions(ctx({ [ENV.wheel]: '', [ENV.tfDir]: '  ', [ENV.python]: '' }));
    expect([opts.wheel, opts.tfDir, opts.python]).toEqual([undefined, undefined, 'python3']);
  });

  it.each([
    [
      { [ENV.wheel]: '/a.whl', [ENV.tfDir]: '/tf' },
      /both TFJS_KERAS_RNN_TF_WHEEL and TFJS_KERAS_RNN_TF_DIR are set/,
    ],
    [
      { [ENV.tfVersion]: '2.21' },
      /TFJS_KERAS_RNN_TF_VERSION must be a version like 2\.21\.0, received "2\.21"/,
    ],
    [{ [ENV.tfVersion]: 'latest' }, /received "latest"/],
  ])('%j is refused', (env, message) => {
    expect(() => resolveOptions(ctx(env))).toThrow(message);
  });
});

describe('pipDownloadArgs', () => {
  it('asks pip for the pinned binary wheel only, without dependencies or retries', () => {
    expect(pipDownloadArgs('2.21.0', '/d')).toEqual([
      '-m',
      'pip',
      'download',
      '--no-deps',
      '--retries',
      '0',
      '--only-binary=:all:',
      '--dest',
      '/d',
      'tensorflow-cpu==2.21.0',
    ]);
  });
});
