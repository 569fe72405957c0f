/**
 * The logic of `tfjs-keras-rnn compare`, without spawning: passing, failing, unreadable and
 * unsupported fixtures, replayed and skipped sections, stricter tolerances, the report lines,
 * no leaks.
 */
import { expect } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { main, parseCompareArgs } from '../../src/cli';
import {
  compareFiles,
  compareFixtureFile,
  formatResult,
  formatSummary,
} from '../../src/keras/compare';
import type { JsonObject } from '../../src/keras/keras_json';
import { useTestBackend } from '../helpers/tensors';

const FIXTURES = join(__dirname, '..', 'fixtures', 'keras');
const SOURCE = join(FIXTURES, 'simple_rnn_stacked2_dense1.json');
const LAYER_FIXTURE = join(FIXTURES, 'layer_simple_rnn_return_state.json');
const TRAINING = join(FIXTURES, 'train_sgd_mse.json');

let dir: string;
/** A copy of SOURCE without its optional sections (the generator may add some at any time). */
let PASSING: string;

beforeAll(async () => {
  await useTestBackend();
  dir = mkdtempSync(join(tmpdir(), 'tfjs-keras-rnn-compare-'));
  const { gradients: _g, training: _t, ...forwardOnly } = loadJson(SOURCE);
  PASSING = writeTemp('simple_rnn_stacked2_dense1.json', forwardOnly);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function loadJson(path: string): JsonObject {
  return JSON.parse(readFileSync(path, 'utf8')) as JsonObject;
}

/** Writes `doc` (or raw text) to a file in the temp dir; returns its path. */
function writeTemp(name: string, doc: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return path;
}

/** A copy of the passing fixture whose first case's first output value is off by `delta`. */
function alteredCopy(delta: number): string {
  const doc = loadJson(PASSING);
  const cases = doc.cases as JsonObject[];
  const first = cases[0];
  const outputs = first.outputs as JsonObject[];
  const data = [...(outputs[0].data as number[])];
  data[0] = (data[0] ?? 0) + delta;
  const altered = {
    ...doc,
    cases: [{ ...first, outputs: [{ ...outputs[0], data }] }, ...cases.slice(1)],
  };
  return writeTemp(`altered_${delta}.json`, altered);
}

/** A deep copy of `value` with `edit` applied to every object in it, innermost first. */
function mapObjects(value: unknown, edit: (o: JsonObject) => JsonObject): unknown {
  if (Array.isArray(value)) return value.map((v) => mapObjects(v, edit));
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) copy[k] = mapObjects(v, edit);
  return edit(copy as JsonObject);
}

/** The fixture at `path` with every `class_name: from` in it set to `to`. */
function withClass(path: string, from: string, to: string): unknown {
  return mapObjects(loadJson(path), (o) => (o.class_name === from ? { ...o, class_name: to } : o));
}

describe('compareFixtureFile', () => {
  it('passes a fixture that matches, reporting max|diff|', async () => {
    const result = await compareFixtureFile(PASSING);
    expect(result).toMatchObject({ name: 'simple_rnn_stacked2_dense1', passed: true });
    expect(result.maxAbsDiff).toBeLessThanOrEqual(1e-5);
    expect(result.cases.every((c) => c.passed && c.atol === 1e-5)).toBe(true);
    const lines = formatResult(result);
    expect(lines[0]).toMatch(/^PASS simple_rnn_stacked2_dense1 max\|diff\| (0|\d\.\d\de[-+]\d+)$/);
  });

  it('passes a layer fixture with two outputs', async () => {
    expect((await compareFixtureFile(LAYER_FIXTURE)).passed).toBe(true);
  });

  it('fails a fixture whose outputs differ, naming the case, output and element', async () => {
    const result = await compareFixtureFile(alteredCopy(1e-3));
    expect(result.passed).toBe(false);
    expect(result.reason).toMatch(
      /^case 'random_normal': output 0 max\|diff\| 1\.00e-3 > atol 0\.00001 at \[0, 0\]: got .*, Keras .*$/,
    );
    expect(formatResult(result)[0]).toMatch(
      /^FAIL simple_rnn_stacked2_dense1 case 'random_normal'/,
    );
  });

  it('applies a stricter atol than the fixture asks, never a looser one', async () => {
    // 1e-6 off: within the fixture's own atol (1e-5), past a stricter one. (The fixture itself
    // would not do: the package's outputs for it equal Keras's exactly.)
    const slightlyOff = alteredCopy(1e-6);
    expect((await compareFixtureFile(slightlyOff)).passed).toBe(true);
    expect((await compareFixtureFile(slightlyOff, { atol: 1e-7 })).passed).toBe(false);
    const loose = await compareFixtureFile(alteredCopy(1e-3), { atol: 1 });
    expect(loose.passed).toBe(false);
    expect(loose.cases[0]?.atol).toBe(1e-5);
  });

  it.each<[string, () => string, RegExp]>([
    ['an unreadable file', () => join(dir, 'missing.json'), /^cannot read .*missing\.json: ENOENT/],
    [
      'bad JSON',
      () => writeTemp('bad.json', '{"format": "keras-reference-fixture",'),
      /bad\.json is not valid JSON/,
    ],
    [
      'another format version',
      () => writeTemp('v2.json', { ...loadJson(PASSING), version: 2 }),
      /v2\.json: version: this reader knows version 1 of the fixture format, received 2/,
    ],
    [
      'an unsupported class',
      () => writeTemp('conv.json', withClass(PASSING, 'SimpleRNN', 'ConvLSTM1D')),
      /Keras class 'ConvLSTM1D' \(layer 'simple_rnn'\) is not supported/,
    ],
    [
      'an unsupported option',
      () =>
        writeTemp(
          'time_major.json',
          mapObjects(loadJson(PASSING), (o) => ('stateful' in o ? { ...o, time_major: true } : o)),
        ),
      /Keras SimpleRNN 'simple_rnn': `time_major: true`/,
    ],
    [
      'weights that do not fit',
      () => {
        const doc = loadJson(PASSING);
        return writeTemp('weights.json', {
          ...doc,
          weights: (doc.weights as JsonObject[]).slice(1),
        });
      },
      /Keras weights: the model has 8 weights, 7 were given/,
    ],
  ])('fails %s with the reason, never throwing', async (_what, makePath, message) => {
    const path = makePath();
    const result = await compareFixtureFile(path);
    expect(result.passed).toBe(false);
    expect(result.reason).toMatch(message);
    expect(formatResult(result)[0]).toMatch(/^FAIL /);
  });

  it('replays a gradients section and says how close it came', async () => {
    const result = await compareFixtureFile(SOURCE);
    expect(result.passed).toBe(true);
    expect(result.sections).toEqual([
      {
        section: 'gradients',
        status: 'passed',
        worst: expect.any(Number),
        reason: undefined,
      },
    ]);
    expect(result.sections[0]?.worst).toBeLessThanOrEqual(1);
    expect(formatResult(result)).toEqual([
      expect.stringMatching(
        /^PASS simple_rnn_stacked2_dense1 max\|diff\| \S+; gradients at (<1|\d+)% of tolerance$/,
      ),
    ]);
  });

  it('replays a training section', async () => {
    const result = await compareFixtureFile(TRAINING);
    expect(result.passed).toBe(true);
    expect(result.sections.map((r) => [r.section, r.status])).toEqual([['training', 'passed']]);
    expect(formatResult(result)[0]).toMatch(/; training at (<1|\d+)% of tolerance$/);
  });

  it('fails a fixture whose training history differs, naming key and epoch', async () => {
    const doc = loadJson(TRAINING);
    const training = doc.training as JsonObject;
    const history = training.history as JsonObject;
    const loss = [...(history.loss as number[])];
    loss[1] = (loss[1] ?? 0) * 1.01;
    const path = writeTemp('history.json', {
      ...doc,
      training: { ...training, history: { ...history, loss } },
    });
    const result = await compareFixtureFile(path);
    expect(result.passed).toBe(false);
    expect(result.reason).toMatch(
      /^training: history 'loss' epoch 2: got \S+, Keras \S+ \(\|diff\| \S+ > 0\.000001 \+ 0\.001 \* \|Keras\|\)$/,
    );
  });

  it('fails a broken section, naming the part, and skips unknown ones', async () => {
    const doc = loadJson(PASSING);
    const path = writeTemp('sections.json', {
      ...doc,
      gradients: { loss: 'mean_squared_error' },
      saliency: {},
    });
    const result = await compareFixtureFile(path);
    expect(result.passed).toBe(false);
    expect(result.reason).toBe('gradients.loss_value: expected a number, received undefined.');
    expect(result.skipped).toEqual([{ section: 'saliency', reason: 'unknown section' }]);
    expect(formatResult(result)).toEqual([
      'FAIL simple_rnn_stacked2_dense1 gradients.loss_value: expected a number, received undefined.',
      'SKIP simple_rnn_stacked2_dense1 saliency (unknown section)',
    ]);
  });

  it('reports every section as skipped when the model cannot be rebuilt', async () => {
    const path = writeTemp('conv_sections.json', withClass(SOURCE, 'SimpleRNN', 'ConvLSTM1D'));
    const result = await compareFixtureFile(path);
    expect(result.passed).toBe(false);
    expect(result.skipped).toEqual([
      { section: 'gradients', reason: 'not run: the model could not be rebuilt' },
    ]);
  });

  it.each([
    ['a passing fixture', () => PASSING],
    ['a failing fixture', () => alteredCopy(1)],
    [
      'an unmappable fixture',
      () => writeTemp('conv2.json', withClass(PASSING, 'Dense', 'ConvLSTM1D')),
    ],
    ['a layer fixture', () => LAYER_FIXTURE],
    ['a fixture with gradients', () => SOURCE],
    ['a fixture with training', () => TRAINING],
  ])('leaves no tensors behind for %s', async (_what, makePath) => {
    const path = makePath();
    const before = tf.memory().numTensors;
    await compareFixtureFile(path);
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** A copy of PASSING with a section this reader does not know. */
function withUnknownSection(): string {
  return writeTemp('with_unknown.json', { ...loadJson(PASSING), saliency: {} });
}

describe('compareFiles and the summary', () => {
  it('counts passes, failures and skipped sections', async () => {
    const seen: string[] = [];
    const summary = await compareFiles(
      [PASSING, alteredCopy(0.5), join(dir, 'nope.json'), withUnknownSection()],
      { onResult: (_r, lines) => seen.push(...lines) },
    );
    expect(summary.passed).toBe(2);
    expect(summary.failed).toBe(2);
    expect(summary.skipped).toEqual({ saliency: 1 });
    expect(seen.map((l) => l.split(' ')[0])).toEqual(['PASS', 'FAIL', 'FAIL', 'PASS', 'SKIP']);
    expect(formatSummary(summary)).toBe('2 passed, 2 failed; skipped sections: 1 saliency');
  });

  it('has no skipped tail when nothing was skipped', async () => {
    expect(formatSummary(await compareFiles([PASSING, SOURCE]))).toBe('2 passed, 0 failed');
  });
});

describe('the command line, without spawning', () => {
  function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    return main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }).then((code) => ({
      code,
      out,
      err,
    }));
  }

  afterAll(async () => {
    await useTestBackend();
  });

  it('exits 0 and ends with the summary when every fixture passes', async () => {
    const { code, out } = await run(['compare', PASSING, '--backend', 'cpu']);
    expect(code).toBe(0);
    expect(out[0]).toBe('Comparing 1 fixture(s) on the cpu backend');
    expect(out.at(-1)).toBe('1 passed, 0 failed');
  });

  it('exits 1 when a fixture fails', async () => {
    const { code, out } = await run(['compare', '--backend=wasm', PASSING, alteredCopy(2)]);
    expect(code).toBe(1);
    expect(out.at(-1)).toBe('1 passed, 1 failed');
  });

  it.each<[string, string[], RegExp]>([
    ['no command', [], /no command given/],
    ['an unknown command', ['train'], /unknown command 'train'/],
    ['no fixtures', ['compare'], /compare: no fixture files given/],
    [
      'an unknown backend',
      ['compare', PASSING, '--backend', 'gpu'],
      /unknown backend "gpu" \(from --backend\)\. Known backends: 'auto', 'tensorflow', 'wasm', 'cpu'/,
    ],
    ['a missing backend name', ['compare', PASSING, '--backend'], /--backend needs a name/],
    ['an unknown option', ['compare', PASSING, '--fast'], /unknown option '--fast'/],
  ])('is a usage error (exit 2) for %s', async (_what, argv, message) => {
    const { code, err } = await run(argv);
    expect(code).toBe(2);
    expect(err[0]).toMatch(message);
    expect(err.join('\n')).toMatch(/Usage: tfjs-keras-rnn <command>/);
  });

  it('prints the usage for --help', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/compare <fixture\.json>\.\.\. \[--backend NAME\]/);
  });

  it('parses the backend default and the files', () => {
    expect(parseCompareArgs(['a.json', 'b.json'])).toEqual({
      files: ['a.json', 'b.json'],
      backend: 'auto',
    });
  });
});
