import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { modelFromFixture } from '../../../src/keras/compare';
import { type KerasFixture, readFixtureFile } from '../../../src/keras/fixture';
import { kernelRuntime } from '../../../src/kernels/wasm/runtime';
import { useTestBackend } from '../../helpers/tensors';

/**
 * TensorFlow's `activation` of a grid of inputs, as a Keras SimpleRNN(1) computed it (see the
 * fixture's description).
 */
function gridFixture(activation: string): KerasFixture {
  return readFixtureFile(
    join(__dirname, '..', '..', 'fixtures', 'keras', `simple_rnn_${activation}_grid.json`),
  );
}

/** Runs the kernels' activation `act` (0 linear, 1 tanh, 2 sigmoid, 3 relu) over `xs`. */
function activate(act: number, xs: Float32Array): Float32Array {
  const rt = kernelRuntime();
  const count = Math.ceil(xs.length / 4) * 4;
  const src = rt.heap.alloc(count * 4);
  const dst = rt.heap.alloc(count * 4);
  try {
    rt.heap.f32.fill(0, src >> 2, (src >> 2) + count);
    rt.heap.f32.set(xs, src >> 2);
    rt.exports.activateArray(act, src, dst, count);
    return rt.heap.f32.slice(dst >> 2, (dst >> 2) + xs.length);
  } finally {
    rt.heap.free(src);
    rt.heap.free(dst);
  }
}

/** Every float32 on a fine grid over [-12, 12], plus the tiny, huge and special ones. */
function grid(): Float32Array {
  const n = 600_001;
  const xs = new Float32Array(n + 12);
  for (let i = 0; i < n; i++) xs[i] = -12 + (24 * i) / (n - 1);
  xs.set([0, -0, 1e-30, -1e-30, 3e-4, 4e-4, 5e-4, 30, -30, 1e30, -1e30, 3.4e38], n);
  return xs;
}

/** Where `ys` differs from `expected` (as float32 values), as "x -> y, expected e" lines. */
function differences(xs: Float32Array, ys: Float32Array, expected: Float32Array): string[] {
  const out: string[] = [];
  ys.forEach((y, i) => {
    if (!Object.is(y, expected[i])) out.push(`${xs[i]} -> ${y}, expected ${expected[i]}`);
  });
  return out;
}

function worstError(xs: Float32Array, ys: Float32Array, f: (x: number) => number): number {
  let worst = 0;
  for (let i = 0; i < xs.length; i++) worst = Math.max(worst, Math.abs(ys[i] - f(xs[i])));
  return worst;
}

beforeAll(async () => {
  await useTestBackend();
});

describe('the kernels’ activations', () => {
  const xs = grid();

  it('approximate tanh within 3.3e-7 of float64 tanh (measured: 3.26e-7)', () => {
    expect(worstError(xs, activate(1, xs), Math.tanh)).toBeLessThan(3.3e-7);
  });

  it.each([
    ['tanh', 1],
    ['sigmoid', 2],
  ])('compute %s as TensorFlow does, bit for bit (Keras fixture, tolerance 0)', (name, act) => {
    const [testCase] = gridFixture(name).cases;
    const inputs = Float32Array.from(testCase.inputs[0].data);
    const expected = Float32Array.from(testCase.outputs[0].data);
    expect(inputs.length).toBeGreaterThan(4000);
    expect(differences(inputs, activate(act, inputs), expected)).toEqual([]);
  });

  it.each(['tanh', 'sigmoid'])(
    'give a SimpleRNN layer TensorFlow’s %s, bit for bit (the same fixture through a model)',
    (name) => {
      const fixture = gridFixture(name);
      const [testCase] = fixture.cases;
      const inputs = Float32Array.from(testCase.inputs[0].data);
      const expected = Float32Array.from(testCase.outputs[0].data);
      const built = modelFromFixture(fixture);
      try {
        const x = tf.tensor3d(inputs, [inputs.length, 1, 1]);
        const y = built.model.predict(x) as tf.Tensor;
        const got = y.dataSync() as Float32Array;
        tf.dispose([x, y]);
        expect(differences(inputs, got, expected)).toEqual([]);
      } finally {
        built.model.dispose();
      }
    },
  );

  it('approximate sigmoid within 1.4e-7 of float64 (measured: 1.31e-7)', () => {
    expect(worstError(xs, activate(2, xs), (x) => 1 / (1 + Math.exp(-x)))).toBeLessThan(1.4e-7);
  });

  it('compute relu and linear exactly', () => {
    expect(worstError(xs, activate(3, xs), (x) => Math.max(x, 0))).toBe(0);
    expect(worstError(xs, activate(0, xs), (x) => x)).toBe(0);
  });

  it.each([
    ['tanh', 1, [Number.NaN, Infinity, -Infinity, -0], [Number.NaN, 1, -1, -0]],
    ['sigmoid', 2, [Number.NaN, Infinity, -Infinity, 0], [Number.NaN, 1, 0, 0.5]],
    ['relu', 3, [Number.NaN, Infinity, -Infinity, -2], [Number.NaN, Infinity, 0, 0]],
    ['linear', 0, [Number.NaN, Infinity, -Infinity, -2], [Number.NaN, Infinity, -Infinity, -2]],
  ])('%s of NaN, +-Infinity and a plain value', (_, act, inputs, expected) => {
    expect(Array.from(activate(act, Float32Array.from(inputs)))).toEqual(expected);
  });
});
