import { MAX_SHARES } from '../../../src/kernels/wasm/buffers';
import { MAX_JOBS, type KernelCall } from '../../../src/kernels/wasm/pool';
import {
  kernelRuntime,
  runJobs,
  setThreads,
  type KernelRuntime,
} from '../../../src/kernels/wasm/runtime';

/** The job that copies row i of an [outer, inner, n] block into the [inner, outer, n] layout. */
function swapRow(
  src: number,
  dst: number,
  [outer, inner, n]: [number, number, number],
  i: number,
): KernelCall[] {
  return [{ fn: 'swapLeadingAxes', args: [src, outer, inner, n, n, dst, n, i, i + 1, 0, inner] }];
}

/** Runs `fn` on `threads` threads with two kernel-heap blocks of `bytes` each, freed after. */
function withBlocks(
  threads: number,
  bytes: number,
  fn: (rt: KernelRuntime, src: number, dst: number) => void,
): void {
  setThreads(threads);
  const rt = kernelRuntime();
  const src = rt.heap.alloc(bytes);
  const dst = rt.heap.alloc(bytes);
  try {
    fn(rt, src, dst);
  } finally {
    rt.heap.free(src);
    rt.heap.free(dst);
  }
}

/** Whether the `floats` values at byte offset `ptr` all equal `value`. */
function allEqual(rt: KernelRuntime, ptr: number, floats: number, value: number): boolean {
  return rt.heap.f32.subarray(ptr >> 2, (ptr >> 2) + floats).every((v) => v === value);
}

describe('wasm kernels: jobs on the worker pool', () => {
  afterEach(() => {
    setThreads(undefined);
  });

  // Jobs of ~0.05 ms each (a 64 KB copy), so that every thread takes some.
  it.each([1, 2, 3])('runs every one of 120 jobs on %i thread(s), each in its place', (threads) => {
    const dims: [number, number, number] = [120, 2, 8192];
    const [outer, inner, n] = dims;
    const floats = outer * inner * n;
    withBlocks(threads, floats * 4, (rt, src, dst) => {
      const values = Float32Array.from({ length: floats }, (_, k) => k + 1);
      rt.heap.f32.set(values, src >> 2);
      const jobs = Array.from({ length: outer }, (_, i) => swapRow(src, dst, dims, i));
      // The first run wakes the workers; the second finds them polling, and they take jobs.
      runJobs(rt, jobs);
      rt.heap.f32.fill(0, dst >> 2, (dst >> 2) + floats);
      runJobs(rt, jobs);
      const out = rt.heap.f32.subarray(dst >> 2, (dst >> 2) + floats);
      let wrong = 0;
      for (let i = 0; i < outer; i++) {
        for (let j = 0; j < inner; j++) {
          const from = (i * inner + j) * n;
          const to = (j * outer + i) * n;
          for (let k = 0; k < n; k++) if (out[to + k] !== values[from + k]) wrong++;
        }
      }
      expect(wrong).toBe(0);
    });
  });

  it(`refuses more than ${MAX_JOBS} jobs in one run before running any`, () => {
    const outer = MAX_JOBS + 1;
    withBlocks(2, outer * 16, (rt, src, dst) => {
      rt.heap.f32.fill(1, src >> 2, (src >> 2) + outer * 4);
      rt.heap.f32.fill(0, dst >> 2, (dst >> 2) + outer * 4);
      const jobs = Array.from({ length: outer }, (_, i) => swapRow(src, dst, [outer, 1, 4], i));
      expect(() => {
        runJobs(rt, jobs);
      }).toThrow(`wasm kernels: ${outer} jobs in one run, at most ${MAX_JOBS}`);
      expect(allEqual(rt, dst, outer * 4, 0)).toBe(true);
      // The pool still runs the next jobs.
      runJobs(rt, jobs.slice(0, MAX_JOBS));
      expect(rt.heap.f32[(dst >> 2) + (MAX_JOBS - 1) * 4]).toBe(1);
    });
  });

  it('fits the largest job lists the ops make, and refuses longer ones before running any', () => {
    withBlocks(2, 64, (rt, src, dst) => {
      // An empty swap (i0 = i1), padded to the longest argument list of a kernel (wasm ignores
      // arguments past the function's own; the table's types would refuse them).
      const call = {
        fn: 'swapLeadingAxes',
        args: [src, 1, 1, 4, 4, dst, 4, 0, 0, 0, 1, 0, 0, 0, 0],
      } as unknown as KernelCall;
      const jobs = (count: number, calls: number): KernelCall[][] =>
        Array.from({ length: count }, () => Array.from({ length: calls }, () => call));
      expect(() => {
        runJobs(rt, jobs(MAX_SHARES, 3));
        runJobs(rt, jobs(2 * MAX_SHARES, 1));
      }).not.toThrow();
      expect(() => {
        runJobs(rt, jobs(200, 3));
      }).toThrow('wasm kernels: the jobs take 10400 Int32 slots, at most 8192');
    });
  });

  it('reports a job that traps, on whichever thread ran it, and runs the next jobs', () => {
    const dims: [number, number, number] = [64, 2, 8192];
    const floats = dims[0] * dims[1] * dims[2];
    withBlocks(2, floats * 4, (rt, src, dst) => {
      rt.heap.f32.fill(1, src >> 2, (src >> 2) + floats);
      const good = Array.from({ length: dims[0] }, (_, i) => swapRow(src, dst, dims, i));
      // A source far past the end of memory: the copy traps.
      const bad: KernelCall[] = [
        { fn: 'swapLeadingAxes', args: [0x7ff00000, 1, 1, 4, 4, dst, 4, 0, 1, 0, 1] },
      ];
      for (const at of [0, 31, 63]) {
        const jobs = good.map((job, i) => (i === at ? bad : job));
        expect(() => {
          runJobs(rt, jobs);
        }).toThrow(/memory access out of bounds|worker \d+ failed while running a kernel/);
      }
      rt.heap.f32.fill(0, dst >> 2, (dst >> 2) + floats);
      runJobs(rt, good);
      expect(allEqual(rt, dst, floats, 1)).toBe(true);
    });
  });
});
