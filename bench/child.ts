/**
 * One backend's benchmark process: `node --import tsx bench/child.ts BACKEND`, started by
 * bench/run.ts with an IPC channel. It selects the backend, says `ready`, then runs the parent's
 * requests one at a time (set up a model, train or predict with one contender, profile, report
 * memory) and answers each; a failing request answers with its error and the process goes on.
 */
import * as tf from '@tensorflow/tfjs';
import { type Sequential, useBackend } from '../src/index';
import { type BenchData, buildOurs, buildTheirs, copyWeights, makeData } from './models';
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
  ours: Sequential;
  theirs: tf.Sequential;
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
  bench.theirs.dispose();
  tf.dispose([bench.data.x, bench.data.yOurs, bench.data.yTheirs]);
  bench = null;
}

function setup(request: SetupRequest): SetupResult {
  teardown();
  const data = makeData(request.model, request.samples);
  const ours = buildOurs(request.model);
  const theirs = buildTheirs(request.model);
  bench = { request, data, ours, theirs };
  const probe = tf.slice(data.x, 0, Math.min(request.batchSize, request.samples));
  try {
    return {
      params: { ours: ours.countParams(), 'tf.layers': theirs.countParams() },
      startDifference: copyWeights(ours, theirs, probe),
    };
  } finally {
    probe.dispose();
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

/** One `fit` of `epochs` epochs on x, y (the whole data, or a slice for profiling). */
async function fit(
  b: Bench,
  contender: JsContender,
  epochs: number,
  x: tf.Tensor,
  y: tf.Tensor,
  log: EpochLog,
): Promise<void> {
  const { batchSize, shuffle } = b.request;
  if (contender === 'ours') {
    await b.ours.fit(x, y, {
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
  await b.theirs.fit(x, y, {
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
  return contender === 'ours' ? b.data.yOurs : b.data.yTheirs;
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
  const { batchSize } = b.request;
  const start = performance.now();
  const out =
    contender === 'ours'
      ? b.ours.predict(b.data.x, { batchSize, verbose: 0 })
      : (b.theirs.predict(b.data.x, { batchSize }) as tf.Tensor);
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
