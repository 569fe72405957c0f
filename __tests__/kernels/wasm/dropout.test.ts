/**
 * Dropout masks in the kernels' module: the numbers of the JavaScript generator, bit for bit,
 * four lanes at a time and in the tail, and its state after them.
 */
import { wasmFillDropoutMask } from '../../../src/kernels/wasm/dropout';
import { kernelRuntime } from '../../../src/kernels/wasm/runtime';
import { allocate, freeAll } from '../../../src/kernels/wasm/buffers';
import { MaskRandom, fillFrom } from '../../../src/layers/dropout_mask';

/** The mask and the state after it, in JavaScript. */
function inJavaScript(n: number, state: number, rate: number): [Float32Array, number] {
  const out = new Float32Array(n);
  return [out, fillFrom(state, out, rate)];
}

describe('wasmFillDropoutMask', () => {
  it.each([
    [256, 0x12345678, 0.2],
    [1001, -7, 0.5],
    [4099, 0, 0.05],
    [300, 2147483647, 0.999],
    [257, -2147483648, 0],
    // Within 2^-32 of 1: nothing kept.
    [260, 99, 1 - 2 ** -40],
  ])('%i values from state %i at rate %p: the JavaScript loop, bit for bit', (n, state, rate) => {
    const [expected, expectedState] = inJavaScript(n, state, rate);
    const out = new Float32Array(n).fill(Number.NaN);
    const next = wasmFillDropoutMask(out, state, rate);
    expect(next).toBe(expectedState);
    const differing = out.findIndex((v, i) => !Object.is(v, expected[i]));
    expect(differing).toBe(-1);
  });

  it('draws in place in the kernels’ memory, and keeps about 1 - rate', () => {
    const rt = kernelRuntime();
    const n = 64 * 60 * 8;
    const [ptr] = allocate(rt, [n * 4]);
    try {
      const view = rt.heap.f32.subarray(ptr >> 2, (ptr >> 2) + n);
      const next = wasmFillDropoutMask(view, 5, 0.2);
      const [expected, expectedState] = inJavaScript(n, 5, 0.2);
      expect(next).toBe(expectedState);
      expect(view.findIndex((v, i) => v !== expected[i])).toBe(-1);
      const kept = view.filter((v) => v !== 0).length / n;
      expect(kept).toBeGreaterThan(0.79);
      expect(kept).toBeLessThan(0.81);
      expect(new Set(view)).toEqual(new Set([0, Math.fround(1 / 0.8)]));
    } finally {
      freeAll(rt, [ptr]);
    }
  });

  it('leaves short masks to JavaScript (undefined, nothing written)', () => {
    const out = new Float32Array(255).fill(3);
    expect(wasmFillDropoutMask(out, 1, 0.5)).toBeUndefined();
    expect(out.every((v) => v === 3)).toBe(true);
  });

  it('a MaskRandom gives the same sequence of masks in one call or in several', () => {
    const whole = new MaskRandom(42).fillMask(new Float32Array(3000), 0.3);
    const parts = new MaskRandom(42);
    // Long parts go through the kernels, short ones through JavaScript: the state carries over.
    const a = parts.fillMask(new Float32Array(1003), 0.3);
    const b = parts.fillMask(new Float32Array(7), 0.3);
    const c = parts.fillMask(new Float32Array(1990), 0.3);
    expect(Array.from([...a, ...b, ...c])).toEqual(Array.from(whole));
  });
});
