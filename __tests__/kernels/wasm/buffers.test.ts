import { MAX_SHARES, planSlices } from '../../../src/kernels/wasm/buffers';
import { setThreads } from '../../../src/kernels/wasm/runtime';

/** Whether `shares` cover [0, batch) in order, each a multiple of 4 rows but the last. */
function expectCover(shares: [number, number][], batch: number): void {
  let next = 0;
  shares.forEach(([first, rows], i) => {
    expect(first).toBe(next);
    expect(rows).toBeGreaterThan(0);
    if (i < shares.length - 1) expect(rows % 4).toBe(0);
    next += rows;
  });
  expect(next).toBe(batch);
}

describe('wasm kernels: planSlices', () => {
  afterEach(() => {
    setThreads(undefined);
  });

  it('keeps a batch whole when its work is not worth a second thread', () => {
    setThreads(2);
    expect(planSlices(64, 1000)).toEqual([[0, 64]]);
    setThreads(1);
    expect(planSlices(64, 1e9)).toEqual([[0, 64]]);
  });

  it('keeps every share but the last at least minRows rows (a masked stack gathers their rows)', () => {
    setThreads(2);
    const shares = planSlices(64, 80 * 64 * 256 * 128, 64, 24);
    expect(shares).toEqual([
      [0, 24],
      [24, 24],
      [48, 16],
    ]);
    expectCover(shares, 64);
  });

  it('cuts the stock batch into shares that shrink towards the end, for threads to claim', () => {
    setThreads(2);
    const shares = planSlices(64, 60 * 64 * 100 * 180);
    expect(shares).toEqual([
      [0, 16],
      [16, 12],
      [28, 12],
      [40, 8],
      [48, 4],
      [52, 4],
      [56, 4],
      [60, 4],
    ]);
  });

  it('never makes a share smaller than the one after it', () => {
    for (const [threads, batch] of [
      [2, 64],
      [2, 512],
      [4, 1000],
      [16, 333],
    ]) {
      setThreads(threads);
      const rows = planSlices(batch, 1e12).map(([, n]) => n);
      rows.slice(1).forEach((n, i) => {
        expect(n).toBeLessThanOrEqual(rows[i] ?? 0);
      });
    }
  });

  it.each([
    [2, 37],
    [3, 5],
    [8, 1000],
    [200, 4096],
  ])('on %i threads covers a batch of %i in at most MAX_SHARES shares', (threads, batch) => {
    setThreads(threads);
    const shares = planSlices(batch, 1e12);
    expectCover(shares, batch);
    expect(shares.length).toBeLessThanOrEqual(MAX_SHARES);
    expect(shares.length).toBeLessThanOrEqual(Math.ceil(batch / 4));
  });

  it.each([
    [64, 4096, 10],
    [16, 100, 3],
    [2, 64, 1],
  ])(
    'on %i threads covers a batch of %i in at most the %i shares a pass can fit',
    (threads, batch, most) => {
      setThreads(threads);
      const shares = planSlices(batch, 1e12, most);
      expectCover(shares, batch);
      expect(shares.length).toBeLessThanOrEqual(most);
      if (most > 1) expect(shares.length).toBeGreaterThan(1);
    },
  );
});
