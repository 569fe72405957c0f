/**
 * Replaying `gradients` and `training` sections: what passes, what fails and with which words,
 * what is skipped, the section readers' errors, and no tensors left behind in any case.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { modelFromFixture } from '../../src/keras/compare';
import { type KerasFixture, parseFixture } from '../../src/keras/fixture';
import type { JsonObject } from '../../src/keras/keras_json';
import { replayGradients } from '../../src/keras/replay_gradients';
import { replayTraining } from '../../src/keras/replay_training';
import {
  type SectionResult,
  closeness,
  readGradientsSection,
  readTrainingSection,
  toleranceRatio,
} from '../../src/keras/sections';
import { useTestBackend } from '../helpers/tensors';

const FIXTURES = join(__dirname, '..', 'fixtures', 'keras');

beforeAll(async () => {
  await useTestBackend();
});

function load(name: string): JsonObject {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as JsonObject;
}

/** The fixture `name` with `edit` applied to (a copy of) one section. */
function edited(name: string, section: string, edit: (s: JsonObject) => JsonObject): KerasFixture {
  const doc = load(name);
  return parseFixture({ ...doc, [section]: edit(doc[section] as JsonObject) });
}

function gradients(fixture: KerasFixture): SectionResult {
  const before = tf.memory().numTensors;
  const built = modelFromFixture(fixture);
  try {
    return replayGradients(fixture, built);
  } finally {
    built.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }
}

async function training(fixture: KerasFixture): Promise<SectionResult> {
  const before = tf.memory().numTensors;
  const result = await replayTraining(fixture, modelFromFixture);
  expect(tf.memory().numTensors).toBe(before);
  return result;
}

describe('replayGradients', () => {
  it('passes a fixture, within a fraction of its tolerance', () => {
    const result = gradients(parseFixture(load('grad_simple_rnn_logits_sparse_ce')));
    expect(result).toMatchObject({ section: 'gradients', status: 'passed', reason: undefined });
    expect(result.worst).toBeLessThan(0.5);
  });

  it.each<[string, (s: JsonObject) => JsonObject, RegExp]>([
    [
      'a gradient off by 1%',
      (s) => {
        const grads = s.grads as JsonObject[];
        const first = grads[0];
        const data = [...(first.data as number[])];
        data[3] = (data[3] ?? 0) * 1.01 + 1e-4;
        return { ...s, grads: [{ ...first, data }, ...grads.slice(1)] };
      },
      /^gradients: 'sequential\/simple_rnn\/simple_rnn_cell\/kernel' \[1, 0\]: got \S+, Keras \S+ \(\|diff\| \S+ > 0\.000001 \+ 0\.0001 \* \|Keras\|\)$/,
    ],
    [
      'a different loss value',
      (s) => ({ ...s, loss_value: (s.loss_value as number) + 0.1 }),
      /^gradients: loss got \S+, Keras \S+ \(\|diff\| 1\.00e-1 > /,
    ],
    [
      'a gradient of a weight the fixture does not have',
      (s) => {
        const grads = s.grads as JsonObject[];
        return { ...s, grads: [{ ...grads[0], name: 'nope/kernel' }, ...grads.slice(1)] };
      },
      /^gradients: 'nope\/kernel' is not a weight of the fixture$/,
    ],
    [
      'too few gradients',
      (s) => ({ ...s, grads: (s.grads as JsonObject[]).slice(1) }),
      /^gradients: the model has 5 trainable weights, the section gives 4 gradients$/,
    ],
    [
      'an unknown loss',
      (s) => ({ ...s, loss: 'hubber' }),
      /^gradients: computing them failed: gradients: unknown loss "hubber"\. Known losses:/,
    ],
    [
      'a gradient of the wrong shape',
      (s) => {
        const grads = s.grads as JsonObject[];
        const last = grads.at(-1) as JsonObject;
        return { ...s, grads: [...grads.slice(0, -1), { ...last, shape: [5, 1] }] };
      },
      /^gradients: 'sequential\/dense\/bias' has shape \[5\], Keras's has \[5, 1\]$/,
    ],
  ])('fails %s, saying where', (_what, edit, message) => {
    const result = gradients(edited('grad_simple_rnn_logits_sparse_ce', 'gradients', edit));
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(message);
  });
});

describe('replayTraining', () => {
  it('passes a fixture, within a fraction of its tolerance', async () => {
    const result = await training(parseFixture(load('train_sgd_momentum_mse')));
    expect(result).toMatchObject({ section: 'training', status: 'passed', reason: undefined });
    expect(result.worst).toBeLessThan(0.5);
  });

  it.each<[string, (s: JsonObject) => JsonObject, RegExp]>([
    [
      'a final weight off',
      (s) => {
        const finals = s.final_weights as JsonObject[];
        const first = finals[0];
        const data = [...(first.data as number[])];
        data[1] = (data[1] ?? 0) + 0.01;
        return { ...s, final_weights: [{ ...first, data }, ...finals.slice(1)] };
      },
      /^training: final weight 'sequential\/simple_rnn\/simple_rnn_cell\/kernel' \[0, 1\]: got /,
    ],
    [
      'a history key the replay does not log',
      (s) => ({ ...s, history: { ...(s.history as JsonObject), mae: [1, 1, 1, 1] } }),
      /^training: the history has no 'mae' \(it has loss\)$/,
    ],
    [
      'a history key Keras does not log',
      (s) => {
        const { loss } = s.history as JsonObject;
        // The fixture's model is compiled without metrics; Keras's history then has only loss.
        return { ...s, history: { mae: loss } };
      },
      /^training: the history has 'loss', which Keras's does not \(it has mae\)$/,
    ],
    [
      'a history of other length',
      (s) => ({ ...s, history: { loss: [1] } }),
      /^training: history 'loss' has 4 epochs, Keras's 1$/,
    ],
    [
      'an optimizer this package does not have',
      (s) => ({
        ...s,
        compile: { ...(s.compile as JsonObject), optimizer: { class_name: 'Nadam', config: {} } },
      }),
      /^training: training\.compile\.optimizer: unknown optimizer "Nadam"\. Known optimizers: 'SGD'/,
    ],
    [
      'an optimizer option that changes the math',
      (s) => {
        const compile = s.compile as JsonObject;
        const optimizer = compile.optimizer as JsonObject;
        return {
          ...s,
          compile: {
            ...compile,
            optimizer: {
              ...optimizer,
              config: { ...(optimizer.config as JsonObject), use_ema: true },
            },
          },
        };
      },
      /^training: training\.compile\.optimizer: SGD: `useEma` is not supported yet \(received true\)/,
    ],
    [
      'data the model cannot take',
      (s) => ({
        ...s,
        y: { shape: [10, 2], dtype: 'float32', data: new Array<number>(20).fill(0) },
      }),
      /^training: fit failed: /,
    ],
    [
      'a section without its tolerance',
      (s) => ({ ...s, rtol: undefined }),
      /^training\.rtol: expected a number >= 0, received undefined\.$/,
    ],
  ])('fails %s, saying where', async (_what, edit, message) => {
    const result = await training(edited('train_sgd_mse', 'training', edit));
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(message);
  });

  it('skips a training section of a Functional model, and one with shuffle', async () => {
    const trainingSection = load('train_sgd_mse').training as JsonObject;
    const functional = await training(
      parseFixture({ ...load('functional_simple_rnn_dense'), training: trainingSection }),
    );
    expect(functional).toMatchObject({
      status: 'skipped',
      reason: 'training replays Sequential models; this fixture has a Functional model',
    });
    const shuffled = await training(
      edited('train_sgd_mse', 'training', (s) => ({
        ...s,
        fit: { ...(s.fit as JsonObject), shuffle: true },
      })),
    );
    expect(shuffled.status).toBe('skipped');
    expect(shuffled.reason).toMatch(/shuffle: true cannot be replayed/);
  });
});

describe('section readers', () => {
  it.each<[string, (s: JsonObject) => unknown, RegExp]>([
    ['no object', () => 3, /^gradients: expected an object, received 3\.$/],
    ['no x', (s) => ({ ...s, x: undefined }), /^gradients\.x: expected a tensor/],
    [
      'a bad rtol',
      (s) => ({ ...s, rtol: -1 }),
      /^gradients\.rtol: expected a number >= 0, received -1\.$/,
    ],
    [
      'an unnamed gradient',
      (s) => ({ ...s, grads: [{ shape: [1], data: [0] }] }),
      /^gradients\.grads\[0\]\.name: expected a non-empty string, received undefined\.$/,
    ],
  ])('gradients: rejects %s', (_what, edit, message) => {
    const doc = load('grad_simple_rnn_logits_sparse_ce');
    const fixture = parseFixture({ ...doc, gradients: edit(doc.gradients as JsonObject) });
    expect(() => readGradientsSection(fixture)).toThrow(message);
  });

  it.each<[string, (s: JsonObject) => unknown, RegExp]>([
    ['no compile', (s) => ({ ...s, compile: undefined }), /^training\.compile: expected an object/],
    [
      'a zero batch size',
      (s) => ({ ...s, fit: { ...(s.fit as JsonObject), batch_size: 0 } }),
      /^training\.fit\.batch_size: expected a positive integer, received 0\.$/,
    ],
    [
      'metrics that are not names',
      (s) => ({ ...s, compile: { ...(s.compile as JsonObject), metrics: [1] } }),
      /^training\.compile\.metrics: expected a list of metric names, received \[1\]\.$/,
    ],
    [
      'a history that is not numbers',
      (s) => ({ ...s, history: { loss: ['a'] } }),
      /^training\.history\.loss: expected a list of numbers, one per epoch/,
    ],
  ])('training: rejects %s', (_what, edit, message) => {
    const doc = load('train_sgd_mse');
    const fixture = parseFixture({ ...doc, training: edit(doc.training as JsonObject) });
    expect(() => readTrainingSection(fixture)).toThrow(message);
  });

  it('compares within atol + rtol * |Keras|, NaN only with NaN', () => {
    expect(toleranceRatio(1.001, 1, 1e-3, 0)).toBeCloseTo(1, 6);
    expect(toleranceRatio(Number.NaN, Number.NaN, 0, 0)).toBe(0);
    expect(toleranceRatio(Number.NaN, 1, 1, 1)).toBe(Infinity);
    expect(toleranceRatio(2, 1, 0, 0)).toBe(Infinity);
    expect(closeness([1, 2.5, 3], [1, 2, 3], 0.1, 0)).toEqual({ worst: 2.5, failing: 1 });
  });
});
