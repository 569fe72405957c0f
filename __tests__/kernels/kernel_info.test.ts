import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { useTestBackend } from '../helpers/tensors';
import {
  Dense,
  KERNEL_ENV_VAR,
  Sequential,
  SimpleRNN,
  THREADS_ENV_VAR,
  ValueError,
  getThreads,
  kernelInfo,
  setThreads,
  wasmKernelMemory,
} from '../../src/index';

beforeAll(async () => {
  await useTestBackend();
});

/** Runs `fn` with an environment variable set (or removed), restoring it after. */
function withEnv<T>(name: string, value: string | undefined, fn: () => T): T {
  const before = process.env[name];
  if (value === undefined) Reflect.deleteProperty(process.env, name);
  else process.env[name] = value;
  try {
    return fn();
  } finally {
    if (before === undefined) Reflect.deleteProperty(process.env, name);
    else process.env[name] = before;
  }
}

/**
 * The weights after two epochs from fixed start weights, on `threads`: batches of 32 rows of 40
 * steps through 40 and 24 units, enough multiply-adds that a pass splits its rows over threads.
 */
async function trainedWeights(threads: number): Promise<Float32Array[]> {
  setThreads(threads);
  const model = new Sequential([
    new SimpleRNN({ units: 40, inputShape: [40, 3], returnSequences: true }),
    new SimpleRNN({ units: 24 }),
    new Dense({ units: 2 }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'mse' });
  model.setWeights(
    model
      .getWeights()
      .map((w, i) => tf.tidy(() => tf.sin(tf.range(0, w.size).reshape(w.shape).add(i)).mul(0.3))),
  );
  const x = tf.tidy(() => tf.cos(tf.range(0, 64 * 40 * 3)).reshape([64, 40, 3]));
  const y = tf.tidy(() => tf.sin(tf.range(0, 128)).reshape([64, 2]));
  await model.fit(x, y, { epochs: 2, batchSize: 32, shuffle: false, verbose: 0 });
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  tf.dispose([x, y]);
  model.dispose();
  return weights;
}

describe('the kernels and threads, from the package entry point', () => {
  afterEach(() => {
    setThreads(undefined);
  });

  it('setThreads sets the thread count that kernelInfo reports; undefined returns to the default', () => {
    setThreads(1);
    expect(getThreads()).toBe(1);
    const info = kernelInfo();
    if (info.kernel === 'wasm') {
      expect(info.threads).toBe(1);
      expect(['relaxed-simd', 'simd', 'file']).toContain(info.variant);
    } else {
      // Only where the kernels cannot load; this machine's runs always have them.
      expect(info.reason).toMatch(/do not load|fused/);
    }
    setThreads(3);
    expect(getThreads()).toBe(3);
    setThreads(undefined);
    withEnv(THREADS_ENV_VAR, '2', () => {
      expect(getThreads()).toBe(2);
    });
    withEnv(THREADS_ENV_VAR, undefined, () => {
      expect(getThreads()).toBeGreaterThanOrEqual(1);
    });
  });

  it('rejects a thread count that is not a positive integer, naming what it received', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => {
        setThreads(bad);
      }).toThrow(ValueError);
    }
    expect(() => {
      setThreads(0);
    }).toThrow(/positive integer.*received 0/);
    withEnv(THREADS_ENV_VAR, 'two', () => {
      expect(() => getThreads()).toThrow(/TFJS_KERAS_RNN_THREADS.*"two"/);
    });
  });

  it('reports tfjs ops while TFJS_KERAS_RNN_KERNEL=fused, and the kernels again after', () => {
    withEnv(KERNEL_ENV_VAR, 'fused', () => {
      expect(kernelInfo()).toEqual({
        kernel: 'fused',
        reason: 'TFJS_KERAS_RNN_KERNEL=fused is set',
        cells: { SimpleRNN: 'fused', LSTM: 'fused', GRU: 'fused' },
      });
    });
    expect(kernelInfo()).toMatchObject({
      kernel: 'wasm',
      cells: { SimpleRNN: 'sequence', LSTM: 'sequence', GRU: 'sequence' },
    });
  });

  it('trains to the same weights, bit for bit, on one thread and on two', async () => {
    const one = await trainedWeights(1);
    const two = await trainedWeights(2);
    expect(two.length).toBe(one.length);
    two.forEach((w, i) => {
      expect(Array.from(w)).toEqual(Array.from(one[i] ?? []));
    });
    // Nothing of the forward passes is left waiting for a gradient.
    expect(wasmKernelMemory().pendingGradients).toBe(0);
  });
});
