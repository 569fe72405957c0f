/**
 * The command line of `npm run bench`: which backends and models, how long, and where the
 * results go.
 */
import * as path from 'node:path';
import { UsageError, eachFlag, list, outFile, positiveInt } from './command_line';
import {
  BACKENDS,
  type Backend,
  CONTENDERS,
  type Contender,
  DEFAULT_MODELS,
  MODEL_NAMES,
  type ModelName,
  isHeavy,
  type ModelSize,
} from './protocol';

export interface ModelPlan extends ModelSize {
  /** Epochs of each timed training call (one per contender per round). */
  epochsPerRound: number;
  /** Timed rounds after the warm-up; the medians are over these. */
  rounds: number;
}

export interface BenchOptions {
  backends: Backend[];
  models: ModelName[];
  plans: Record<ModelName, ModelPlan>;
  quick: boolean;
  /** Whether --samples set every model's size (then no backend gets a smaller one). */
  samplesGiven: boolean;
  /** Whether --backend chose the backends. */
  backendsGiven: boolean;
  /** The contenders to run, in the table's order (Keras only when `keras`). */
  contenders: Contender[];
  /** Whether Python Keras runs (it is a contender and --no-keras was not given). */
  keras: boolean;
  /** Why Keras does not run, when it does not: '--no-keras' or '--contenders'. */
  kerasLeftOutBy: string | null;
  shuffle: boolean;
  /** Batches of the profiled (untimed) pass that measures peak tensor memory and kernel counts. */
  profileBatches: number;
  out: string;
  /** Limit for any one request to a worker. */
  requestTimeoutMs: number;
}

export const USAGE = `Usage: npm run bench -- [options]

Times training and prediction of the benchmark models ("letters" and "stock" by default) with
this package's layers (on its default WebAssembly kernels: "ours"), with the same layers on the
older fused tfjs-ops kernel ("ours-fused", TFJS_KERAS_RNN_KERNEL=fused around its calls only),
with tf.layers (all three from the same starting weights) and with Python Keras (on the same
data), in alternating rounds, one child process per tfjs backend. Before each timed train and predict it waits until every one of those
processes is idle (Linux). Prints a table and writes bench/results.json.

Options:
  --backend LIST   tensorflow,wasm,cpu (comma-separated or repeated). Default: all three;
                   tensorflow is skipped with a note when @tensorflow/tfjs-node does not load.
  --model LIST     letters,stock,stock-lstm,stock-gru,imdb: stock-lstm and stock-gru are the
                   stock shape with LSTM or GRU cells; imdb is 80 word ids padded with 0 ->
                   Embedding(5000, 64, maskZero) -> Bidirectional(LSTM(64)) -> Dense(1,
                   sigmoid), binary crossentropy. Default: letters,stock.
  --contenders LIST
                   ours,ours-fused,tf.layers,keras. Default: all four. The ratio columns
                   (ours ÷ that contender) need ours.
  --quick          a short run (small data, one epoch a round, no stock on cpu unless
                   --backend is given), well under a minute.
  --rounds N       timed rounds per model (at least 3). Default: 5 letters, 3 the others.
  --epochs N       epochs per timed training call. Default: 2 letters, 1 the others (1 with
                   --quick).
  --samples N      training samples of every model. Default: 1024 letters, 512 the others
                   (256 on the cpu backend); with --quick 512 letters, 64 the others.
  --no-keras       leave Python Keras out (as --contenders without keras).
  --shuffle        shuffle every epoch (all contenders). Default: off, as keras_bench.py.
  --out FILE       where to write the results. Default: bench/results.json.
  --help           this text.
`;

/**
 * The plan of `model` on `backend`. The full run trains "stock" (and the other heavy models) on
 * 256 samples on the cpu backend instead of 512 (tf.layers takes ~10 s an epoch there in quiet conditions); samples/s
 * stay comparable because the batches are the same, and Keras runs the same size with it.
 */
export function planFor(options: BenchOptions, backend: Backend, model: ModelName): ModelPlan {
  const plan = options.plans[model];
  if (!options.quick && !options.samplesGiven && backend === 'cpu' && isHeavy(model)) {
    return { ...plan, samples: Math.min(plan.samples, 256) };
  }
  return plan;
}

/**
 * Why `model` is left out on `backend`, or null. `--quick` leaves out "stock" and the other heavy
 * models on cpu (30 s or more on its own) unless --backend named the backends.
 */
export function skipReason(
  options: BenchOptions,
  backend: Backend,
  model: ModelName,
): string | null {
  if (options.quick && !options.backendsGiven && backend === 'cpu' && isHeavy(model)) {
    return `--quick leaves out ${model} on cpu (30 s or more); add --backend cpu to run it`;
  }
  return null;
}

/** Parses the arguments after `npm run bench --`; throws UsageError on a bad one. */
export function parseOptions(argv: readonly string[], root: string): BenchOptions | 'help' {
  let backends: Backend[] = [];
  let models: ModelName[] = [];
  let contenders: Contender[] = [];
  // Set in the callback below: typed wide, or TypeScript narrows them to their first value.
  let quick = false as boolean;
  let keras = true as boolean;
  let shuffle = false as boolean;
  let rounds: number | undefined;
  let epochs: number | undefined;
  let samples: number | undefined;
  let out = path.join(root, 'bench', 'results.json');
  const help = eachFlag(argv, (flag, value) => {
    switch (flag) {
      case '--backend':
        backends = [...backends, ...list(flag, value(), BACKENDS)];
        break;
      case '--model':
        models = [...models, ...list(flag, value(), MODEL_NAMES)];
        break;
      case '--contenders':
        contenders = [...contenders, ...list(flag, value(), CONTENDERS)];
        break;
      case '--quick':
        quick = true;
        break;
      case '--rounds':
        rounds = positiveInt(flag, value(), 3);
        break;
      case '--epochs':
        epochs = positiveInt(flag, value());
        break;
      case '--samples':
        samples = positiveInt(flag, value());
        break;
      case '--no-keras':
        keras = false;
        break;
      case '--shuffle':
        shuffle = true;
        break;
      case '--out':
        out = outFile(value());
        break;
      default:
        return false;
    }
    return true;
  });
  if (help === 'help') return 'help';
  const plans: Record<ModelName, ModelPlan> = quick
    ? {
        letters: { samples: 512, batchSize: 32, epochsPerRound: 1, rounds: 3 },
        stock: { samples: 64, batchSize: 64, epochsPerRound: 1, rounds: 3 },
        'stock-lstm': { samples: 64, batchSize: 64, epochsPerRound: 1, rounds: 3 },
        'stock-gru': { samples: 64, batchSize: 64, epochsPerRound: 1, rounds: 3 },
        imdb: { samples: 64, batchSize: 64, epochsPerRound: 1, rounds: 3 },
      }
    : {
        letters: { samples: 1024, batchSize: 32, epochsPerRound: 2, rounds: 5 },
        stock: { samples: 512, batchSize: 64, epochsPerRound: 1, rounds: 3 },
        'stock-lstm': { samples: 512, batchSize: 64, epochsPerRound: 1, rounds: 3 },
        'stock-gru': { samples: 512, batchSize: 64, epochsPerRound: 1, rounds: 3 },
        imdb: { samples: 512, batchSize: 64, epochsPerRound: 1, rounds: 3 },
      };
  for (const plan of Object.values(plans)) {
    plan.samples = samples ?? plan.samples;
    plan.epochsPerRound = epochs ?? plan.epochsPerRound;
    plan.rounds = rounds ?? plan.rounds;
  }
  // The table's order, whatever the order given.
  const chosen = CONTENDERS.filter((c) => contenders.length === 0 || contenders.includes(c));
  const kerasLeftOutBy = !keras ? '--no-keras' : chosen.includes('keras') ? null : '--contenders';
  const running = chosen.filter((c) => c !== 'keras' || kerasLeftOutBy === null);
  if (running.length === 0) {
    throw new UsageError('--contenders: only keras was chosen, and --no-keras leaves it out');
  }
  return {
    backends: backends.length > 0 ? [...new Set(backends)] : [...BACKENDS],
    models: models.length > 0 ? [...new Set(models)] : [...DEFAULT_MODELS],
    plans,
    quick,
    samplesGiven: samples !== undefined,
    backendsGiven: backends.length > 0,
    contenders: running,
    keras: kerasLeftOutBy === null,
    kerasLeftOutBy,
    shuffle,
    profileBatches: 1,
    out,
    requestTimeoutMs: 10 * 60 * 1000,
  };
}
