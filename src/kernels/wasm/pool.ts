/**
 * Worker threads that run kernel calls on their share of a batch, in the same shared
 * `WebAssembly.Memory` as the main thread, synchronously from the caller's point of view:
 * the main thread posts one job per worker through a control block in that memory
 * (Atomics.notify), runs its own share, then blocks (Atomics.wait) until every worker is done.
 * Each thread writes its own rows of every output and no sum is split between threads, so the
 * results are the same, bit for bit, whatever the thread count.
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

export interface KernelCall {
  fn: ThreadedFunction;
  args: readonly number[];
}

/** Control block, in Int32 slots: a header, then one job slot per worker. */
const GEN = 0;
const DONE = 1;
const READY = 2;
const ERROR = 3;
const STOP = 4;
const HEADER_INTS = 16;
const SLOT_INTS = 64;
/**
 * How long a thread that waits for the other side polls before it sleeps, in ms. Waking a
 * sleeping thread costs ~0.1-1 ms here (more in a VM whose idle vCPU halts), several times a
 * batch; the gaps between a batch's kernel calls are shorter than this.
 */
const SPIN_MS = 5;
/** How long the first job waits for the workers to start before giving up on them. */
const START_TIMEOUT_MS = 30_000;

/**
 * The worker's code (CommonJS, run with `eval: true` so that it needs no file of its own in
 * src/ or dist/). A job slot holds: number of calls, then per call: function index, number of
 * arguments, the arguments (int32; pointers past 2 GiB wrap and wasm reads them back unsigned).
 */
const WORKER_SOURCE = `
'use strict';
const { workerData } = require('node:worker_threads');
const { module, memory, control, index, names } = workerData;
const GEN = ${GEN}, DONE = ${DONE}, READY = ${READY}, ERROR = ${ERROR}, STOP = ${STOP};
const ctrl = new Int32Array(memory.buffer, control, ${HEADER_INTS} + ${SLOT_INTS} * (index + 1));
const slot = ${HEADER_INTS} + ${SLOT_INTS} * index;
let fns = null;
try {
  const instance = new WebAssembly.Instance(module, {
    env: { memory, abort: () => { throw new Error('abort'); } },
  });
  fns = names.map((n) => instance.exports[n]);
} catch (err) {
  Atomics.store(ctrl, ERROR, index + 1);
}
// The main thread posts the first job only after every worker is ready: it is generation 1.
let seen = 0;
Atomics.add(ctrl, READY, 1);
Atomics.notify(ctrl, READY);
while (fns !== null) {
  let gen = Atomics.load(ctrl, GEN);
  if (gen === seen) {
    const until = performance.now() + ${SPIN_MS};
    while ((gen = Atomics.load(ctrl, GEN)) === seen && performance.now() < until);
  }
  if (gen === seen) {
    Atomics.wait(ctrl, GEN, seen);
    continue;
  }
  seen = gen;
  if (Atomics.load(ctrl, STOP) !== 0) break;
  try {
    let p = slot;
    const calls = ctrl[p++];
    for (let c = 0; c < calls; c++) {
      const fn = fns[ctrl[p++]];
      const n = ctrl[p++];
      const args = new Array(n);
      for (let a = 0; a < n; a++) args[a] = ctrl[p++];
      fn(...args);
    }
  } catch (err) {
    Atomics.store(ctrl, ERROR, index + 1);
  }
  Atomics.add(ctrl, DONE, 1);
  Atomics.notify(ctrl, DONE);
}
`;

/** The workers did not start: the caller runs every share on the main thread instead. */
export class PoolStartError extends Error {}

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly control: number;
  private readonly ctrl: Int32Array;
  private started = false;
  private closed = false;

  /** Starts `count` (>= 1) workers over `memory`; they instantiate `module` themselves. */
  constructor(module: WasmModule, heap: WasmHeap, count: number) {
    const ints = HEADER_INTS + SLOT_INTS * count;
    this.control = heap.alloc(ints * 4);
    this.ctrl = new Int32Array(heap.memory.buffer, this.control, ints);
    this.ctrl.fill(0);
    for (let index = 0; index < count; index++) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          module,
          memory: heap.memory,
          control: this.control,
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
   * Runs `jobs[0]` on the main thread and `jobs[i]` on worker i - 1 at the same time, and
   * returns when all are done. At most `size + 1` jobs.
   */
  run(exports: KernelExports, jobs: readonly (readonly KernelCall[])[]): void {
    if (this.closed) throw new Error('wasm kernels: the worker pool was closed');
    if (jobs.length > this.workers.length + 1) {
      throw new Error(`wasm kernels: ${jobs.length} jobs for ${this.workers.length + 1} threads`);
    }
    this.waitUntilStarted();
    const ctrl = this.ctrl;
    for (let w = 0; w < this.workers.length; w++) {
      const slot = HEADER_INTS + SLOT_INTS * w;
      let p = slot;
      const calls = jobs[w + 1] ?? [];
      ctrl[p++] = calls.length;
      for (const call of calls) {
        if (p - slot + 2 + call.args.length > SLOT_INTS) {
          throw new Error('wasm kernels: a job does not fit its slot');
        }
        ctrl[p++] = THREADED_FUNCTIONS.indexOf(call.fn);
        ctrl[p++] = call.args.length;
        for (const a of call.args) ctrl[p++] = a;
      }
    }
    Atomics.store(ctrl, DONE, 0);
    Atomics.add(ctrl, GEN, 1);
    Atomics.notify(ctrl, GEN);
    let failure: unknown;
    try {
      for (const call of jobs[0] ?? []) callKernel(exports, call.fn, call.args);
    } catch (err) {
      failure = err;
    }
    const count = this.workers.length;
    const until = performance.now() + SPIN_MS;
    while (Atomics.load(ctrl, DONE) < count && performance.now() < until);
    for (;;) {
      const done = Atomics.load(ctrl, DONE);
      if (done >= count) break;
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

  /**
   * Stops the workers. Their control block (a few hundred bytes) stays allocated: a worker
   * that is still starting may yet write to it.
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
