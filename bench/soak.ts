/**
 * `npm run bench:soak`: does memory stay flat over a long training run? Trains one of our bench
 * models (bench/models.ts: "stock" by default, "stock-lstm" an LSTM stack, "imdb" an Embedding
 * classifier with masks and a Bidirectional LSTM; 512 samples, batch 64, shuffled every epoch, as
 * a user would) for 100 epochs on one backend, then predicts 100 times, and reads after every epoch and pass the
 * process's memory (rss, V8 heap, external, ArrayBuffers), tfjs's tensors and the WebAssembly
 * kernels' heap. Prints the values at a few epochs, the growth after the warm-up and a verdict;
 * writes every reading to bench/soak.json. See `npm run bench:soak -- --help`.
 *
 * One process, one backend (tfjs cannot switch backends cleanly, and rss is the process's).
 */
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { BACKEND_NAMES, type BackendName, useBackend } from '../src/index';
import { wasmKernelMemory } from '../src/kernels/wasm';
import { type KernelChoice, describeKernel, withKernel } from './kernel';
import { buildOurs, makeData } from './models';
import {
  UsageError,
  eachFlag,
  oneOf,
  optionsOrExitCode,
  outFile,
  positiveInt,
} from './command_line';
import { commandLine, gitState, machine } from './provenance';
import {
  type MemorySample,
  SAMPLE_NAMES,
  type SampleName,
  type SoakResults,
  type SoakRun,
  type SoakSettings,
  formatSoak,
  growthOf,
  verdictOf,
} from './soak_report';
import { MODEL_NAMES, type ModelName } from './protocol';
import { formattedJson } from './json_file';
import { ROOT } from './workers';
import { runMain } from './main';

const USAGE = `Usage: npm run bench:soak -- [options]

Trains one of our bench models (512 samples, batch 64, shuffled) for 100 epochs, then predicts
100 times, on one tfjs backend; reads rss, V8 heap, external memory, tf.memory() and the
WebAssembly kernels' heap after every epoch and pass; prints the values at epochs 1, 10, 50 and
100, the growth after the warm-up and a verdict (flat: rss grew less than the threshold and
tensors and the kernels' heap in use did not change); writes the series to bench/soak.json.

Options:
  --model NAME       ${MODEL_NAMES.join(', ')} (bench/models.ts). Default: stock.
  --backend NAME     tensorflow, wasm or cpu. Default: wasm.
  --kernel NAME      wasm (our default SimpleRNN kernel) or fused (TFJS_KERAS_RNN_KERNEL=fused).
                     Default: wasm.
  --epochs N         training epochs. Default: 100.
  --passes N         predict passes after training (0: none). Default: 100.
  --samples N        training samples. Default: 512.
  --warmup N         the epoch (and pass) from which growth is measured. Default: 10.
  --threshold-mb X   rss growth after the warm-up below which memory counts as flat. Default: 5.
  --out FILE         where to write the series. Default: bench/soak.json for stock,
                     bench/soak-MODEL.json for another model.
  --help             this text.
`;

interface SoakOptions {
  model: ModelName;
  backend: BackendName;
  kernel: KernelChoice;
  epochs: number;
  passes: number;
  samples: number;
  warmUp: number;
  thresholdBytes: number;
  /** Undefined: the model's default file (see USAGE). */
  out: string | undefined;
}

/** Where a model's series go by default. */
function defaultOut(model: ModelName): string {
  return path.join(ROOT, 'bench', model === 'stock' ? 'soak.json' : `soak-${model}.json`);
}

function parseSoakOptions(argv: readonly string[]): SoakOptions | 'help' {
  const options: SoakOptions = {
    model: 'stock',
    backend: 'wasm',
    kernel: 'wasm',
    epochs: 100,
    passes: 100,
    samples: 512,
    warmUp: 10,
    thresholdBytes: 5 * 2 ** 20,
    out: undefined,
  };
  const help = eachFlag(argv, (flag, value) => {
    switch (flag) {
      case '--model':
        options.model = oneOf(flag, value(), MODEL_NAMES);
        break;
      case '--backend':
        options.backend = oneOf(flag, value(), BACKEND_NAMES);
        break;
      case '--kernel': {
        const name = value();
        if (name !== 'wasm' && name !== 'fused') {
          throw new UsageError(`--kernel: expected wasm or fused, received ${name ?? 'nothing'}`);
        }
        options.kernel = name;
        break;
      }
      case '--epochs':
        options.epochs = positiveInt(flag, value());
        break;
      case '--passes':
        options.passes = positiveInt(flag, value(), 0);
        break;
      case '--samples':
        options.samples = positiveInt(flag, value());
        break;
      case '--warmup':
        options.warmUp = positiveInt(flag, value());
        break;
      case '--threshold-mb': {
        const text = value();
        const mb = Number(text);
        if (text === undefined || text === '' || !Number.isFinite(mb) || mb <= 0) {
          throw new UsageError(
            `--threshold-mb: expected a positive number, received ${text ?? 'nothing'}`,
          );
        }
        options.thresholdBytes = mb * 2 ** 20;
        break;
      }
      case '--out':
        options.out = outFile(value());
        break;
      default:
        return false;
    }
    return true;
  });
  if (help === 'help') return 'help';
  return options;
}

/** A full collection before each reading when node runs with --expose-gc, else nothing. */
const gc = (globalThis as { gc?: () => void }).gc;

function readMemory(): MemorySample {
  gc?.();
  const usage = process.memoryUsage();
  const tensors = tf.memory();
  const kernel = wasmKernelMemory();
  return {
    rssBytes: usage.rss,
    heapUsedBytes: usage.heapUsed,
    heapTotalBytes: usage.heapTotal,
    externalBytes: usage.external,
    arrayBuffersBytes: usage.arrayBuffers,
    numTensors: tensors.numTensors,
    numBytes: tensors.numBytes,
    kernelMemoryBytes: kernel.memoryBytes,
    kernelBytesInUse: kernel.bytesInUse,
    kernelBlocksInUse: kernel.blocksInUse,
    pendingGradients: kernel.pendingGradients,
  };
}

/** Readings, one per pass, in columns. */
class Recorder {
  readonly series = Object.fromEntries(SAMPLE_NAMES.map((n) => [n, [] as number[]])) as Record<
    SampleName,
    number[]
  >;
  readonly seconds: number[] = [];
  readonly loss: number[] = [];
  private start = 0;

  begin(): void {
    this.start = performance.now();
  }
  end(loss?: number): void {
    this.seconds.push((performance.now() - this.start) / 1000);
    if (loss !== undefined) this.loss.push(loss);
    const sample = readMemory();
    for (const name of SAMPLE_NAMES) this.series[name].push(sample[name]);
  }

  run(kind: SoakRun['kind'], before: MemorySample, settings: SoakSettings): SoakRun {
    const growth = Object.fromEntries(
      SAMPLE_NAMES.map((n) => [n, growthOf(this.series[n], settings.warmUp)]),
    ) as SoakRun['growth'];
    const partial = { kind, series: this.series, growth };
    return {
      kind,
      before,
      series: this.series,
      seconds: this.seconds,
      loss: this.loss,
      growth,
      verdict: verdictOf(partial, settings),
    };
  }
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function soak(options: SoakOptions, argv: readonly string[]): Promise<SoakResults> {
  const started = performance.now();
  const backend = await useBackend(options.backend);
  const batchSize = 64;
  const data = makeData(options.model, options.samples);
  const model = buildOurs(options.model);
  const settings: SoakSettings = {
    backend,
    kernel: describeKernel(options.kernel),
    model: options.model,
    samples: options.samples,
    batchSize,
    shuffle: true,
    epochs: options.epochs,
    predictPasses: options.passes,
    warmUp: options.warmUp,
    thresholdBytes: options.thresholdBytes,
    gcBeforeReading: gc !== undefined,
  };
  log(
    `soak: ${options.model} on ${backend}, kernels ${settings.kernel}, ${options.epochs} epochs...`,
  );
  const runs: SoakRun[] = [];
  try {
    const train = new Recorder();
    const beforeTrain = readMemory();
    await withKernel(options.kernel, async () => {
      await model.fit(data.x, data.yOurs, {
        epochs: options.epochs,
        batchSize,
        shuffle: true,
        verbose: 0,
        callbacks: {
          onEpochBegin: () => {
            train.begin();
          },
          onEpochEnd: (epoch, logs) => {
            train.end(logs.loss);
            if ((epoch + 1) % 10 === 0) {
              const rss = (train.series.rssBytes.at(-1) ?? 0) / 2 ** 20;
              log(
                `  epoch ${epoch + 1}: rss ${rss.toFixed(1)} MB, ${tf.memory().numTensors} tensors`,
              );
            }
          },
        },
      });
    });
    runs.push(train.run('train', beforeTrain, settings));
    if (options.passes > 0) {
      log(`soak: ${options.passes} predict passes...`);
      const predict = new Recorder();
      const beforePredict = readMemory();
      await withKernel(options.kernel, async () => {
        for (let p = 0; p < options.passes; p++) {
          predict.begin();
          const out = model.predict(data.x, { batchSize, verbose: 0 });
          await out.data();
          out.dispose();
          predict.end();
        }
      });
      runs.push(predict.run('predict', beforePredict, settings));
    }
  } finally {
    model.dispose();
    tf.dispose([data.x, data.yOurs, data.yTheirs]);
  }
  return {
    date: new Date().toISOString(),
    command: commandLine('bench:soak', 'bench/soak.ts', argv),
    node: process.version,
    tfjs: tf.version.tfjs,
    machine: machine(),
    git: gitState(),
    settings,
    durationSeconds: (performance.now() - started) / 1000,
    runs,
  };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const options = optionsOrExitCode('bench:soak', USAGE, () => parseSoakOptions(argv));
  if (typeof options === 'number') return options;
  const results = await soak(options, argv);
  const out = options.out ?? defaultOut(options.model);
  writeFileSync(out, await formattedJson(results, out));
  process.stdout.write(`\n${formatSoak(results)}\n`);
  log(`series written to ${path.relative(process.cwd(), out) || out}`);
  return results.runs.every((r) => r.verdict.flat) ? 0 : 1;
}

runMain('bench:soak', main);
