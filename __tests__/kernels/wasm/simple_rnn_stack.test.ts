import * as tf from '@tensorflow/tfjs';
import {
  type SimpleRnnStackLayer,
  setThreads,
  wasmKernelMemory,
  wasmSimpleRnnSequence,
  wasmSimpleRnnStack,
} from '../../../src/kernels/wasm';
import { simpleRnnStack } from '../../../src/kernels/simple_rnn';
import { dropoutMask, normal } from '../../helpers/random_tensors';
import { expectNoLeak, useTestBackend } from '../../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
  setThreads(1);
});

afterAll(() => {
  setThreads(undefined);
});

interface StackCase {
  batch: number;
  steps: number;
  features: number;
  units: number[];
  activations?: string[];
  /** goBackwards of each layer. */
  backwards?: boolean[];
  /** Whether the last layer returns every step. */
  returnSequences: boolean;
  /** The first layer's input mask and every layer's recurrent mask. */
  masks: boolean;
  /** Input masks on these layers (besides the first's with `masks`). */
  inputMasksOn?: number[];
  /** Output masks (a Dropout layer after them) on these layers. */
  outputMasksOn?: number[];
  initialStates: boolean;
  seed: number;
}

type Run = (x: tf.Tensor3D, layers: SimpleRnnStackLayer[]) => tf.Tensor;

/** The layers one by one through the one-layer kernel, masks by tf.mul: what a stack must equal. */
const layerByLayer: Run = (x, layers) => {
  let h: tf.Tensor = x;
  for (const { weights, options, outputMask } of layers) {
    h = wasmSimpleRnnSequence(h as tf.Tensor3D, weights, options).output;
    if (outputMask !== undefined) h = tf.mul(h, outputMask);
  }
  return h;
};

/** The stack's output on seeded data, and the gradients of a loss of it by every input. */
function gradientsOf(run: Run, c: StackCase) {
  return tf.tidy(() => {
    const x = normal<tf.Rank.R3>([c.batch, c.steps, c.features], 1, c.seed);
    const inputs: tf.Tensor[] = [x];
    let features = c.features;
    const shapes = c.units.map((units, i) => {
      const seed = c.seed + 10 * (i + 1);
      inputs.push(
        normal<tf.Rank.R2>([features, units], 0.5, seed),
        normal<tf.Rank.R2>([units, units], 0.9 / Math.sqrt(units), seed + 1),
        normal<tf.Rank.R1>([units], 0.5, seed + 2),
      );
      if (c.initialStates) inputs.push(normal<tf.Rank.R2>([c.batch, units], 0.5, seed + 3));
      const inputMask =
        (c.masks && i === 0) || (c.inputMasksOn ?? []).includes(i)
          ? dropoutMask([c.batch, features], 0.7, seed + 4)
          : undefined;
      const recurrentMask = c.masks ? dropoutMask([c.batch, units], 0.6, seed + 5) : undefined;
      // A Dropout layer's mask: one value per sample, step and unit.
      const outputMask = (c.outputMasksOn ?? []).includes(i)
        ? tf.reshape(dropoutMask([c.batch * c.steps, units], 0.8, seed + 6), [
            c.batch,
            c.steps,
            units,
          ])
        : undefined;
      const shape = { features, units, inputMask, recurrentMask, outputMask };
      features = units;
      return shape;
    });
    const last = c.units.length - 1;
    const outputShape = c.returnSequences ? [c.batch, c.steps, features] : [c.batch, features];
    const weightOut = normal<tf.Rank>(outputShape, 1, c.seed + 5);
    const call = (...tensors: tf.Tensor[]): tf.Tensor => {
      const [xs, ...rest] = tensors;
      const layers = shapes.map((shape, i): SimpleRnnStackLayer => {
        const [kernel, recurrentKernel, bias] = rest.splice(0, 3);
        const initialState = c.initialStates ? rest.shift() : undefined;
        return {
          weights: {
            kernel: kernel as tf.Tensor2D,
            recurrentKernel: recurrentKernel as tf.Tensor2D,
            bias: bias as tf.Tensor1D,
          },
          options: {
            activation: c.activations?.[i] ?? 'tanh',
            goBackwards: c.backwards?.[i] ?? false,
            returnSequences: i < last || c.returnSequences,
            inputMask: shape.inputMask,
            recurrentMask: shape.recurrentMask,
            initialState: initialState as tf.Tensor2D | undefined,
          },
          outputMask: shape.outputMask,
        };
      });
      return run(xs as tf.Tensor3D, layers);
    };
    const loss = (...tensors: tf.Tensor[]) =>
      tf.sum<tf.Scalar>(tf.mul(call(...tensors), weightOut));
    const { value, grads } = tf.valueAndGrads(loss)(inputs);
    return { value, grads, output: call(...inputs) };
  });
}

type Result = ReturnType<typeof gradientsOf>;

function expectSame(ours: Result, theirs: Result, tolerance: number): void {
  expect(ours.output).toBeAllClose(theirs.output, tolerance, tolerance);
  expect(ours.value).toBeAllClose(theirs.value, tolerance, tolerance);
  expect(ours.grads).toHaveLength(theirs.grads.length);
  ours.grads.forEach((g, i) => {
    expect(g).toBeAllClose(theirs.grads[i], tolerance, tolerance);
  });
}

/** `run` (on `threads` threads) equals the layers one by one on one thread, bit for bit. */
function expectSameAsLayerByLayer(run: Run, c: StackCase, threads = 1): void {
  try {
    setThreads(threads);
    const ours = gradientsOf(run, c);
    setThreads(1);
    const separate = gradientsOf(layerByLayer, c);
    expectSame(ours, separate, 0);
    tf.dispose([ours, separate]);
  } finally {
    setThreads(1);
  }
}

const stock: StackCase = {
  batch: 64,
  steps: 12,
  features: 1,
  units: [80, 100],
  returnSequences: false,
  masks: false,
  initialStates: false,
  seed: 3,
};

describe('wasm SimpleRNN stack kernel (several layers in one call per pass)', () => {
  it.each<[string, StackCase]>([
    ['the stock model', stock],
    [
      // Units not a multiple of 4: each layer reads the one before with its padded stride,
      // and 3 units give the next layer the projection fused in its epilogue.
      'three layers of 3, 5 and 7 units, masked, with initial states, returning sequences',
      {
        ...stock,
        batch: 13,
        steps: 7,
        features: 5,
        units: [3, 5, 7],
        backwards: [false, true, false],
        returnSequences: true,
        masks: true,
        initialStates: true,
      },
    ],
    [
      'every layer backwards, other activations',
      {
        ...stock,
        batch: 9,
        steps: 4,
        features: 2,
        units: [6, 2],
        activations: ['relu', 'sigmoid'],
        backwards: [true, true],
        masks: true,
      },
    ],
    ['one step, batch 1', { ...stock, batch: 1, steps: 1, features: 3, units: [4, 9] }],
    [
      // The course's model: SimpleRNN -> Dropout -> SimpleRNN, masked element by element.
      'the stock model with a Dropout between the layers',
      { ...stock, outputMasksOn: [0] },
    ],
    [
      'output masks on layers of 3 and 6 units, backwards, returning sequences',
      {
        ...stock,
        batch: 7,
        steps: 5,
        features: 2,
        units: [3, 6, 5],
        backwards: [true, false, true],
        returnSequences: true,
        masks: true,
        initialStates: true,
        outputMasksOn: [0, 1],
      },
    ],
  ])('equals the layers run one by one, bit for bit: %s', (_, c) => {
    expectSameAsLayerByLayer(wasmSimpleRnnStack, c);
  });

  it('equals the layers run one by one on 2 threads, a batch of 37 in shares', () => {
    // Enough work for two threads (planSlices): 37 x 30 x (45 x 58 + 40 x 85) multiply-adds.
    const c: StackCase = {
      ...stock,
      batch: 37,
      steps: 30,
      features: 13,
      units: [45, 40],
      backwards: [true, false],
      masks: true,
      outputMasksOn: [0],
    };
    expectSameAsLayerByLayer(wasmSimpleRnnStack, c, 2);
  });

  it('runs a stack deeper and wider than one job list holds per layer (20 x 96 units, 8 threads)', () => {
    // Eight threads would cut the batch in 16 shares: 20 layers' calls in each, or 2 x 20
    // matrices of weight gradients in 8 parts each, overflow the pool's job list.
    const c: StackCase = {
      ...stock,
      batch: 64,
      steps: 2,
      features: 3,
      units: Array.from({ length: 20 }, () => 96),
    };
    expectSameAsLayerByLayer(wasmSimpleRnnStack, c, 8);
  });

  it('simpleRnnStack starts a new stack at a layer with an input mask, with the same numbers', () => {
    const c: StackCase = {
      ...stock,
      batch: 6,
      steps: 5,
      features: 3,
      units: [5, 6, 4],
      masks: true,
      inputMasksOn: [2],
      outputMasksOn: [0, 1],
    };
    expectSameAsLayerByLayer(simpleRnnStack, c);
  });

  it('simpleRnnStack on the fused tfjs-ops kernel agrees with the WebAssembly stack', () => {
    const c: StackCase = {
      ...stock,
      batch: 5,
      steps: 6,
      features: 2,
      units: [7, 5],
      masks: true,
      outputMasksOn: [0],
    };
    const wasm = gradientsOf(simpleRnnStack, c);
    const saved = process.env.TFJS_KERAS_RNN_KERNEL;
    process.env.TFJS_KERAS_RNN_KERNEL = 'fused';
    try {
      const fused = gradientsOf(simpleRnnStack, c);
      expectSame(wasm, fused, 5e-5);
      tf.dispose(fused);
    } finally {
      if (saved === undefined) delete process.env.TFJS_KERAS_RNN_KERNEL;
      else process.env.TFJS_KERAS_RNN_KERNEL = saved;
    }
    tf.dispose(wasm);
  });

  it('leaks no tensors and no kernel memory, trained or not', async () => {
    const c: StackCase = {
      ...stock,
      batch: 5,
      steps: 4,
      features: 3,
      units: [6, 5],
      masks: true,
      outputMasksOn: [0],
    };
    tf.dispose(gradientsOf(wasmSimpleRnnStack, c));
    const before = wasmKernelMemory();
    await expectNoLeak(() => {
      for (let i = 0; i < 10; i++) tf.dispose(gradientsOf(wasmSimpleRnnStack, c));
    });
    expect(wasmKernelMemory()).toEqual(before);
    expect(before.pendingGradients).toBe(0);
  });

  describe('rejects', () => {
    const layer = (
      features: number,
      units: number,
      extra: Partial<SimpleRnnStackLayer['options']> = {},
    ): SimpleRnnStackLayer => ({
      weights: {
        kernel: tf.zeros([features, units]),
        recurrentKernel: tf.zeros([units, units]),
        bias: null,
      },
      options: { activation: 'tanh', goBackwards: false, returnSequences: true, ...extra },
    });

    it.each<[string, () => SimpleRnnStackLayer[], RegExp]>([
      ['no layers', () => [], /wasmSimpleRnnStack: expected at least one layer/],
      [
        'a layer whose kernel does not read the one before',
        () => [layer(3, 4), layer(5, 2)],
        /wasmSimpleRnnStack \(layer 1\): expected kernel of shape \[4, 2\], received \[5, 2\]/,
      ],
      [
        'a layer before the last that returns only its last step',
        () => [layer(3, 4, { returnSequences: false }), layer(4, 2)],
        /wasmSimpleRnnStack \(layer 0\): every layer of a stack but the last must return sequences/,
      ],
      [
        'an input mask past the first layer',
        () => [layer(3, 4), layer(4, 2, { inputMask: tf.ones([2, 4]) })],
        /wasmSimpleRnnStack \(layer 1\): only the first layer of a stack takes an input mask/,
      ],
      [
        'an output mask on the last layer',
        () => [layer(3, 4), { ...layer(4, 2), outputMask: tf.ones([2, 5, 2]) }],
        /wasmSimpleRnnStack \(layer 1\): the last layer of a stack takes no output mask/,
      ],
      [
        'an output mask of another shape',
        () => [{ ...layer(3, 4), outputMask: tf.ones([2, 4, 4]) }, layer(4, 2)],
        /wasmSimpleRnnStack \(layer 0\): expected outputMask of shape \[2, 5, 4\], received \[2, 4, 4\]/,
      ],
      [
        'an unknown activation',
        () => [layer(3, 4), layer(4, 2, { activation: 'elu' })],
        /expected activation 'tanh', 'sigmoid', 'relu' or 'linear', received "elu"/,
      ],
    ])('%s', (_, make, message) => {
      tf.tidy(() => {
        expect(() => wasmSimpleRnnStack(tf.zeros<tf.Rank.R3>([2, 5, 3]), make())).toThrow(message);
      });
    });
  });
});
