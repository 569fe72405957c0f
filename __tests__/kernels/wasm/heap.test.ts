import { WasmHeap } from '../../../src/kernels/wasm/heap';
import { createKernelMemory } from '../../../src/kernels/wasm/module';

function heap(): WasmHeap {
  return new WasmHeap(createKernelMemory(1), 1000);
}

describe('WasmHeap', () => {
  it('hands out 64-byte aligned blocks past the base that do not overlap', () => {
    const h = heap();
    const a = h.alloc(10);
    const b = h.alloc(100);
    const c = h.alloc(1);
    expect([a, b, c]).toEqual([1024, 1088, 1216]);
    expect(h.stats()).toEqual({ memoryBytes: 65536, bytesInUse: 64 + 128 + 64, blocksInUse: 3 });
  });

  it('reuses freed blocks first fit and merges neighbours', () => {
    const h = heap();
    const [a, b, c, d] = [h.alloc(64), h.alloc(64), h.alloc(64), h.alloc(64)];
    h.free(b);
    h.free(c);
    // b and c merged: a 128-byte block fits where they were.
    expect(h.alloc(128)).toBe(b);
    h.free(a);
    expect(h.alloc(64)).toBe(a);
    expect(h.stats().blocksInUse).toBe(3);
    expect(d).toBe(c + 64);
  });

  it('returns to an empty heap when everything is freed, in any order', () => {
    const h = heap();
    const blocks = [100, 5000, 64, 70_000, 3].map((n) => h.alloc(n));
    for (const i of [3, 0, 4, 1, 2]) h.free(blocks[i]);
    expect(h.stats().bytesInUse).toBe(0);
    expect(h.alloc(64)).toBe(1024);
  });

  it('grows the memory when nothing fits, and renews its float32 view', () => {
    const h = heap();
    const before = h.f32;
    const big = h.alloc(3 * 65536);
    expect(h.stats().memoryBytes).toBeGreaterThanOrEqual(big + 3 * 65536);
    expect(h.f32).not.toBe(before);
    expect(h.f32.length * 4).toBe(h.stats().memoryBytes);
  });

  it('refuses to free what it did not allocate', () => {
    const h = heap();
    const a = h.alloc(64);
    h.free(a);
    expect(() => {
      h.free(a);
    }).toThrow(/WasmHeap.free: 1024 is not an allocated block/);
  });

  it('refuses more than 4 GiB with a clear message', () => {
    const h = heap();
    expect(() => h.alloc(2 ** 32)).toThrow(/more than its 4 GiB limit/);
    expect(h.stats().blocksInUse).toBe(0);
  });
});
