/**
 * A Dense head inside the stack's op (stack_head.ts) against the stack followed by the Dense
 * op: the same output and every gradient, bit for bit, on one thread and on two.
 */
import * as tf from '@tensorflow/tfjs';
import { simpleRnnStack } from '../../../src/kernels/simple_rnn';
import {
  type SimpleRnnStackHead,
  type SimpleRnnStackLayer,
  setThreads,
  wasmDense,
  wasmKernelAvailable,
  wasmKernelMemory,
  wasmSimpleRnnStack,
} from '../../../src/kernels/wasm';
import { dropoutMask, normal } from '../../helpers/random_tensors';
import { expectNoLeak, useTestBackend } from '../../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

afterAll(() => {
  setThreads(undefined);
});

interface HeadCase {
  batch: number;
  steps: number;
  features: number;
  units: number[];
  headUnits: number;
  headBias: boolean;
  goBackwards?: boolean;
  /** A recurrent mask (recurrent dropout) on the last layer. */
  mask?: boolean;
  seed: number;
}

type Run = (x: tf.Tensor3D, layers: SimpleRnnStackLayer[], head: SimpleRnnStackHead) => tf.Tensor;

const fused: Run = (x, layers, head) => wasmSimpleRnnStack(x, layers, head);
const separate: Run = (x, layers, head) =>
  wasmDense(
    wasmSimpleRnnStack(x, layers) as tf.Tensor2D,
    head.kernel as tf.Tensor2D,
    head.bias as tf.Tensor1D | null,
  );

/** The output on seeded data, and the gradients of sum(output ⊙ g) by every input. */
function gradientsOf(run: Run, c: HeadCase): { output: tf.Tensor; grads: tf.Tensor[] } {
  return tf.tidy(() => {
    const inputs: tf.Tensor[] = [normal<tf.Rank.R3>([c.batch, c.steps, c.features], 1, c.seed)];
    let features = c.features;
    for (const [i, units] of c.units.entries()) {
      const seed = c.seed + 10 * (i + 1);
      inputs.push(
        normal<tf.Rank.R2>([features, units], 0.5, seed),
        normal<tf.Rank.R2>([units, units], 0.9 / Math.sqrt(units), seed + 1),
        normal<tf.Rank.R1>([units], 0.5, seed + 2),
      );
      features = units;
    }
    inputs.push(normal<tf.Rank.R2>([features, c.headUnits], 1 / Math.sqrt(features), c.seed + 7));
    if (c.headBias) inputs.push(normal<tf.Rank.R1>([c.headUnits], 0.5, c.seed + 8));
    const lastUnits = features;
    const mask = c.mask === true ? dropoutMask([c.batch, lastUnits], 0.6, c.seed + 9) : undefined;
    const g = normal<tf.Rank.R2>([c.batch, c.headUnits], 1, c.seed + 5);
    const call = (...tensors: tf.Tensor[]): tf.Tensor => {
      const [x, ...rest] = tensors;
      const last = c.units.length - 1;
      const layers = c.units.map((_units, i): SimpleRnnStackLayer => {
        const [kernel, recurrentKernel, bias] = rest.splice(0, 3);
        return {
          weights: {
            kernel: kernel as tf.Tensor2D,
            recurrentKernel: recurrentKernel as tf.Tensor2D,
            bias: bias as tf.Tensor1D,
          },
          options: {
            activation: 'tanh',
            goBackwards: i === 0 && c.goBackwards === true,
            returnSequences: i < last,
            recurrentMask: i === last ? mask : undefined,
          },
        };
      });
      const [kernel] = rest;
      return run(x as tf.Tensor3D, layers, { kernel, bias: rest.at(1) ?? null });
    };
    const { grads } = tf.valueAndGrads((...t: tf.Tensor[]) =>
      tf.sum<tf.Scalar>(tf.mul(call(...t), g)),
    )(inputs);
    return { output: call(...inputs), grads };
  });
}

const stock: HeadCase = {
  batch: 64,
  steps: 12,
  features: 1,
  units: [80, 100],
  headUnits: 1,
  headBias: true,
  seed: 3,
};

const onKernels = wasmKernelAvailable() ? describe : describe.skip;

onKernels('a Dense head in the stack op', () => {
  it.each<[string, HeadCase]>([
    ['the stock model (Dense(1))', stock],
    [
      'units not a multiple of 4, a head of 5 without bias, backwards, recurrent dropout',
      {
        ...stock,
        batch: 7,
        steps: 5,
        features: 3,
        units: [6, 3],
        headUnits: 5,
        headBias: false,
        goBackwards: true,
        mask: true,
      },
    ],
    [
      'one layer of 3 units, a head of 5 (the letters model)',
      { ...stock, batch: 32, steps: 4, features: 5, units: [3], headUnits: 5 },
    ],
    [
      'one step, batch 1, a head of 9',
      { ...stock, batch: 1, steps: 1, units: [4, 7], headUnits: 9 },
    ],
  ])('equals the stack then the Dense op, bit for bit: %s', async (_name, c) => {
    for (const threads of [1, 2]) {
      setThreads(threads);
      // Once first: starting the worker pool takes memory of its own.
      tf.dispose(gradientsOf(fused, c));
      const heapBefore = wasmKernelMemory().bytesInUse;
      await expectNoLeak(() => {
        const ours = gradientsOf(fused, c);
        const theirs = gradientsOf(separate, c);
        expect(ours.output.shape).toEqual([c.batch, c.headUnits]);
        expect(ours.output).toBeAllClose(theirs.output, 0, 0);
        expect(ours.grads).toHaveLength(theirs.grads.length);
        ours.grads.forEach((grad, i) => {
          expect(grad).toBeAllClose(theirs.grads[i], 0, 0);
        });
        tf.dispose([ours, theirs]);
      });
      expect(wasmKernelMemory().bytesInUse).toBe(heapBefore);
    }
  });

  it('runs through simpleRnnStack: one op instead of two', async () => {
    setThreads(1);
    const c = { ...stock, batch: 4, steps: 3 };
    const names = async (run: Run): Promise<string[]> => {
      const info = await tf.profile(() => gradientsOf(run, c));
      tf.dispose(info.result);
      return info.kernels.map((k) => k.name);
    };
    const inOne = await names(fused);
    expect(await names((x, layers, head) => simpleRnnStack(x, layers, head))).toEqual(inOne);
    // The Dense op's forward and backward on top.
    expect((await names(separate)).length).toBe(inOne.length + 4);
  });

  it('rejects a head after a layer that returns sequences, and a kernel of the wrong shape', () => {
    tf.tidy(() => {
      const layer = (returnSequences: boolean): SimpleRnnStackLayer => ({
        weights: { kernel: tf.zeros([2, 3]), recurrentKernel: tf.zeros([3, 3]), bias: null },
        options: { activation: 'tanh', goBackwards: false, returnSequences },
      });
      const x = tf.zeros<tf.Rank.R3>([1, 2, 2]);
      expect(() =>
        wasmSimpleRnnStack(x, [layer(true)], { kernel: tf.zeros([3, 1]), bias: null }),
      ).toThrow(
        "wasmSimpleRnnStack: a Dense head reads the last layer's last state; that layer returns sequences.",
      );
      expect(() =>
        wasmSimpleRnnStack(x, [layer(false)], { kernel: tf.zeros([4, 1]), bias: null }),
      ).toThrow(/wasmSimpleRnnStack \(Dense head\).*kernel/);
    });
  });
});
