/**
 * `npm run bench:ceiling`: how many f32 multiply-adds per second WebAssembly SIMD can do on this
 * machine, on one thread and on all of them at once, beside the rate of the kernels themselves:
 * how close the kernels are to what the machine can do at the moment.
 *
 * It compiles a loop of nothing but independent multiply-adds (eight f32x4 sums, the 4x8 tile's
 * count, so that each sum waits for no other: relaxed-SIMD fused multiply-adds where the runtime
 * validates them, as the kernels use) with the project's AssemblyScript, then times it on the
 * main thread alone and on the main thread and (cores - 1) worker threads started together. In
 * the same rounds it times the stock model's two recurrent layers (64 x 60 x 1 -> 80 -> 100,
 * forward and every gradient: 282 million multiply-adds as SimpleRNN layers, 4x that as LSTM,
 * 3x as GRU) through the kernels on the tfjs wasm backend, copies and bookkeeping included,
 * and, where tfjs-node loads, the same layers' matrix products through TensorFlow's own matmul
 * (libtensorflow, AVX-512 through oneDNN) in a child process (bench/ceiling_tensorflow.ts): what
 * TensorFlow's kernels make of the same multiply-adds. Prints medians and the fastest quarter
 * (the machine's speed wanders from second to second).
 *
 *   npm run bench:ceiling [-- --rounds N]
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { webAssembly as wasm, type WasmModule } from '../src/kernels/wasm/module';
import { ascScript } from '../scripts/build-wasm';
import { TensorflowProducts } from './ceiling_products';
import { describeKernel } from './kernel';
import { STOCK_KINDS, stockStackMacs, stockStackPass } from './stock_stack';
import { runMain } from './main';

/** Each pass of the loop: 8 multiply-adds of 4 lanes. */
const MACS_PER_ITERATION = 32;
/** Passes of the kernels a round, and how many of the first are left out of the rate. */
const KERNEL_PASSES = 12;
const KERNEL_WARM_PASSES = 4;
/** Iterations of one timed run (~0.1 s at 24 GMAC/s). */
const ITERATIONS = 75_000_000;

function loopSource(fused: boolean): string {
  const madd = fused ? 'f32x4.relaxed_madd(a, b, c)' : 'f32x4.add(f32x4.mul(a, b), c)';
  return `
@inline function madd(a: v128, b: v128, c: v128): v128 { return ${madd}; }
export function multiplyAdds(iterations: i32, seed: f32): f32 {
  const a = f32x4.splat(seed);
  const b = f32x4.splat(0.999);
  let c0 = f32x4.splat(0.0); let c1 = f32x4.splat(1.0); let c2 = f32x4.splat(2.0);
  let c3 = f32x4.splat(3.0); let c4 = f32x4.splat(4.0); let c5 = f32x4.splat(5.0);
  let c6 = f32x4.splat(6.0); let c7 = f32x4.splat(7.0);
  for (let i = 0; i < iterations; i++) {
    c0 = madd(a, b, c0); c1 = madd(a, b, c1); c2 = madd(a, b, c2); c3 = madd(a, b, c3);
    c4 = madd(a, b, c4); c5 = madd(a, b, c5); c6 = madd(a, b, c6); c7 = madd(a, b, c7);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
  return f32x4.extract_lane(s, 0);
}
`;
}

function compileLoop(fused: boolean): Uint8Array {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-keras-rnn-ceiling-'));
  try {
    const source = path.join(dir, 'loop.ts');
    const out = path.join(dir, 'loop.wasm');
    fs.writeFileSync(source, loopSource(fused));
    const flags = ['--enable', 'simd', '--runtime', 'stub', '--optimizeLevel', '3', '--noAssert'];
    if (fused) flags.push('--enable', 'relaxed-simd');
    execFileSync(process.execPath, [ascScript(), source, ...flags, '--outFile', out], {
      stdio: 'inherit',
    });
    return fs.readFileSync(out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The relaxed-SIMD loop where it validates (turning on Node 20's flag as the kernels do). */
function loopModule(): { module: WasmModule; fused: boolean } {
  const relaxed = compileLoop(true);
  if (!wasm.validate(relaxed)) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  if (wasm.validate(relaxed)) return { module: new wasm.Module(relaxed), fused: true };
  return { module: new wasm.Module(compileLoop(false)), fused: false };
}

type LoopFunction = (iterations: number, seed: number) => number;

function loopFunction(module: WasmModule): LoopFunction {
  return new wasm.Instance(module, {}).exports.multiplyAdds as LoopFunction;
}

/** Seconds of one run of the loop. */
function timeLoop(run: LoopFunction): number {
  const start = performance.now();
  run(ITERATIONS, 1);
  return (performance.now() - start) / 1000;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const run = new WebAssembly.Instance(workerData.module, {}).exports.multiplyAdds;
const go = new Int32Array(workerData.go);
parentPort.on('message', (round) => {
  Atomics.wait(go, 0, round - 1);
  const start = performance.now();
  run(${ITERATIONS}, 1);
  parentPort.postMessage((performance.now() - start) / 1000);
});
parentPort.postMessage('ready');
`;

/** Starts `count` workers that each run the loop once per round, on a shared go signal. */
async function startWorkers(
  module: WasmModule,
  count: number,
): Promise<{ workers: Worker[]; go: Int32Array }> {
  const goBuffer = new SharedArrayBuffer(4);
  const workers = Array.from(
    { length: count },
    () => new Worker(WORKER_SOURCE, { eval: true, workerData: { module, go: goBuffer } }),
  );
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          w.once('message', () => {
            resolve();
          });
        }),
    ),
  );
  return { workers, go: new Int32Array(goBuffer) };
}

/** GMAC/s of all threads together in one round: the main thread and every worker at once. */
async function parallelRound(
  run: LoopFunction,
  workers: Worker[],
  go: Int32Array,
  round: number,
): Promise<number> {
  const answers = workers.map(
    (w) =>
      new Promise<number>((resolve) => {
        w.once('message', (seconds: number) => {
          resolve(seconds);
        });
      }),
  );
  for (const w of workers) w.postMessage(round);
  // Let the workers reach their wait, then release everyone at once.
  await new Promise((resolve) => setTimeout(resolve, 20));
  Atomics.store(go, 0, round);
  Atomics.notify(go, 0);
  const mine = timeLoop(run);
  const theirs = await Promise.all(answers);
  const slowest = Math.max(mine, ...theirs);
  return ((workers.length + 1) * ITERATIONS * MACS_PER_ITERATION) / slowest / 1e9;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** The rounds asked for (`--rounds N`, default 9), or undefined for anything else. */
function parseRounds(argv: readonly string[]): number | undefined {
  if (argv.length === 0) return 9;
  const [flag, value] = argv;
  const n = Number(value);
  if (flag !== '--rounds' || argv.length !== 2 || !Number.isSafeInteger(n) || n < 1) {
    return undefined;
  }
  return n;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const rounds = parseRounds(argv);
  if (rounds === undefined) {
    process.stderr.write(
      `bench:ceiling: expected no arguments or --rounds N (N >= 1), received ${JSON.stringify(argv)}\n`,
    );
    return 2;
  }
  const threads = Math.max(1, os.availableParallelism());
  // Started first: it loads libtensorflow while the loop compiles.
  const tensorflow = TensorflowProducts.start();
  const { module, fused } = loopModule();
  const run = loopFunction(module);
  run(1000, 1);
  await tf.setBackend('wasm');
  const stacks = STOCK_KINDS.map((kind) => ({ kind, pass: stockStackPass(kind) }));
  for (const { pass } of stacks) pass.run();
  const { workers, go } = await startWorkers(module, threads - 1);
  const single: number[] = [];
  const all: number[] = [];
  const kernels = new Map<string, number[]>(STOCK_KINDS.map((kind) => [kind, []]));
  const products = await tensorflow.ready();
  const tensorflowRates = new Map<string, number[]>(STOCK_KINDS.map((kind) => [kind, []]));
  try {
    for (let r = 1; r <= rounds; r++) {
      single.push((ITERATIONS * MACS_PER_ITERATION) / timeLoop(run) / 1e9);
      if (workers.length > 0) all.push(await parallelRound(run, workers, go, r));
      // Several passes back to back, as in training (a first pass after the loops above runs
      // on threads that were idle); the rate of the later ones.
      for (const { kind, pass } of stacks) {
        let seconds = 0;
        for (let p = 0; p < KERNEL_PASSES; p++) {
          const t = pass.run();
          if (p >= KERNEL_WARM_PASSES) seconds += t;
        }
        const macs = (KERNEL_PASSES - KERNEL_WARM_PASSES) * stockStackMacs(kind);
        kernels.get(kind)?.push(macs / seconds / 1e9);
      }
      if (products.ok) {
        const rates = await products.round();
        for (const kind of STOCK_KINDS) tensorflowRates.get(kind)?.push(rates[kind]);
      }
    }
  } finally {
    products.stop();
    for (const w of workers) void w.terminate();
    for (const { pass } of stacks) pass.dispose();
  }
  const line = (label: string, values: readonly number[]): string =>
    `${label}: median ${quantile(values, 0.5).toFixed(1)} GMAC/s, fastest quarter ${quantile(values, 0.75).toFixed(1)} (${rounds} rounds)`;
  console.log(
    `f32 multiply-adds, WebAssembly SIMD ${fused ? 'with relaxed-SIMD fused multiply-adds' : '(mul + add)'}, ${os.cpus()[0]?.model ?? 'unknown CPU'}`,
  );
  console.log(line('1 thread', single));
  if (all.length > 0) console.log(line(`${threads} threads at once (in all)`, all));
  for (const [kind, rates] of kernels) {
    console.log(line(`the kernels (stock layers as ${kind}, ${describeKernel('wasm')})`, rates));
  }
  if (!products.ok) {
    console.log(`TensorFlow's matmul on the same products: not measured (${products.reason})`);
  }
  for (const [kind, rates] of products.ok ? tensorflowRates : []) {
    console.log(line(`TensorFlow's matmul (the ${kind} layers' products, libtensorflow)`, rates));
  }
  return 0;
}

runMain('bench:ceiling', main);
