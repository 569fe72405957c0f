/**
 * Finding, compiling and instantiating the kernels' WebAssembly module (rnn_kernels.wasm,
 * built from kernels-src/ by scripts/build-wasm.ts and shipped beside this file in dist/).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { ValueError } from '../../errors';
import { KERNEL_NAMES, KERNEL_SIGNATURES, type KernelExports, type KernelName } from './signatures';

/*
 * The few WebAssembly JS API types used here: the project compiles without the DOM library,
 * which is where TypeScript declares them.
 */
/** A compiled `WebAssembly.Module`. */
export interface WasmModule {
  readonly [Symbol.toStringTag]: string;
}
/** A `WebAssembly.Memory`. */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  readonly grow: (pages: number) => number;
}
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
export interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (
    module: WasmModule,
    imports: Record<string, Record<string, unknown>>,
  ) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  validate: (bytes: Uint8Array) => boolean;
}
const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
/**
 * The runtime's `WebAssembly` object, typed with the declarations above (for bench/ceiling.ts).
 * Exported under another name than the one used here: TypeScript's CommonJS output reads an
 * exported const through `exports`, which instantiateKernels' local of that name shadows.
 */
export const webAssembly: WebAssemblyApi = wasm;

export const WASM_FILE_NAME = 'rnn_kernels.wasm';
export const RELAXED_WASM_FILE_NAME = 'rnn_kernels_relaxed.wasm';

/** The environment variable that names another rnn_kernels.wasm (tests, experiments). */
export const WASM_PATH_ENV_VAR = 'TFJS_KERAS_RNN_WASM';

export type { KernelExports } from './signatures';

/** The exports that worker threads may be asked to call, by index (see pool.ts). */
export const THREADED_FUNCTIONS = [
  'project',
  'projectInputGrad',
  'weightGrad',
  'projectRunning',
  'projectInputGradRunning',
  'weightGradRunning',
  'simpleRnnForward',
  'simpleRnnBackward',
  'lstmForward',
  'lstmBackward',
  'gruForward',
  'gruBackward',
  'maskSteps',
  'gateInputGrad',
  'swapLeadingAxes',
  'stepsToMerged',
  'mergedToSteps',
  'multiplySequenceMask',
] as const satisfies readonly KernelName[];
export type ThreadedFunction = (typeof THREADED_FUNCTIONS)[number];

/** Calls one of the exports by name with int32 arguments (as many as the table says). */
export function callKernel(
  exports: KernelExports,
  fn: ThreadedFunction,
  args: readonly number[],
): void {
  const f: (...a: readonly number[]) => unknown = exports[fn];
  f(...args);
}

/** Where the plain SIMD module is looked for: $TFJS_KERAS_RNN_WASM, else beside this file. */
export function wasmFilePath(): string {
  const fromEnv = process.env[WASM_PATH_ENV_VAR];
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(fromEnv);
  return path.join(__dirname, WASM_FILE_NAME);
}

/**
 * Reads and compiles the module. Throws an Error saying what is missing: the file (with the
 * command that builds it), or the runtime's support for SIMD or shared memory.
 */
export function compileKernelModule(file: string = wasmFilePath()): WasmModule {
  if (!fs.existsSync(file)) {
    throw new Error(
      `wasm kernels: ${file} does not exist. Build it with \`npm run build\` (or \`npm run build:wasm\`), ` +
        `or set ${WASM_PATH_ENV_VAR} to a built rnn_kernels.wasm.`,
    );
  }
  if (typeof SharedArrayBuffer === 'undefined') {
    throw new Error('wasm kernels: this runtime has no SharedArrayBuffer (needed for the memory).');
  }
  const bytes = fs.readFileSync(file);
  try {
    return new wasm.Module(bytes);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(
      `wasm kernels: ${file} does not compile on this runtime (it needs WebAssembly SIMD128 and threads): ${message}`,
    );
  }
}

/** The environment variable that picks the build: `auto` (default), `relaxed` or `plain`. */
export const SIMD_ENV_VAR = 'TFJS_KERAS_RNN_SIMD';
const SIMD_CHOICES = ['auto', 'relaxed', 'plain'] as const;

/** Which build runs: SIMD128, relaxed SIMD (fused multiply-adds), or a file named by the user. */
export type KernelVariant = 'simd' | 'relaxed-simd' | 'file';

function relaxedBytes(): Uint8Array | undefined {
  const file = path.join(__dirname, RELAXED_WASM_FILE_NAME);
  return fs.existsSync(file) ? fs.readFileSync(file) : undefined;
}

/** Whether this runtime, as it is now, validates the relaxed-SIMD build. */
export function relaxedSimdValidates(): boolean {
  const bytes = relaxedBytes();
  return bytes !== undefined && wasm.validate(bytes);
}

/**
 * Compiles the build to run: the relaxed-SIMD one (fused multiply-adds: its kernels ran 1.2-1.9x faster here)
 * wherever the runtime can run it, else the SIMD128 one; $TFJS_KERAS_RNN_WASM when set.
 * Node 22 and later validate relaxed SIMD by themselves; on Node 20 it sits behind V8's
 * --experimental-wasm-relaxed-simd, which this turns on when that makes the build validate
 * (the flag only adds instructions: modules that do not use them are unaffected).
 * TFJS_KERAS_RNN_SIMD=plain keeps the SIMD128 build; =relaxed fails when relaxed SIMD cannot run.
 */
export function loadKernelModule(): { module: WasmModule; variant: KernelVariant } {
  const fromEnv = process.env[WASM_PATH_ENV_VAR];
  if (fromEnv !== undefined && fromEnv !== '') {
    return { module: compileKernelModule(), variant: 'file' };
  }
  const choice = process.env[SIMD_ENV_VAR] ?? 'auto';
  if (!(SIMD_CHOICES as readonly string[]).includes(choice)) {
    throw new ValueError(
      `the environment variable ${SIMD_ENV_VAR}: expected one of 'auto', 'relaxed', 'plain', received ${JSON.stringify(choice)}.`,
    );
  }
  if (choice !== 'plain') {
    const bytes = relaxedBytes();
    if (bytes !== undefined && enableRelaxedSimd(bytes)) {
      return { module: new wasm.Module(bytes), variant: 'relaxed-simd' };
    }
    if (choice === 'relaxed') {
      throw new Error(
        `wasm kernels: ${SIMD_ENV_VAR}=relaxed, but ${bytes === undefined ? `${RELAXED_WASM_FILE_NAME} does not exist` : 'this runtime does not support relaxed SIMD'}.`,
      );
    }
  }
  return { module: compileKernelModule(), variant: 'simd' };
}

/** Whether `bytes` validate, after turning on V8's relaxed-SIMD flag if they did not. */
function enableRelaxedSimd(bytes: Uint8Array): boolean {
  if (wasm.validate(bytes)) return true;
  try {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return wasm.validate(bytes);
}

/** A shared memory of `pages` 64 KiB pages that the module imports as env.memory. */
export function createKernelMemory(pages = 16): WasmMemory {
  return new wasm.Memory({ initial: pages, maximum: 65536, shared: true });
}

export function instantiateKernels(module: WasmModule, memory: WasmMemory): KernelExports {
  const instance = new wasm.Instance(module, {
    env: {
      memory,
      abort: () => {
        throw new Error('wasm kernels: abort');
      },
    },
  });
  const exports = instance.exports;
  for (const name of KERNEL_NAMES) {
    const fn = exports[name];
    if (typeof fn !== 'function') {
      throw new Error(`wasm kernels: the module does not export ${name}; rebuild it.`);
    }
    const expected = KERNEL_SIGNATURES[name].params.length;
    if (fn.length !== expected) {
      throw new Error(
        `wasm kernels: the module's ${name} takes ${fn.length} arguments, src/kernels/wasm/signatures.ts says ${expected}; rebuild it (npm run build:wasm) or mend the table.`,
      );
    }
  }
  return exports as unknown as KernelExports;
}
