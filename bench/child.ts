/**
 * One backend's benchmark process: `node --import tsx bench/child.ts BACKEND`, started by
 * bench/run.ts with an IPC channel. It selects the backend, says `ready`, then runs the parent's
 * requests one at a time (set up a model, train or predict with one contender, profile, report
 * memory) and answers each; a failing request answers with its error and the process goes on.
 * 'ours-fused' is our model on the fused tfjs-ops kernel: every call of it runs with
 * TFJS_KERAS_RNN_KERNEL=fused, and only its calls.
 */
import * as tf from '@tensorflow/tfjs';
import { Sequential, useBackend } from '../src/index';
import { type KernelChoice, describeKernel, withKernel } from './kernel';
import {
  type BenchData,
  buildOurs,
  buildTheirs,
  copyWeights,
  makeData,
  sameLayouts,
  theirsCannotTrain,
} from './models';
import {
  type ChildMessage,
  type ChildRequest,
  type JsContender,
  type ParentMessage,
  type PredictResult,
  type ProfileResult,
  type ResultMap,
  type SetupRequest,
  type SetupResult,
  type StatusResult,
  type TrainResult,
  errorMessage,
} from './protocol';

interface Bench {
  request: SetupRequest;
  data: BenchData;
  /** Always built: the other contenders start from its weights. */
  ours: Sequential;
  oursFused: Sequential | null;
  theirs: tf.Sequential | null;
}

let bench: Bench | null = null;

function send(message: ChildMessage): void {
  if (process.send === undefined) throw new Error('bench/child.ts: run by bench/run.ts (no IPC)');
  process.send(message);
}

function requireBench(): Bench {
  if (bench === null) throw new Error("'setup' must come first");
  return bench;
}

function teardown(): void {
  if (bench === null) return;
  bench.ours.dispose();
  bench.oursFused?.dispose();
  bench.theirs?.dispose();
  tf.dispose([bench.data.x, bench.data.yOurs, bench.data.yTheirs]);
  bench = null;
}

/** The kernel a contender's calls run with (tf.layers has none of ours: any will do). */
function kernelOf(contender: JsContender): KernelChoice {
  return contender === 'ours-fused' ? 'fused' : 'wasm';
}

/** The contender's model, when it was built. */
function modelOf(b: Bench, contender: JsContender): Sequential | tf.Sequential {
  const model = contender === 'ours' ? b.ours : contender === 'ours-fused' ? b.oursFused : b.theirs;
  if (model === null) throw new Error(`'${contender}' was not set up`);
  return model;
}

/** The contender's predictions on `x`, on its kernel; the caller disposes them. */
async function predictions(b: Bench, contender: JsContender, x: tf.Tensor): Promise<tf.Tensor> {
  const { batchSize } = b.request;
  return withKernel(kernelOf(contender), () => {
    const model = modelOf(b, contender);
    const out =
      model instanceof Sequential
        ? model.predict(x, { batchSize, verbose: 0 })
        : (model.predict(x, { batchSize }) as tf.Tensor);
    return Promise.resolve(out);
  });
}

async function setup(request: SetupRequest): Promise<SetupResult> {
  teardown();
  const data = makeData(request.model, request.samples);
  const ours = buildOurs(request.model);
  const wanted = new Set(request.contenders);
  const result: SetupResult = { params: {}, startDifferences: {}, kernels: {}, unsupported: {} };
  const cannotTrain = wanted.has('tf.layers') ? theirsCannotTrain(request.model) : null;
  if (cannotTrain !== null) {
    result.unsupported['tf.layers'] = cannotTrain;
    wanted.delete('tf.layers');
  }
  const b: Bench = {
    request,
    data,
    ours,
    oursFused: wanted.has('ours-fused') ? buildOurs(request.model) : null,
    theirs: wanted.has('tf.layers') ? buildTheirs(request.model) : null,
  };
  bench = b;
  const probe = tf.slice(data.x, 0, Math.min(request.batchSize, request.samples));
  const expected = await predictions(b, 'ours', probe);
  try {
    for (const contender of request.contenders) {
      if (!wanted.has(contender)) continue;
      const model = modelOf(b, contender);
      result.params[contender] = model.countParams();
      if (contender !== 'tf.layers')
        result.kernels[contender] = describeKernel(kernelOf(contender));
      if (contender === 'ours') continue;
      if (contender === 'tf.layers' && !sameLayouts(request.model)) continue;
      copyWeights(ours, model);
      const out = await predictions(b, contender, probe);
      result.startDifferences[contender] = tf.tidy(
        () => tf.max(tf.abs(tf.sub(expected, out))).dataSync()[0],
      );
      out.dispose();
    }
    return result;
  } finally {
    tf.dispose([probe, expected]);
  }
}

/** Per-epoch wall time, tensor count and loss, from fit's epoch callbacks. */
class EpochLog {
  readonly seconds: number[] = [];
  readonly tensors: number[] = [];
  readonly loss: number[] = [];
  private start = 0;
  begin(): void {
    this.start = performance.now();
  }
  end(loss: number | undefined): void {
    this.seconds.push((performance.now() - this.start) / 1000);
    this.tensors.push(tf.memory().numTensors);
    this.loss.push(loss ?? Number.NaN);
  }
}

/**
 * One `fit` of `epochs` epochs on x, y (the whole data, or a slice for profiling), on the
 * contender's kernel.
 */
function fit(
  b: Bench,
  contender: JsContender,
  epochs: number,
  x: tf.Tensor,
  y: tf.Tensor,
  log: EpochLog,
): Promise<void> {
  return withKernel(kernelOf(contender), () =>
    fitModel(b, modelOf(b, contender), epochs, x, y, log),
  );
}

async function fitModel(
  b: Bench,
  model: Sequential | tf.Sequential,
  epochs: number,
  x: tf.Tensor,
  y: tf.Tensor,
  log: EpochLog,
): Promise<void> {
  const { batchSize, shuffle } = b.request;
  if (model instanceof Sequential) {
    await model.fit(x, y, {
      epochs,
      batchSize,
      shuffle,
      verbose: 0,
      callbacks: {
        onEpochBegin: () => {
          log.begin();
        },
        onEpochEnd: (_epoch, logs) => {
          log.end(logs.loss);
        },
      },
    });
    return;
  }
  await model.fit(x, y, {
    epochs,
    batchSize,
    shuffle,
    // 0: with tfjs-node, 1 would add its progress bar. tfjs does not export the enum's type.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
    verbose: 0 as tf.ModelFitArgs['verbose'],
    callbacks: {
      onEpochBegin: () => {
        log.begin();
        return Promise.resolve();
      },
      onEpochEnd: (_epoch, logs) => {
        log.end(logs?.loss);
        return Promise.resolve();
      },
    },
  });
}

function labels(b: Bench, contender: JsContender): tf.Tensor {
  return contender === 'tf.layers' ? b.data.yTheirs : b.data.yOurs;
}

async function train(contender: JsContender, epochs: number): Promise<TrainResult> {
  const b = requireBench();
  const log = new EpochLog();
  const start = performance.now();
  await fit(b, contender, epochs, b.data.x, labels(b, contender), log);
  return {
    seconds: (performance.now() - start) / 1000,
    epochSeconds: log.seconds,
    tensorsAfterEpoch: log.tensors,
    loss: log.loss,
  };
}

async function predict(contender: JsContender): Promise<PredictResult> {
  const b = requireBench();
  const start = performance.now();
  const out = await predictions(b, contender, b.data.x);
  await out.data();
  const seconds = (performance.now() - start) / 1000;
  out.dispose();
  return { seconds };
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** One untimed training pass over the first `batches` batches under tf.profile. */
async function profile(contender: JsContender, batches: number): Promise<ProfileResult> {
  const b = requireBench();
  const rows = Math.min(b.request.samples, batches * b.request.batchSize);
  const x = tf.slice(b.data.x, 0, rows);
  const yAll = labels(b, contender);
  const y = tf.slice(yAll, 0, rows);
  try {
    const startBytes = tf.memory().numBytes;
    const start = performance.now();
    const info = await tf.profile(async () => {
      await fit(b, contender, 1, x, y, new EpochLog());
    });
    const wallMs = performance.now() - start;
    const counts = new Map<string, number>();
    const times = new Map<string, number>();
    let peak = startBytes;
    let kernelMs = 0;
    for (const k of info.kernels) {
      // Wrappers (customGrad scopes, ops that call a kernel) time the kernels inside them too.
      if (k.name === 'unnamed scope' || k.name.endsWith('__op')) continue;
      counts.set(k.name, (counts.get(k.name) ?? 0) + 1);
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      times.set(k.name, (times.get(k.name) ?? 0) + ms);
      kernelMs += ms;
      peak = Math.max(peak, k.totalBytesSnapshot);
    }
    const ran = Math.ceil(rows / b.request.batchSize);
    const perBatch = (n: number): number => Math.round((n / ran) * 10) / 10;
    const top = (m: Map<string, number>): [string, number][] =>
      [...m.entries()]
        .sort((p, q) => q[1] - p[1])
        .slice(0, 12)
        .map(([name, n]): [string, number] => [name, perBatch(n)]);
    return {
      peakBytes: peak - startBytes,
      newTensors: info.newTensors,
      kernelsPerBatch: perBatch(sum(counts.values())),
      topKernels: top(counts),
      kernelMsPerBatch: perBatch(kernelMs),
      topKernelsByTime: top(times),
      wallMsPerBatch: perBatch(wallMs),
    };
  } finally {
    tf.dispose([x, y]);
  }
}

function status(): StatusResult {
  const memory = tf.memory();
  return {
    backend: tf.getBackend(),
    // resourceUsage() reports kilobytes.
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    numTensors: memory.numTensors,
    numBytes: memory.numBytes,
  };
}

async function run(request: ChildRequest): Promise<ResultMap[keyof ResultMap]> {
  switch (request.cmd) {
    case 'setup':
      return setup(request);
    case 'train':
      return train(request.contender, request.epochs);
    case 'predict':
      return predict(request.contender);
    case 'profile':
      return profile(request.contender, request.batches);
    case 'status':
      return status();
    case 'teardown':
      teardown();
      return status();
  }
}

function isParentMessage(message: unknown): message is ParentMessage {
  return (
    typeof message === 'object' && message !== null && ('request' in message || 'exit' in message)
  );
}

async function main(): Promise<void> {
  const backend = process.argv[2] ?? '';
  try {
    send({ kind: 'ready', backend: await useBackend(backend), tfjs: tf.version.tfjs });
  } catch (err) {
    send({ kind: 'failed', error: errorMessage(err) });
    process.exit(1);
  }
  // Requests arrive one at a time (the parent waits for each answer); a queue keeps that so.
  let queue = Promise.resolve();
  process.on('message', (message: unknown) => {
    if (!isParentMessage(message)) return;
    if ('exit' in message) {
      teardown();
      process.exit(0);
    }
    const { id, request } = message;
    queue = queue.then(async () => {
      try {
        send({ kind: 'response', id, ok: true, result: await run(request) });
      } catch (err) {
        send({ kind: 'response', id, ok: false, error: errorMessage(err) });
      }
    });
  });
  // The parent is gone: nothing to answer to.
  process.on('disconnect', () => process.exit(0));
}

void main();
