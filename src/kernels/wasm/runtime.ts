/**
 * The kernels' runtime, made once per process on first use: the compiled module, its shared
 * memory and heap, the main thread's instance, and the worker pool; plus the thread count
 * (`setThreads`, the environment variable TFJS_KERAS_RNN_THREADS, else every available core).
 */
import * as os from 'node:os';
import { ValueError } from '../../errors';
import { WasmHeap, type HeapStats } from './heap';
import {
  callKernel,
  createKernelMemory,
  instantiateKernels,
  loadKernelModule,
  type KernelVariant,
  type KernelExports,
  type WasmModule,
} from './module';
import { PoolStartError, WorkerPool, type KernelCall } from './pool';

/** The environment variable that sets the thread count when `setThreads` was not called. */
export const THREADS_ENV_VAR = 'TFJS_KERAS_RNN_THREADS';

export interface KernelRuntime {
  module: WasmModule;
  variant: KernelVariant;
  heap: WasmHeap;
  exports: KernelExports;
}

let runtime: KernelRuntime | undefined;
let loadError: string | undefined;
let pool: WorkerPool | undefined;
let poolError: string | undefined;
let chosenThreads: number | undefined;

function parseThreads(value: string, source: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new ValueError(
      `${source}: expected a positive integer number of threads, received ${JSON.stringify(value)}.`,
    );
  }
  return n;
}

/**
 * The number of threads the kernels split a batch over: the last `setThreads(n)`, else
 * TFJS_KERAS_RNN_THREADS, else `os.availableParallelism()`.
 */
export function getThreads(): number {
  if (chosenThreads !== undefined) return chosenThreads;
  const fromEnv = process.env[THREADS_ENV_VAR];
  if (fromEnv !== undefined && fromEnv !== '') {
    return parseThreads(fromEnv, `the environment variable ${THREADS_ENV_VAR}`);
  }
  // Asked once: each call is a system call (~3 us), and planning a pass reads this.
  cores ??= Math.max(1, os.availableParallelism());
  return cores;
}

/** os.availableParallelism(), read on first use. */
let cores: number | undefined;

/**
 * Sets the number of threads (the main thread included) for the kernels; `undefined` returns
 * to the default. Results are the same, bit for bit, for any number of threads.
 */
export function setThreads(n: number | undefined): void {
  if (n !== undefined && (!Number.isSafeInteger(n) || n < 1)) {
    throw new ValueError(
      `setThreads: expected a positive integer number of threads, received ${String(n)}.`,
    );
  }
  chosenThreads = n;
  if (pool !== undefined && pool.size + 1 !== getThreads()) {
    pool.close();
    pool = undefined;
    poolError = undefined;
  }
}

function load(): KernelRuntime {
  const { module, variant } = loadKernelModule();
  const memory = createKernelMemory();
  const exports = instantiateKernels(module, memory);
  const heap = new WasmHeap(memory, Math.max(exports.heapBase(), 1024));
  // Each instance (one per thread) packs blocks of rows into a buffer of its own.
  exports.setPackBuffer(heap.alloc(exports.packBufferBytes()));
  return { module, variant, heap, exports };
}

/** Which build runs and on how many threads (loads the kernels; throws when they cannot). */
export function wasmKernelInfo(): { variant: KernelVariant; threads: number } {
  return { variant: kernelRuntime().variant, threads: getThreads() };
}

/** The runtime, loading it on first use; throws an Error that says why it cannot load. */
export function kernelRuntime(): KernelRuntime {
  if (runtime !== undefined) return runtime;
  if (loadError !== undefined) throw new Error(loadError);
  try {
    runtime = load();
    return runtime;
  } catch (err) {
    loadError = err instanceof Error ? err.message : String(err);
    throw new Error(loadError);
  }
}

/** Whether the kernels load here (the .wasm exists and the runtime has SIMD and threads). */
export function wasmKernelAvailable(): boolean {
  return wasmKernelUnavailableReason() === undefined;
}

/** Why the kernels cannot be used, or undefined when they can. */
export function wasmKernelUnavailableReason(): string | undefined {
  try {
    kernelRuntime();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function workerPool(rt: KernelRuntime): WorkerPool | undefined {
  if (pool !== undefined || poolError !== undefined) return pool;
  const workers = getThreads() - 1;
  if (workers < 1) return undefined;
  try {
    pool = new WorkerPool(rt.module, rt.heap, workers, rt.exports.packBufferBytes());
  } catch (err) {
    poolError = err instanceof Error ? err.message : String(err);
    process.emitWarning(`${poolError}; the kernels run on the main thread only.`);
  }
  return pool;
}

/**
 * Runs independent jobs: each claimed by the next free thread when the pool is up, else one
 * after another on the main thread (the same numbers either way).
 */
export function runJobs(rt: KernelRuntime, jobs: readonly (readonly KernelCall[])[]): void {
  const workers = jobs.length > 1 ? workerPool(rt) : undefined;
  if (workers !== undefined) {
    try {
      workers.run(rt.exports, jobs);
      return;
    } catch (err) {
      if (!(err instanceof PoolStartError)) throw err;
      workers.close();
      pool = undefined;
      poolError = err.message;
      process.emitWarning(`${err.message}; the kernels run on the main thread only.`);
    }
  }
  for (const job of jobs) {
    for (const call of job) callKernel(rt.exports, call.fn, call.args);
  }
}

/** The kernels' memory: its size, what is in use, and forward passes waiting for a gradient. */
export interface WasmKernelMemory extends HeapStats {
  /** Forward passes whose buffers wait for their gradient. */
  pendingGradients: number;
}

/** Statistics of the kernels' memory (all zero before the first use). */
export function heapStats(): HeapStats {
  if (runtime === undefined) return { memoryBytes: 0, bytesInUse: 0, blocksInUse: 0 };
  return runtime.heap.stats();
}
