/**
 * Worker threads that run kernel calls in the same shared `WebAssembly.Memory` as the main
 * thread, synchronously from the caller's point of view. The caller hands over a list of
 * independent jobs (a job is a list of kernel calls run in order); the main thread publishes
 * them in a control block in that memory (Atomics.notify), then every thread, the main thread
 * included, claims the next unclaimed job until none is left, and the main thread blocks
 * (Atomics.wait) until every job is done. Jobs are claimed, not dealt out in advance: a thread
 * that runs slower (a core shared with other work, a worker still waking up) takes fewer, and
 * the others do not wait for it. Each job writes its own rows of every output and no sum is
 * split between jobs, so the results are the same, bit for bit, whichever thread runs a job.
 *
 * Workers are `unref`'d (they never keep a finished script alive). Between jobs they poll for
 * SPIN_MS, then sleep in Atomics.wait, which costs no CPU.
 */
import { Worker } from 'node:worker_threads';
import type { WasmHeap } from './heap';
import {
  THREADED_FUNCTIONS,
  callKernel,
  type KernelExports,
  type ThreadedFunction,
  type WasmModule,
} from './module';
import type { KernelArgs } from './signatures';

/** One call of a threaded export, with as many arguments as its signature (signatures.ts). */
export type KernelCall = {
  [F in ThreadedFunction]: { fn: F; args: KernelArgs<F> };
}[ThreadedFunction];

/** Control block, in Int32 slots: a header, the jobs' offsets, then their calls. */
const GEN = 0;
const DONE = 1;
const READY = 2;
const ERROR = 3;
const STOP = 4;
const COUNT = 5;
/**
 * The next job to claim, tagged with its generation: (generation & 0x7fff) << 16 | job. A
 * thread claims job j with a compare-and-swap from j to j + 1 under the generation it was
 * woken for, so a thread that wakes late never claims a job of the next generation.
 */
const CLAIM = 6;
const HEADER_INTS = 16;
/** At most this many jobs per run, and this many Int32 slots for all their calls. */
export const MAX_JOBS = 256;
export const CALL_INTS = 8192;

/** The Int32 slots of the job list that one job of these calls takes (see publish). */
export function jobSlots(calls: readonly KernelCall[]): number {
  let ints = 1;
  for (const call of calls) ints += 2 + call.args.length;
  return ints;
}
const OFFSETS = HEADER_INTS;
const CALLS = OFFSETS + MAX_JOBS;
const CONTROL_INTS = CALLS + CALL_INTS;
/**
 * How long a thread that waits for the other side polls before it sleeps, in ms. Waking a
 * sleeping thread costs ~0.1-1 ms here (more in a VM whose idle vCPU halts), several times a
 * batch; the gaps between a batch's kernel calls are shorter than this.
 */
const SPIN_MS = 5;
/**
 * A polling thread reads the clock once every this many polls (a power of 2): each reading
 * allocates, and reading it on every poll made a worker collect garbage every 50-100 ms.
 */
const CLOCK_EVERY = 256;
/** How long the first job waits for the workers to start before giving up on them. */
const START_TIMEOUT_MS = 30_000;

/**
 * The worker's code (CommonJS, run with `eval: true` so that it needs no file of its own in
 * src/ or dist/). A job holds: number of calls, then per call: function index, number of
 * arguments, the arguments (int32; pointers past 2 GiB wrap and wasm reads them back unsigned).
 */
const WORKER_SOURCE = `
'use strict';
const { workerData } = require('node:worker_threads');
const { module, memory, control, packBuffer, index, names } = workerData;
const GEN = ${GEN}, DONE = ${DONE}, READY = ${READY}, ERROR = ${ERROR}, STOP = ${STOP};
const COUNT = ${COUNT}, CLAIM = ${CLAIM}, OFFSETS = ${OFFSETS};
const ctrl = new Int32Array(memory.buffer, control, ${CONTROL_INTS});
let fns = null;
try {
  const instance = new WebAssembly.Instance(module, {
    env: { memory, abort: () => { throw new Error('abort'); } },
  });
  instance.exports.setPackBuffer(packBuffer);
  fns = names.map((n) => instance.exports[n]);
} catch (err) {
  Atomics.store(ctrl, ERROR, index + 1);
}
function runJob(j) {
  let p = ctrl[OFFSETS + j];
  const calls = ctrl[p++];
  for (let c = 0; c < calls; c++) {
    const fn = fns[ctrl[p++]];
    const n = ctrl[p++];
    const args = new Array(n);
    for (let a = 0; a < n; a++) args[a] = ctrl[p++];
    fn(...args);
  }
}
// The main thread posts the first jobs only after every worker is ready: generation 1.
let seen = 0;
Atomics.add(ctrl, READY, 1);
Atomics.notify(ctrl, READY);
while (fns !== null) {
  let gen = Atomics.load(ctrl, GEN);
  if (gen === seen) {
    const until = performance.now() + ${SPIN_MS};
    let polls = 0;
    while ((gen = Atomics.load(ctrl, GEN)) === seen && ((++polls & ${CLOCK_EVERY - 1}) !== 0 || performance.now() < until));
  }
  if (gen === seen) {
    Atomics.wait(ctrl, GEN, seen);
    continue;
  }
  seen = gen;
  if (Atomics.load(ctrl, STOP) !== 0) break;
  const tag = (gen & 0x7fff) << 16;
  for (;;) {
    const claim = Atomics.load(ctrl, CLAIM);
    const j = claim & 0xffff;
    if ((claim & ~0xffff) !== tag || j >= Atomics.load(ctrl, COUNT)) break;
    if (Atomics.compareExchange(ctrl, CLAIM, claim, claim + 1) !== claim) continue;
    try {
      runJob(j);
    } catch (err) {
      Atomics.store(ctrl, ERROR, index + 1);
    }
    Atomics.add(ctrl, DONE, 1);
    Atomics.notify(ctrl, DONE);
  }
}
`;

/** The workers did not start: the caller runs every job on the main thread instead. */
export class PoolStartError extends Error {}

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly control: number;
  private readonly ctrl: Int32Array;
  private generation = 0;
  private started = false;
  private closed = false;

  /**
   * Starts `count` (>= 1) workers over `memory`; they instantiate `module` themselves, each
   * with a pack buffer of `packBufferBytes` (see the kernels' tiles.ts).
   */
  constructor(module: WasmModule, heap: WasmHeap, count: number, packBufferBytes: number) {
    this.control = heap.alloc(CONTROL_INTS * 4);
    this.ctrl = new Int32Array(heap.memory.buffer, this.control, CONTROL_INTS);
    this.ctrl.fill(0);
    for (let index = 0; index < count; index++) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          module,
          memory: heap.memory,
          control: this.control,
          packBuffer: heap.alloc(packBufferBytes),
          index,
          names: [...THREADED_FUNCTIONS],
        },
      });
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** Worker threads (the main thread is not counted). */
  get size(): number {
    return this.workers.length;
  }

  /**
   * Runs every job, each on whichever thread (the main thread or a worker) claims it first,
   * and returns when all are done. At most MAX_JOBS jobs.
   */
  run(exports: KernelExports, jobs: readonly (readonly KernelCall[])[]): void {
    if (this.closed) throw new Error('wasm kernels: the worker pool was closed');
    this.waitUntilStarted();
    const ctrl = this.ctrl;
    this.publish(jobs);
    let failure: unknown;
    const tag = (this.generation & 0x7fff) << 16;
    for (;;) {
      const claim = Atomics.load(ctrl, CLAIM);
      const j = claim & 0xffff;
      if ((claim & ~0xffff) !== tag || j >= jobs.length) break;
      if (Atomics.compareExchange(ctrl, CLAIM, claim, claim + 1) !== claim) continue;
      try {
        for (const call of jobs[j] ?? []) callKernel(exports, call.fn, call.args);
      } catch (err) {
        failure ??= err;
      }
      Atomics.add(ctrl, DONE, 1);
    }
    const until = performance.now() + SPIN_MS;
    let polls = 0;
    while (
      Atomics.load(ctrl, DONE) < jobs.length &&
      ((++polls & (CLOCK_EVERY - 1)) !== 0 || performance.now() < until)
    );
    for (;;) {
      const done = Atomics.load(ctrl, DONE);
      if (done >= jobs.length) break;
      Atomics.wait(ctrl, DONE, done);
    }
    if (failure !== undefined) {
      throw failure instanceof Error
        ? failure
        : new Error('wasm kernels: a kernel failed on the main thread', { cause: failure });
    }
    const failed = Atomics.load(ctrl, ERROR);
    if (failed !== 0) {
      Atomics.store(ctrl, ERROR, 0);
      throw new Error(`wasm kernels: worker ${failed - 1} failed while running a kernel`);
    }
  }

  /** Writes the jobs into the control block and wakes the workers for a new generation. */
  private publish(jobs: readonly (readonly KernelCall[])[]): void {
    if (jobs.length > MAX_JOBS) {
      throw new Error(`wasm kernels: ${jobs.length} jobs in one run, at most ${MAX_JOBS}`);
    }
    let ints = 0;
    for (const calls of jobs) ints += jobSlots(calls);
    if (ints > CALL_INTS) {
      throw new Error(`wasm kernels: the jobs take ${ints} Int32 slots, at most ${CALL_INTS}`);
    }
    const ctrl = this.ctrl;
    let p = CALLS;
    jobs.forEach((calls, j) => {
      ctrl[OFFSETS + j] = p;
      ctrl[p++] = calls.length;
      for (const call of calls) {
        ctrl[p++] = THREADED_FUNCTIONS.indexOf(call.fn);
        ctrl[p++] = call.args.length;
        for (const a of call.args) ctrl[p++] = a;
      }
    });
    this.generation = (this.generation + 1) | 0;
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, COUNT, jobs.length);
    Atomics.store(ctrl, CLAIM, (this.generation & 0x7fff) << 16);
    Atomics.store(ctrl, GEN, this.generation);
    Atomics.notify(ctrl, GEN);
  }

  /**
   * Stops the workers. Their control block (33 KB, mostly the job list) and pack buffers stay
   * allocated: a worker that is still starting may yet write to them.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    for (const worker of this.workers) void worker.terminate();
  }

  private waitUntilStarted(): void {
    if (this.started) return;
    const ctrl = this.ctrl;
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const ready = Atomics.load(ctrl, READY);
      if (ready >= this.workers.length) break;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new PoolStartError(
          `wasm kernels: ${this.workers.length - ready} of ${this.workers.length} worker threads did not start within ${START_TIMEOUT_MS / 1000} s`,
        );
      }
      Atomics.wait(ctrl, READY, ready, left);
    }
    this.started = true;
    const failed = Atomics.load(ctrl, ERROR);
    if (failed !== 0) {
      throw new PoolStartError(
        `wasm kernels: worker ${failed - 1} could not instantiate the module`,
      );
    }
  }
}
