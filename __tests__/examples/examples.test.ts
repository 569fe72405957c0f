/**
 * Smoke runs of every example: each is spawned as `npx tsx examples/<name>.ts` with settings
 * for a tiny run, and must exit 0 printing its key lines. The backend comes from TFJS_BACKEND
 * when set (the child inherits it), else the examples' `auto`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npx tsx examples/<name>.ts` with `env` added to this process's environment. */
function runExample(
  name: string,
  env: Record<string, string>,
  args: string[] = [],
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('npx', ['tsx', join('examples', `${name}.ts`), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Exit code 0, or a failure that shows what the example printed. */
function expectSuccess(result: RunResult): void {
  if (result.code !== 0) {
    throw new Error(
      `exit code ${String(result.code)}\n--- stdout ---\n${result.stdout.slice(-3000)}\n--- stderr ---\n${result.stderr.slice(-3000)}`,
    );
  }
}

const BACKEND_LINE = /^Backend: (tensorflow|wasm|cpu)$/m;
const SUMMARY_HEADER = /^Model: "sequential(_\d+)?"$/m;
const TINY = { EXAMPLE_EPOCHS: '2', EXAMPLE_VERBOSE: '1' };

describe('examples', () => {
  it.each([
    ['letters-onehot', 1, /^ {2}a -> [a-e] {3}\(expected b, p=\d\.\d\d\)/m, []],
    [
      'letters-4steps',
      1,
      /^ {2}abcd -> [a-e] {3}\(expected e, p=\d\.\d\d\)/m,
      // After the predictions, each h_t through the trained head: the header, a line per step
      // for abcd (h_t's three values, P(e), the distance to the one-hot, the best guess), and
      // P(target) per step for each of the other four inputs.
      [
        /^What each h_t means \(the course's semantic meaning\)/m,
        ...['a', 'ab', 'abc', 'abcd'].map(
          (read, t) =>
            new RegExp(
              `^ {4}h${t + 1} +${read} +\\[(?: *-?\\d\\.\\d\\d){3}\\] +\\d\\.\\d\\d +\\d\\.\\d\\d +[a-e]$`,
              'm',
            ),
        ),
        /^ {4}eabc -> d: {2}(?:\d\.\d\d ?){4}$/m,
      ],
    ],
    ['letters-embedding', 2, /^ {2}eabc -> [a-e] {3}\(expected d, p=\d\.\d\d\)/m, []],
  ])('%s trains briefly and prints its predictions', async (name, models, firstLine, more) => {
    const result = await runExample(name, TINY);
    expectSuccess(result);
    const out = result.stdout;
    expect(out).toMatch(BACKEND_LINE);
    expect(out).toMatch(SUMMARY_HEADER);
    expect(out).toMatch(/^Epoch 2\/2$/m);
    expect(out).toMatch(/loss: \d/);
    expect(out).toMatch(firstLine);
    expect(out.match(/^Accuracy: [0-5]\/5 \(\d+%\)$/gm)).toHaveLength(models);
    for (const line of more) expect(out).toMatch(line);
  });

  it('return-sequences prints the table of output shapes', async () => {
    const result = await runExample('return-sequences', {});
    expectSuccess(result);
    const out = result.stdout;
    expect(out).toMatch(BACKEND_LINE);
    expect(out).toMatch(SUMMARY_HEADER);
    for (const row of [
      /^\[2, 1, 3\] +false +\[2, 5\]$/m,
      /^\[2, 1, 3\] +true +\[2, 1, 5\]$/m,
      /^\[1, 4, 2\] +false +\[1, 5\]$/m,
      /^\[1, 4, 2\] +true +\[1, 4, 5\]$/m,
      /^\[2, 1, 3\] +false +\[2, 5\] +\[2, 5\]$/m,
      /^\[1, 4, 2\] +true +\[1, 4, 5\] +\[1, 5\]$/m,
    ]) {
      expect(out).toMatch(row);
    }
    expect(out).toMatch(/equals the returnSequences: false output: max\|diff\| 0$/m);
    expect(out).toMatch(/expected input of rank 3 \[samples, timesteps, features\]/);
  });

  it('keras-file loads a Keras file with its predictions, fine-tunes it and saves it back', async () => {
    const result = await runExample('keras-file', TINY);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /Predictions on Keras's inputs: max \|ours - Keras's\| = \d\.\de[-+]\d+/,
    );
    expect(result.stdout).toMatch(/Fine-tuned for 2 epochs: test MSE \d\.\d{4} -> \d\.\d{4}/);
    expect(result.stdout).toContain(
      'Saved out/keras-file/fine_tuned.keras; reloaded, max |difference| = 0',
    );
  });

  it('text-classify trains briefly, reports both accuracies and shows the masks', async () => {
    const result = await runExample('text-classify', TINY);
    expectSuccess(result);
    const out = result.stdout;
    expect(out).toMatch(BACKEND_LINE);
    expect(out).toMatch(SUMMARY_HEADER);
    expect(out).toMatch(/^│ bidirectional(_\d+)? \(Bidirectional\) +│ \(None, 32\)/m);
    expect(out).toMatch(/^Epoch 2\/2$/m);
    expect(out).toMatch(/^2000 training and 500 test reviews of 3 to 1\d words/m);
    expect(out).toMatch(/^Test accuracy: BiLSTM \d+\.\d%$/m);
    expect(out).toMatch(/^Test accuracy: bag of words \d+\.\d%$/m);
    // Four test reviews and the pair in both orders: ids, then a mask row of words and padding.
    const ids = [...out.matchAll(/^ {4}ids +((?:\d+ *)+)$/gm)].map((m) => m[1].trim());
    const masks = [...out.matchAll(/^ {4}mask +([▮▯ ]+)$/gm)].map((m) => m[1].trim());
    expect(ids).toHaveLength(6);
    expect(masks).toHaveLength(6);
    ids.forEach((row, i) => {
      // ▮ exactly where the id is not the padding id 0.
      const expected = row.split(/ +/).map((id) => (id === '0' ? '▯' : '▮'));
      expect((masks[i] ?? '').split(/ +/)).toEqual(expected);
    });
    expect(
      out.match(
        /^ {4}P\(positive\): BiLSTM \d\.\d\d (right|WRONG), bag of words \d\.\d\d (right|WRONG)$/gm,
      ),
    ).toHaveLength(6);
  });

  describe('vanishing-gradients', () => {
    let outDir: string;
    beforeAll(() => {
      outDir = mkdtempSync(join(tmpdir(), 'vanishing-gradients-example-'));
    });
    afterAll(() => {
      rmSync(outDir, { recursive: true, force: true });
    });

    it('trains every model briefly, prints the tables and writes its pictures', async () => {
      const result = await runExample('vanishing-gradients', { EXAMPLE_EPOCHS: '2' }, [
        '--out',
        outDir,
      ]);
      expectSuccess(result);
      const out = result.stdout;
      expect(out).toMatch(BACKEND_LINE);
      expect(out).toMatch(/^Test accuracy after 2 epochs \(chance 25\.0%\):$/m);
      expect(out).toMatch(/^ {2}model +T=10 +T=30 +T=100$/m);
      for (const model of ['SimpleRNN', 'LSTM', 'GRU']) {
        expect(out).toMatch(
          new RegExp(`^ {2}${model}\\(\\d+\\) +(?:\\d+\\.\\d% +){2}\\d+\\.\\d%$`, 'm'),
        );
      }
      expect(out).toMatch(/^ {2}model +T=30 init +T=30 trained +T=100 init +T=100 trained$/m);
      expect(out).toMatch(/^ {2}relu \+ clipnorm 1 +‖dL\/dh_1‖\/‖dL\/dh_T‖ /m);

      const pngs = ['flow-T30', 'flow-T100', 'states-T30', 'explode'].map((n) => `${n}.png`);
      for (const file of pngs) {
        const path = join(outDir, file);
        expect(out).toContain(path);
        const bytes = readFileSync(path);
        expect(bytes.length).toBeGreaterThan(1000);
        expect([...bytes.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
        expect(existsSync(path.replace(/\.png$/, '.svg'))).toBe(true);
      }
    });
  });

  describe('sp500', () => {
    let outDir: string;
    beforeAll(() => {
      outDir = mkdtempSync(join(tmpdir(), 'sp500-example-'));
    });
    afterAll(() => {
      rmSync(outDir, { recursive: true, force: true });
    });

    it('trains one epoch, reports RMSE and MAE against the naive forecast, writes four figures', async () => {
      const dir = join(outDir, 'figures');
      const result = await runExample(
        'sp500',
        { EXAMPLE_EPOCHS: '1', EXAMPLE_MAX_WINDOWS: '64', EXAMPLE_VERBOSE: '2' },
        ['--out', dir],
      );
      expectSuccess(result);
      const out = result.stdout;
      expect(out).toMatch(BACKEND_LINE);
      expect(out).toMatch(SUMMARY_HEADER);
      expect(out).toMatch(/^Read 5105 days from 2000-01-03 to 2020-04-17$/m);
      expect(out).toMatch(/x_train \[64,60,1\], y_train \[64,1\], x_test \[240,60,1\]/);
      // Keras prints `Epoch 1/1` only when there are several epochs.
      expect(out).toMatch(/^1\/1 - \d+m?s - .*loss: \d/m);
      expect(out).toMatch(/val_loss: \d/);
      expect(out).toMatch(/^Model RMSE: \d+\.\d\d {2}MAE: \d+\.\d\d \(USD\)$/m);
      expect(out).toMatch(/^Naive "tomorrow = today" RMSE: 38\.\d\d {2}MAE: 2\d\.\d\d \(USD\)$/m);

      const files = ['sp500-prediction', 'sp500-loss'].flatMap((n) => [`${n}.svg`, `${n}.png`]);
      expect(readdirSync(dir).sort()).toEqual([...files].sort());
      for (const file of files) {
        const path = join(dir, file);
        expect(out).toContain(path);
        expect(statSync(path).size).toBeGreaterThan(1000);
        const bytes = readFileSync(path);
        if (file.endsWith('.png')) {
          expect([...bytes.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
        } else {
          expect(bytes.toString('utf8')).toMatch(
            /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/,
          );
          expect(bytes.toString('utf8')).toMatch(/<\/svg>\s*$/);
        }
      }
    });

    it.each([
      ['lstm', 'LSTM'],
      ['gru', 'GRU'],
    ])('trains with --cell %s', async (cell, className) => {
      const dir = join(outDir, cell);
      const result = await runExample(
        'sp500',
        { EXAMPLE_EPOCHS: '1', EXAMPLE_MAX_WINDOWS: '64', EXAMPLE_VERBOSE: '0' },
        ['--out', dir, '--cell', cell],
      );
      expectSuccess(result);
      expect(result.stdout).toMatch(
        new RegExp(`^│ ${cell}(_\\d+)? \\(${className}\\) +│ \\(None, 60, 80\\)`, 'm'),
      );
      expect(result.stdout).toMatch(/^Model RMSE: \d+\.\d\d {2}MAE: \d+\.\d\d \(USD\)$/m);
    });

    it('stops on an unknown cell before any work', async () => {
      const result = await runExample('sp500', { EXAMPLE_CELL: 'transformer' });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /SettingError: --cell \(or EXAMPLE_CELL\): expected one of simple_rnn, lstm, gru, received "transformer"\./,
      );
      expect(result.stdout).not.toMatch(BACKEND_LINE);
    });

    it('stops on a bad setting before any work, writing nothing', async () => {
      const dir = join(outDir, 'never');
      const result = await runExample('sp500', { EXAMPLE_EPOCHS: 'ten', EXAMPLE_OUT_DIR: dir });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /SettingError: EXAMPLE_EPOCHS: expected a positive integer such as 50, received "ten"\./,
      );
      expect(result.stdout).not.toMatch(BACKEND_LINE);
      expect(existsSync(dir)).toBe(false);
    });
  });
});
