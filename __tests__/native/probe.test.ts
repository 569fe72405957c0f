import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import {
  PROBE_ERROR,
  PROBE_OK,
  PROBE_SOURCE,
  isNotInstalled,
  parseProbe,
} from '../../src/native/probe';

describe('parseProbe', () => {
  it('accepts a run that printed the ok line on the tensorflow backend', () => {
    const out = `noise\n${PROBE_OK} {"backend":"tensorflow","version":"4.22.0"}\n`;
    expect(parseProbe(0, null, out, 'I0000 oneDNN custom operations are on')).toEqual({
      ok: true,
      backend: 'tensorflow',
      version: '4.22.0',
    });
  });

  it.each([
    [
      'the error line',
      1,
      null,
      `${PROBE_ERROR} "Cannot find module '@tensorflow/tfjs-node' "\n`,
      '',
      "Cannot find module '@tensorflow/tfjs-node'",
    ],
    [
      'a signal',
      null,
      'SIGSEGV',
      '',
      'Segmentation fault',
      'the test process was killed by SIGSEGV',
    ],
    ['the last stderr line', 1, null, '', 'first\nlast line\n\n', 'last line'],
    ['the exit status', 3, null, '', '', 'the test process exited with status 3 and no message'],
    [
      'another backend',
      0,
      null,
      `${PROBE_OK} {"backend":"cpu","version":"4.22.0"}`,
      '',
      'the test process exited with status 0 and no message',
    ],
  ])('reports %s as the reason', (_, status, signal, stdout, stderr, reason) => {
    expect(parseProbe(status, signal, stdout, stderr)).toEqual({ ok: false, reason });
  });
});

describe('isNotInstalled', () => {
  it.each([
    ["Cannot find module '@tensorflow/tfjs-node'", true],
    ["Cannot find module 'adm-zip'", false],
    ['libtensorflow_cc.so.2: cannot open shared object file: No such file or directory', false],
  ])('%s -> %s', (reason, expected) => {
    expect(isNotInstalled(reason)).toBe(expected);
  });
});

describe('PROBE_SOURCE', () => {
  it('reports a missing package as one error line (run where tfjs-node cannot be found)', () => {
    const r = spawnSync(process.execPath, ['-e', PROBE_SOURCE], { cwd: '/', encoding: 'utf8' });
    const result = parseProbe(r.status, r.signal, r.stdout, r.stderr);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(/^Cannot find module '@tensorflow\/tfjs-node'/);
  });
});
