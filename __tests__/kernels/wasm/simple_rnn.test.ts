import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { fusedSimpleRnnRecurrence } from '../../../src/kernels/simple_rnn_fused';
import type { FusedRecurrenceOptions } from '../../../src/kernels/simple_rnn_fused';
import {
  setThreads,
  wasmKernelAvailable,
  wasmKernelMemory,
  wasmSimpleRnnRecurrence,
} from '../../../src/kernels/wasm';
import { expectNoLeak, useTestBackend } from '../../helpers/tensors';
import { backward64, forward64, type Act } from './reference64';

beforeAll(async () => {
  await useTestBackend();
  setThreads(1);
});

afterAll(() => {
  setThreads(undefined);
});

type Recurrence = typeof fusedSimpleRnnRecurrence;

interface Case {
  steps: number;
  batch: number;
  units: number;
  activation: Act;
  goBackwards: boolean;
  returnSequences: boolean;
  masked: boolean;
  seed: number;
}

// A type, not an interface: tf.dispose and tf.tidy take it as a TensorContainer.
type Inputs = {
  p: tf.Tensor3D;
  u: tf.Tensor2D;
  h0: tf.Tensor2D;
  mask?: tf.Tensor2D;
  /** Weights of the loss sum(output ⊙ weights). */
  dy: tf.Tensor;
};

function inputsOf(c: Case): Inputs {
  return tf.tidy(() => {
    const { steps, batch, units, seed } = c;
    // Recurrent weights of spectral radius about 0.9: states neither vanish nor explode.
    const scale = 0.9 / Math.sqrt(units);
    const mask = c.masked
      ? tf.div<tf.Tensor2D>(
          tf.cast(
            tf.less(tf.randomUniform([batch, units], 0, 1, 'float32', seed + 3), 0.7),
            'float32',
          ),
          0.7,
        )
      : undefined;
    return {
      p: tf.randomNormal<tf.Rank.R3>([steps, batch, units], 0, 1, 'float32', seed),
      u: tf.randomNormal<tf.Rank.R2>([units, units], 0, scale, 'float32', seed + 1),
      h0: tf.randomNormal<tf.Rank.R2>([batch, units], 0, 0.5, 'float32', seed + 2),
      mask,
      dy: tf.randomNormal(
        c.returnSequences ? [steps, batch, units] : [batch, units],
        0,
        1,
        'float32',
        seed + 4,
      ),
    };
  });
}

function optionsOf(c: Case, mask: tf.Tensor2D | undefined): FusedRecurrenceOptions {
  return {
    activation: c.activation,
    goBackwards: c.goBackwards,
    returnSequences: c.returnSequences,
    recurrentMask: mask,
  };
}

/** The output, and the gradients of sum(output ⊙ dy) by p, u and h0. */
function run(impl: Recurrence, c: Case, x: Inputs): { output: tf.Tensor; grads: tf.Tensor[] } {
  return tf.tidy(() => {
    const options = optionsOf(c, x.mask);
    const loss = (p: tf.Tensor, u: tf.Tensor, h0: tf.Tensor): tf.Scalar =>
      tf.sum(tf.mul(impl(p as tf.Tensor3D, u as tf.Tensor2D, h0 as tf.Tensor2D, options), x.dy));
    const { grads } = tf.valueAndGrads(loss)([x.p, x.u, x.h0]);
    return { output: impl(x.p, x.u, x.h0, options), grads };
  });
}

const caseArbitrary = fc.record({
  steps: fc.integer({ min: 1, max: 8 }),
  batch: fc.integer({ min: 1, max: 9 }),
  units: fc.integer({ min: 1, max: 13 }),
  activation: fc.constantFrom<Act>('tanh', 'sigmoid', 'relu', 'linear'),
  goBackwards: fc.boolean(),
  returnSequences: fc.boolean(),
  masked: fc.boolean(),
  seed: fc.integer({ min: 1, max: 100_000 }),
});

describe('wasm SimpleRNN recurrence', () => {
  it('loads here', () => {
    expect(wasmKernelAvailable()).toBe(true);
  });

  it('agrees with the fused tfjs-ops kernel on outputs and every gradient', () => {
    fc.assert(
      fc.property(caseArbitrary, (c) => {
        const x = inputsOf(c);
        const ours = run(wasmSimpleRnnRecurrence, c, x);
        const fused = run(fusedSimpleRnnRecurrence, c, x);
        expect(ours.output).toBeAllClose(fused.output, 1e-5, 1e-5);
        ours.grads.forEach((g, i) => {
          expect(g).toBeAllClose(fused.grads[i], 2e-5, 1e-4);
        });
        tf.dispose([x, ours, fused]);
      }),
      { numRuns: 80, seed: 20261126 },
    );
  });

  it.each([
    ['one step', { steps: 1, batch: 3, units: 5 }],
    ['batch 1', { steps: 6, batch: 1, units: 7 }],
    ['units a multiple of 8', { steps: 4, batch: 5, units: 16 }],
    ['units 4 mod 8', { steps: 4, batch: 6, units: 12 }],
    ['the stock layer', { steps: 5, batch: 64, units: 100 }],
  ])('agrees with the fused kernel: %s', (_, shape) => {
    for (const activation of ['tanh', 'relu'] as const) {
      const c: Case = {
        ...shape,
        activation,
        goBackwards: true,
        returnSequences: true,
        masked: true,
        seed: 7,
      };
      const x = inputsOf(c);
      const ours = run(wasmSimpleRnnRecurrence, c, x);
      const fused = run(fusedSimpleRnnRecurrence, c, x);
      expect(ours.output).toBeAllClose(fused.output, 1e-5, 1e-5);
      ours.grads.forEach((g, i) => {
        expect(g).toBeAllClose(fused.grads[i], 2e-5, 1e-4);
      });
      tf.dispose([x, ours, fused]);
    }
  });

  it('matches the float64 formula over 10,000 steps', () => {
    const c: Case = {
      steps: 10_000,
      batch: 3,
      units: 5,
      activation: 'tanh',
      goBackwards: true,
      returnSequences: true,
      masked: true,
      seed: 11,
    };
    const x = inputsOf(c);
    const ours = run(wasmSimpleRnnRecurrence, c, x);
    const problem = {
      steps: c.steps,
      batch: c.batch,
      units: c.units,
      act: c.activation,
      goBackwards: c.goBackwards,
      p: x.p.dataSync(),
      u: x.u.dataSync(),
      h0: x.h0.dataSync(),
      mask: x.mask?.dataSync(),
    };
    const hs = forward64(problem);
    const { dp, du, dh0 } = backward64(problem, hs, x.dy.dataSync(), true);
    expect(ours.output.dataSync()).toBeAllClose(Float32Array.from(hs), 1e-5, 1e-5);
    const [gp, gu, gh0] = ours.grads as [tf.Tensor, tf.Tensor, tf.Tensor];
    expect(gp.dataSync()).toBeAllClose(Float32Array.from(dp), 1e-5, 1e-4);
    // dU sums 30,000 products: float32 rounding grows with the count.
    expect(gu.dataSync()).toBeAllClose(Float32Array.from(du), 1e-3, 1e-4);
    expect(gh0.dataSync()).toBeAllClose(Float32Array.from(dh0), 1e-5, 1e-4);
    tf.dispose([x, ours]);
  });

  it.each([
    ['tanh', Number.NaN],
    ['relu', Number.NaN],
    ['linear', Number.NaN],
    ['tanh', Number.POSITIVE_INFINITY],
    ['sigmoid', Number.NEGATIVE_INFINITY],
    ['relu', Number.POSITIVE_INFINITY],
  ] as const)('propagates %s of %s as the fused kernel does', (activation, bad) => {
    const c: Case = {
      steps: 4,
      batch: 2,
      units: 3,
      activation,
      goBackwards: false,
      returnSequences: true,
      masked: false,
      seed: 5,
    };
    const x = inputsOf(c);
    const values = x.p.arraySync();
    values[1][0][1] = bad;
    const p = tf.tensor3d(values);
    const withBad = { ...x, p };
    const ours = run(wasmSimpleRnnRecurrence, c, withBad);
    const fused = run(fusedSimpleRnnRecurrence, c, withBad);
    expect(ours.output).toBeAllClose(fused.output, 1e-5, 1e-5);
    ours.grads.forEach((g, i) => {
      expect(g).toBeAllClose(fused.grads[i], 2e-5, 1e-4);
    });
    // The bad value reaches batch row 0 from step 1 on and never batch row 1.
    const out = ours.output.arraySync() as number[][][];
    expect(out[0][0].every(Number.isFinite)).toBe(true);
    expect(out[3][1].every(Number.isFinite)).toBe(true);
    tf.dispose([x, p, ours, fused]);
  });

  it('flushes denormal states and gradients below 2^-100 to zero, as TensorFlow flushes denormals', () => {
    tf.tidy(() => {
      const options = { activation: 'linear', goBackwards: false, returnSequences: true } as const;
      const p = tf.tensor3d([[[1e-39, 0.5]], [[-1e-39, 1e-20]]]);
      const u = tf.zeros<tf.Rank.R2>([2, 2]);
      const h0 = tf.zeros<tf.Rank.R2>([1, 2]);
      expect(wasmSimpleRnnRecurrence(p, u, h0, options).arraySync()).toEqual([
        [[0, 0.5]],
        [[0, Math.fround(1e-20)]],
      ]);
      const dy = tf.tensor3d([[[1e-35, 1e-29]], [[2e-31, -3e-31]]]);
      const dp = tf.grad((x: tf.Tensor) =>
        tf.sum(tf.mul(wasmSimpleRnnRecurrence(x as tf.Tensor3D, u, h0, options), dy)),
      )(p);
      expect(dp.arraySync()).toEqual([[[0, Math.fround(1e-29)]], [[0, 0]]]);
    });
  });

  it('gives the same numbers on 1 and 2 threads, and the same on every run', () => {
    const c: Case = {
      steps: 12,
      batch: 64,
      units: 100,
      activation: 'tanh',
      goBackwards: false,
      returnSequences: true,
      masked: true,
      seed: 3,
    };
    const x = inputsOf(c);
    try {
      setThreads(1);
      const one = run(wasmSimpleRnnRecurrence, c, x);
      setThreads(2);
      const two = run(wasmSimpleRnnRecurrence, c, x);
      const again = run(wasmSimpleRnnRecurrence, c, x);
      // Threads split the batch (rows are independent) and dU's rows (each sum in one order):
      // bit for bit the same numbers.
      expect(two.output).toBeAllClose(one.output, 0, 0);
      two.grads.forEach((g, i) => {
        expect(g).toBeAllClose(one.grads[i], 0, 0);
      });
      again.grads.forEach((g, i) => {
        expect(g).toBeAllClose(two.grads[i], 0, 0);
      });
      tf.dispose([one, two, again]);
    } finally {
      setThreads(1);
      tf.dispose(x);
    }
  });

  it.each([
    [
      'a projected tensor of rank 2',
      () => [tf.zeros([2, 3]), tf.zeros([3, 3]), tf.zeros([2, 3])],
      /expected projected of shape \[timesteps, samples, units\], each at least 1, received \[2, 3\]/,
    ],
    [
      'a recurrent kernel of the wrong size',
      () => [tf.zeros([2, 4, 3]), tf.zeros([2, 3]), tf.zeros([4, 3])],
      /expected recurrentKernel of shape \[3, 3\], received \[2, 3\]/,
    ],
    [
      'an initial state of another batch',
      () => [tf.zeros([2, 4, 3]), tf.zeros([3, 3]), tf.zeros([5, 3])],
      /expected initialState of shape \[4, 3\], received \[5, 3\]/,
    ],
    [
      'zero steps',
      () => [tf.zeros([0, 4, 3]), tf.zeros([3, 3]), tf.zeros([4, 3])],
      /each at least 1, received \[0, 4, 3\]/,
    ],
  ])('rejects %s', (_, make, message) => {
    const [p, u, h0] = make();
    expect(() =>
      wasmSimpleRnnRecurrence(p as tf.Tensor3D, u as tf.Tensor2D, h0 as tf.Tensor2D, {
        activation: 'tanh',
        goBackwards: false,
        returnSequences: true,
      }),
    ).toThrow(message);
    tf.dispose([p, u, h0]);
  });

  it('rejects a mask of the wrong shape and an unknown activation', () => {
    tf.tidy(() => {
      const args = [
        tf.zeros<tf.Rank.R3>([2, 4, 3]),
        tf.zeros<tf.Rank.R2>([3, 3]),
        tf.zeros<tf.Rank.R2>([4, 3]),
      ] as const;
      expect(() =>
        wasmSimpleRnnRecurrence(...args, {
          activation: 'tanh',
          goBackwards: false,
          returnSequences: true,
          recurrentMask: tf.ones([4, 2]),
        }),
      ).toThrow(/expected recurrentMask of shape \[4, 3\], received \[4, 2\]/);
      expect(() =>
        wasmSimpleRnnRecurrence(...args, {
          activation: 'elu' as 'tanh',
          goBackwards: false,
          returnSequences: true,
        }),
      ).toThrow(/expected activation 'tanh', 'sigmoid', 'relu' or 'linear', received "elu"/);
    });
  });
});

describe('wasm SimpleRNN memory', () => {
  const c: Case = {
    steps: 7,
    batch: 5,
    units: 6,
    activation: 'tanh',
    goBackwards: false,
    returnSequences: false,
    masked: true,
    seed: 9,
  };

  it('leaks no tensors through forward and backward', async () => {
    const x = inputsOf(c);
    tf.dispose(run(wasmSimpleRnnRecurrence, c, x));
    await expectNoLeak(() => {
      tf.dispose(run(wasmSimpleRnnRecurrence, c, x));
    });
    tf.dispose(x);
  });

  it('keeps its memory flat over many inference, training and abandoned-tape calls', () => {
    const x = inputsOf(c);
    const options = optionsOf(c, x.mask);
    const once = (): void => {
      // Inference: no tape, nothing kept.
      tf.dispose(wasmSimpleRnnRecurrence(x.p, x.u, x.h0, options));
      // Training: the gradient runs and frees the forward buffers.
      tf.dispose(run(wasmSimpleRnnRecurrence, c, x));
      // A tape on which the kernel's output does not reach the loss: its gradient never runs.
      tf.dispose(
        tf.grad((h0: tf.Tensor) => {
          wasmSimpleRnnRecurrence(x.p, x.u, h0 as tf.Tensor2D, options);
          return tf.sum(h0);
        })(x.h0),
      );
    };
    once();
    const before = wasmKernelMemory();
    expect(before.pendingGradients).toBe(1);
    for (let i = 0; i < 50; i++) once();
    const after = wasmKernelMemory();
    expect(after).toEqual(before);
    // The abandoned pass is freed at the next call.
    tf.dispose(wasmSimpleRnnRecurrence(x.p, x.u, x.h0, options));
    expect(wasmKernelMemory().pendingGradients).toBe(0);
    tf.dispose(x);
  });
});
