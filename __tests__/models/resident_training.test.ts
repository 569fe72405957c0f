/**
 * fit's training steps in the kernels' memory (src/models/resident_training.ts): the same
 * numbers bit for bit as fit's tfjs steps (TFJS_KERAS_RNN_RESIDENT=off) for the models, losses
 * and optimizers it takes, those steps for the ones it does not, and the tfjs variables up to
 * date wherever code outside the step can read them.
 */
import * as tf from '@tensorflow/tfjs';
import { pseudoRandom } from '../helpers/reference_rnn';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';
import {
  Dense,
  Dropout,
  RESIDENT_ENV_VAR,
  SimpleRNN,
  SimpleRNNCell,
  StackedRNN,
  wasmKernelMemory,
} from '../../src/index';
import { WasmStackTrainer } from '../../src/kernels/wasm/stack_trainer';
import type { CompileArgs } from '../../src/models/compile';
import type { FitArgs } from '../../src/models/fit_setup';
import { Sequential } from '../../src/models/sequential';
import type { History } from '../../src/models/training';

beforeAll(async () => {
  await useTestBackend();
});

afterEach(() => {
  delete process.env.TFJS_KERAS_RNN_RESIDENT;
  jest.restoreAllMocks();
});

/** x [samples, steps, features] and y [samples, units] of deterministic values. */
function data(
  samples: number,
  steps: number,
  features: number,
  units: number,
  seed = 7,
): { x: tf.Tensor3D; y: tf.Tensor2D } {
  const x = pseudoRandom(samples * steps * features, seed);
  const y = pseudoRandom(samples * units, seed + 1).map((v) => (v + 1) / 2);
  return {
    x: tf.tensor3d(x, [samples, steps, features]),
    y: tf.tensor2d(y, [samples, units]),
  };
}

/** What a fit leaves: its history, the weights, the optimizer's weights. */
interface Outcome {
  /** Or the error fit threw. */
  history: History['history'] | Error;
  weights: Float32Array[];
  optimizer: Float32Array[];
  names: string[];
  steps: number;
}

/**
 * Builds a model with `build`, gives it the weights of `init` (so both paths start alike),
 * compiles and fits it; resident steps counted.
 */
type FitOf = FitArgs | ((model: Sequential) => FitArgs);

async function train(
  build: () => Sequential,
  init: tf.Tensor[],
  compile: CompileArgs,
  fit: FitOf,
  x: tf.Tensor,
  y: tf.Tensor,
  resident: boolean,
): Promise<Outcome> {
  if (resident) delete process.env.TFJS_KERAS_RNN_RESIDENT;
  else process.env[RESIDENT_ENV_VAR] = 'off';
  const step = jest.spyOn(WasmStackTrainer.prototype, 'step');
  // fit shuffles with Math.random: the same order in both runs.
  const draws = pseudoRandom(4096, 99);
  let drawn = 0;
  jest.spyOn(Math, 'random').mockImplementation(() => ((draws[drawn++ % 4096] ?? 0) + 1) / 2);
  const model = build();
  model.setWeights(init);
  model.compile(compile);
  try {
    let history: History['history'] | Error;
    try {
      ({ history } = await model.fit(x, y, {
        verbose: 0,
        ...(typeof fit === 'function' ? fit(model) : fit),
      }));
    } catch (err) {
      history = err as Error;
    }
    const optimizerWeights = (await model.optimizer?.getWeights()) ?? [];
    return {
      history,
      weights: model.getWeights().map((t) => {
        const v = t.dataSync() as Float32Array;
        t.dispose();
        return v;
      }),
      optimizer: optimizerWeights.map(({ tensor }) => tensor.dataSync() as Float32Array),
      // Layer names are unique per model: without their numbers.
      names: optimizerWeights.map(({ name }) => name.replace(/_\d+\//g, '/')),
      steps: step.mock.calls.length,
    };
  } finally {
    step.mockRestore();
    jest.restoreAllMocks();
    model.dispose();
  }
}

/** Every value the same bit for bit (NaN included). */
function expectSameValues(a: Float32Array[], b: Float32Array[]): void {
  expect(a.length).toBe(b.length);
  a.forEach((values, i) => {
    const other = b[i];
    expect(values.length).toBe(other.length);
    const differing = values.findIndex((v, j) => !Object.is(v, other[j]));
    expect({ array: i, index: differing }).toEqual({ array: i, index: -1 });
  });
}

/** Trains through tfjs and in the kernels' memory from the same weights; both outcomes. */
async function trainBoth(
  build: () => Sequential,
  compile: CompileArgs,
  fit: FitOf,
  x: tf.Tensor,
  y: tf.Tensor,
): Promise<{ tfjs: Outcome; resident: Outcome }> {
  const template = build();
  const init = template.getWeights();
  template.dispose();
  try {
    const tfjs = await train(build, init, compile, fit, x, y, false);
    const resident = await train(build, init, compile, fit, x, y, true);
    return { tfjs, resident };
  } finally {
    tf.dispose(init);
  }
}

function expectSameTraining(tfjs: Outcome, resident: Outcome): void {
  expect(resident.history).toEqual(tfjs.history);
  expectSameValues(resident.weights, tfjs.weights);
  expect(resident.names).toEqual(tfjs.names);
  expectSameValues(resident.optimizer, tfjs.optimizer);
}

const stockLike = (): Sequential =>
  new Sequential([
    new SimpleRNN({ units: 6, returnSequences: true, inputShape: [7, 3] }),
    new SimpleRNN({ units: 5 }),
    new Dense({ units: 2 }),
  ]);

describe('resident training: the same numbers as the tfjs steps', () => {
  const models: [string, () => Sequential, [number, number, number]][] = [
    ['SimpleRNN(6, seq) -> SimpleRNN(5) -> Dense(2)', stockLike, [11, 7, 3]],
    [
      'one feature, 8 units (rows without padding) -> Dense(1)',
      () =>
        new Sequential([new SimpleRNN({ units: 8, inputShape: [9, 1] }), new Dense({ units: 1 })]),
      [10, 9, 1],
    ],
    [
      'goBackwards, relu, no biases',
      () =>
        new Sequential([
          new SimpleRNN({
            units: 5,
            returnSequences: true,
            goBackwards: true,
            activation: 'relu',
            useBias: false,
            inputShape: [6, 2],
          }),
          new SimpleRNN({ units: 3, activation: 'sigmoid' }),
          new Dense({ units: 3, useBias: false }),
        ]),
      [9, 6, 2],
    ],
    [
      'StackedRNN of two cells -> Dense(1)',
      () =>
        new Sequential([
          new StackedRNN({
            cells: [new SimpleRNNCell({ units: 4 }), new SimpleRNNCell({ units: 3 })],
            inputShape: [5, 2],
          }),
          new Dense({ units: 1 }),
        ]),
      [8, 5, 2],
    ],
    [
      "the course's stock model: Dropout between the layers and before the Dense",
      () =>
        new Sequential([
          new SimpleRNN({ units: 6, returnSequences: true, inputShape: [7, 1] }),
          new Dropout({ rate: 0.3, seed: 1 }),
          new SimpleRNN({ units: 5 }),
          new Dropout({ rate: 0.2, seed: 2 }),
          new Dense({ units: 1 }),
        ]),
      [11, 7, 1],
    ],
    [
      'a StackedRNN, then Dropout of rate 0 and of 0.5',
      () =>
        new Sequential([
          new StackedRNN({
            cells: [new SimpleRNNCell({ units: 4 }), new SimpleRNNCell({ units: 5 })],
            returnSequences: true,
            inputShape: [5, 2],
          }),
          new Dropout({ rate: 0 }),
          new SimpleRNN({ units: 3, returnSequences: true }),
          new Dropout({ rate: 0.5, seed: 3 }),
          new SimpleRNN({ units: 6 }),
          new Dense({ units: 2 }),
        ]),
      [8, 5, 2],
    ],
  ];

  it.each(models)('%s: losses, weights and Adam slots', async (_name, build, [n, steps, f]) => {
    const units = (build().layers.at(-1) as Dense).units;
    const { x, y } = data(n, steps, f, units);
    try {
      const { tfjs, resident } = await trainBoth(
        build,
        { optimizer: 'adam', loss: 'mse' },
        // A last batch smaller than the others.
        { epochs: 3, batchSize: 4 },
        x,
        y,
      );
      expect(tfjs.steps).toBe(0);
      expect(resident.steps).toBe(3 * Math.ceil(n / 4));
      expectSameTraining(tfjs, resident);
    } finally {
      tf.dispose([x, y]);
    }
  });

  it.each([1e-4, 0])(
    "Adam's own options (epsilon %p), the loss by its Keras name, unshuffled, validation",
    async (epsilon) => {
      const { x, y } = data(11, 7, 3, 2);
      const val = data(5, 7, 3, 2, 3);
      try {
        const { tfjs, resident } = await trainBoth(
          stockLike,
          {
            optimizer: { name: 'adam', learningRate: 0.02, beta1: 0.8, beta2: 0.99, epsilon },
            loss: 'mean_squared_error',
          },
          // Validation without callbacks: it must see the epoch's last step too.
          { epochs: 2, batchSize: 5, shuffle: false, validationData: [val.x, val.y] },
          x,
          y,
        );
        expect(resident.steps).toBe(6);
        expect(Object.keys(resident.history)).toEqual(['loss', 'val_loss']);
        expectSameTraining(tfjs, resident);
      } finally {
        tf.dispose([x, y, val.x, val.y]);
      }
    },
  );

  it('callbacks see the weights of every step so far, and what they change is trained on', async () => {
    const { x, y } = data(11, 7, 3, 2);
    const val = data(5, 7, 3, 2, 3);
    const seen: number[][][] = [];
    const fit = (model: Sequential): FitArgs => {
      const record: number[][] = [];
      seen.push(record);
      return {
        epochs: 3,
        batchSize: 4,
        validationData: [val.x, val.y],
        callbacks: {
          onBatchEnd: () => {
            const weights = model.getWeights();
            record.push(weights.map((w) => w.dataSync()[1]));
            tf.dispose(weights);
          },
          onEpochBegin: (epoch) => {
            if (epoch !== 1) return;
            const weights = model.getWeights();
            const halved = weights.map((w) => tf.mul(w, 0.5));
            model.setWeights(halved);
            tf.dispose([...weights, ...halved]);
            (model.optimizer as unknown as { learningRate: number }).learningRate = 0.005;
          },
        },
      };
    };
    try {
      const { tfjs, resident } = await trainBoth(
        stockLike,
        { optimizer: 'adam', loss: 'mse' },
        fit,
        x,
        y,
      );
      expect(resident.steps).toBe(9);
      expect(seen).toHaveLength(2);
      expect(seen[1]).toHaveLength(9);
      expect(seen[1]).toEqual(seen[0]);
      expect(Object.keys(resident.history)).toEqual(['loss', 'val_loss']);
      expectSameTraining(tfjs, resident);
    } finally {
      tf.dispose([x, y, val.x, val.y]);
    }
  });

  it('publishes the weights only before the callbacks that are defined', async () => {
    const { x, y } = data(11, 7, 3, 2);
    const model = stockLike();
    model.compile({ optimizer: 'adam', loss: 'mse' });
    const read = jest.spyOn(WasmStackTrainer.prototype, 'read');
    const losses: number[] = [];
    try {
      await model.fit(x, y, {
        epochs: 3,
        batchSize: 4,
        verbose: 0,
        callbacks: { onEpochEnd: (_epoch, logs) => void losses.push(logs.loss) },
      });
      expect(losses).toHaveLength(3);
      // Once an epoch, before onEpochEnd: 8 variables, 3 arrays each (not at every batch).
      expect(read).toHaveBeenCalledTimes(3 * 8 * 3);
    } finally {
      model.dispose();
      tf.dispose([x, y]);
    }
  });

  it('reads x again where a callback grew the wasm backend’s memory', async () => {
    const { x, y } = data(11, 7, 3, 2);
    const grown: number[] = [];
    const heapBytes = (): number =>
      (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8.length ?? 0;
    const fit: FitArgs = {
      epochs: 2,
      batchSize: 4,
      callbacks: {
        onBatchEnd: (batch) => {
          if (batch !== 0) return;
          // A tensor as large as the backend's memory makes it grow: views of it go stale.
          const before = heapBytes();
          tf.dispose(tf.zeros([Math.max(1, before / 4)]));
          grown.push(heapBytes() - before);
        },
      },
    };
    try {
      const { tfjs, resident } = await trainBoth(
        stockLike,
        { optimizer: 'adam', loss: 'mse' },
        fit,
        x,
        y,
      );
      if (tf.getBackend() === 'wasm') expect(grown.every((g) => g > 0)).toBe(true);
      expect(resident.steps).toBe(6);
      expectSameTraining(tfjs, resident);
    } finally {
      tf.dispose([x, y]);
    }
  });

  it('a callback that throws leaves the weights of the steps taken', async () => {
    const { x, y } = data(11, 7, 3, 2);
    const fit: FitArgs = {
      epochs: 2,
      batchSize: 4,
      callbacks: {
        onBatchEnd: (batch) => {
          if (batch === 1) throw new Error('stop here');
        },
      },
    };
    try {
      const { tfjs, resident } = await trainBoth(
        stockLike,
        { optimizer: 'adam', loss: 'mse' },
        fit,
        x,
        y,
      );
      expect(resident.steps).toBe(2);
      expect(resident.history).toEqual(new Error('stop here'));
      expectSameTraining(tfjs, resident);
    } finally {
      tf.dispose([x, y]);
    }
  });

  it('leaves no tensors and no kernel memory behind', async () => {
    const { x, y } = data(11, 7, 3, 2);
    const model = stockLike();
    model.compile({ optimizer: 'adam', loss: 'mse' });
    const step = jest.spyOn(WasmStackTrainer.prototype, 'step');
    try {
      // The first fit creates Adam's slots.
      await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
      const before = wasmKernelMemory();
      await expectNoLeak(() => model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 }));
      const after = wasmKernelMemory();
      expect(after.bytesInUse).toBe(before.bytesInUse);
      expect(after.blocksInUse).toBe(before.blocksInUse);
      expect(step).toHaveBeenCalledTimes(9);
    } finally {
      model.dispose();
      tf.dispose([x, y]);
    }
  });
});

describe('resident training: what trains through tfjs', () => {
  const cases: [string, () => Sequential, CompileArgs][] = [
    ['a metric', stockLike, { optimizer: 'adam', loss: 'mse', metrics: ['mae'] }],
    ['another loss', stockLike, { optimizer: 'adam', loss: 'mae' }],
    ['SGD', stockLike, { optimizer: 'sgd', loss: 'mse' }],
    // An epsilon, like Adam's.
    ['RMSprop', stockLike, { optimizer: 'rmsprop', loss: 'mse' }],
    ['amsgrad', stockLike, { optimizer: { name: 'adam', amsgrad: true }, loss: 'mse' }],
    ['clipnorm', stockLike, { optimizer: { name: 'adam', clipnorm: 1 }, loss: 'mse' }],
    ['weight decay', stockLike, { optimizer: { name: 'adam', weightDecay: 0.01 }, loss: 'mse' }],
    [
      'an activation on the Dense layer',
      () =>
        new Sequential([
          new SimpleRNN({ units: 5, inputShape: [7, 3] }),
          new Dense({ units: 2, activation: 'tanh' }),
        ]),
      { optimizer: 'adam', loss: 'mse' },
    ],
    [
      'recurrent dropout',
      () =>
        new Sequential([
          new SimpleRNN({ units: 5, recurrentDropout: 0.5, inputShape: [7, 3] }),
          new Dense({ units: 2 }),
        ]),
      { optimizer: 'adam', loss: 'mse' },
    ],
    [
      'a Dropout of a noise shape',
      () =>
        new Sequential([
          new SimpleRNN({ units: 5, returnSequences: true, inputShape: [7, 3] }),
          new Dropout({ rate: 0.5, noiseShape: [null, 1, null], seed: 4 }),
          new SimpleRNN({ units: 4 }),
          new Dense({ units: 2 }),
        ]),
      { optimizer: 'adam', loss: 'mse' },
    ],
    [
      'a Dense layer between',
      () =>
        new Sequential([
          new SimpleRNN({ units: 5, inputShape: [7, 3] }),
          new Dense({ units: 4 }),
          new Dense({ units: 2 }),
        ]),
      { optimizer: 'adam', loss: 'mse' },
    ],
    [
      'a frozen layer',
      () => {
        const model = stockLike();
        model.layers[0].trainable = false;
        return model;
      },
      { optimizer: 'adam', loss: 'mse' },
    ],
  ];

  it.each(cases)('%s', async (_name, build, compile) => {
    const { x, y } = data(11, 7, 3, 2);
    try {
      const { tfjs, resident } = await trainBoth(build, compile, { epochs: 2, batchSize: 4 }, x, y);
      expect(resident.steps).toBe(0);
      expectSameTraining(tfjs, resident);
    } finally {
      tf.dispose([x, y]);
    }
  });

  it(`with ${RESIDENT_ENV_VAR}=off`, async () => {
    const { x, y } = data(11, 7, 3, 2);
    const model = stockLike();
    model.compile({ optimizer: 'adam', loss: 'mse' });
    const step = jest.spyOn(WasmStackTrainer.prototype, 'step');
    process.env[RESIDENT_ENV_VAR] = 'off';
    try {
      await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
      expect(step).not.toHaveBeenCalled();
    } finally {
      model.dispose();
      tf.dispose([x, y]);
    }
  });
});
