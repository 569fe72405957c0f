/**
 * `tfjs-keras-rnn compare` run for real, as a separate process: exit codes and the last line.
 */
import { expect } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(ROOT, '__tests__', 'fixtures', 'keras');

function runCli(args: string[]): { status: number | null; lines: string[]; stderr: string } {
  const result = spawnSync('npx', ['tsx', 'src/cli.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, TFJS_BACKEND: '' },
    timeout: 120000,
  });
  return {
    status: result.status,
    lines: result.stdout.trim().split('\n'),
    stderr: result.stderr,
  };
}

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tfjs-keras-rnn-cli-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

it('exits 0 on passing fixtures and ends with the summary line', () => {
  const { status, lines } = runCli([
    'compare',
    join(FIXTURES, 'simple_rnn_b2_t1_f3_seq.json'),
    join(FIXTURES, 'layer_simple_rnn_return_state.json'),
    '--backend',
    'wasm',
  ]);
  expect(lines).toContainEqual(
    expect.stringMatching(/^PASS simple_rnn_b2_t1_f3_seq max\|diff\| (0|\d\.\d\de-\d+)$/),
  );
  expect(lines).toContainEqual(expect.stringMatching(/^PASS layer_simple_rnn_return_state /));
  // The fixtures may gain gradients/training sections: then a skipped tail follows.
  expect(lines.at(-1)).toMatch(/^2 passed, 0 failed($|; skipped sections: )/);
  expect(status).toBe(0);
});

it('exits 1 when a fixture fails, and 2 for a usage error', () => {
  const bad = join(dir, 'not_json.json');
  writeFileSync(bad, readFileSync(join(FIXTURES, 'simple_rnn_b1_t1.json'), 'utf8').slice(0, 100));
  const failing = runCli(['compare', bad, '--backend', 'cpu']);
  expect(failing.lines.at(-1)).toBe('0 passed, 1 failed');
  expect(failing.lines).toContainEqual(
    expect.stringMatching(/^FAIL .*not_json\.json is not valid JSON/),
  );
  expect(failing.status).toBe(1);

  const usage = runCli(['compare', bad, '--backend', 'tpu']);
  expect(usage.status).toBe(2);
  expect(usage.stderr).toMatch(/Known backends: 'auto', 'tensorflow', 'wasm', 'cpu'/);
});
