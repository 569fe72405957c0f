/**
 * The training, evaluation and prediction loops, with Keras 3's semantics: per-epoch shuffling,
 * a smaller last batch, epoch values that are means weighted by batch size, validation in
 * inference mode at the end of each epoch, logs sorted by name, callbacks, and the progress bar.
 */
import * as tf from '@tensorflow/tfjs';
import { copyRowsFromWasmBackend } from '../kernels/wasm/tensors';
import { optionKeys } from '../option_keys';
import type { Loss } from './losses';
import type { Metric } from './metrics';
import { Progbar, type ProgressStream, writeLine } from './progbar';
import type { ResidentTraining } from './resident_training';
import { batchStats, gradientNorms, trainStep } from './train_step';

/** Values by name, as Keras's `logs`: `{ loss: 0.12, mae: 0.3, val_loss: 0.2 }`. */
export type Logs = Record<string, number>;

/** What a callback may do with the model `fit` trains (Keras's `callback.model`). */
export interface CallbackModel {
  /** The model's name. */
  readonly name: string;
  /** Set to true to stop `fit` (see Sequential.stopTraining). */
  stopTraining: boolean;
  /** The optimizer `compile` set. */
  readonly optimizer: tf.Optimizer | null;
  /** Copies of every weight's value; the caller owns (disposes) them. */
  getWeights(): tf.Tensor[];
  /** Sets every weight, in `getWeights` order. */
  setWeights(values: tf.Tensor[]): void;
  /** Saves the model (`.keras`, or a folder in tfjs's format). */
  save(path: string): Promise<void>;
  /** Saves the weights (`.weights.h5`). */
  saveWeights(path: string): Promise<void>;
  /** The layers, from input to output (Keras's `model.layers`); a Sequential has them. Default: none. */
  readonly layers?: readonly tf.layers.Layer[];
}

/** One batch's gradient norms, before any clipping (see Callback.onGradientNorms). */
export interface GradientNorms {
  /** `sqrt` of the sum of every variable's squared norm: Keras's `global_clipnorm` norm (`tf.linalg.global_norm`). */
  readonly global: number;
  /**
   * Each trainable variable's L2 norm, by variable name (`simple_rnn/simple_rnn_cell/kernel`);
   * an Embedding's over its per-lookup rows, as Keras's `clipnorm` takes it.
   */
  readonly variables: Readonly<Record<string, number>>;
}

/**
 * Hooks called during `fit`, in list order; each may be async (fit awaits it). `logs` is a
 * copy of fit's, shared by the callbacks of one call: a number a callback adds in `onEpochEnd`
 * (ReduceLROnPlateau's `learning_rate`) goes into the history and the progress bar, as Keras's
 * History and progress bar, last in its callback list, show it; anything else changes nothing.
 */
export interface Callback {
  /** Keras's `set_model`: called by `fit` before anything else, with the model it trains. Default: none. */
  setModel?(model: CallbackModel): void;
  /** Before the first epoch, with empty logs. Default: none. */
  onTrainBegin?(logs: Logs): void | Promise<void>;
  /** After the last epoch, with its logs. Default: none. */
  onTrainEnd?(logs: Logs): void | Promise<void>;
  /** Before each epoch (0-based), with empty logs. Default: none. */
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  /** After each epoch, with its logs: `loss`, metrics, and `val_*` when validating. Default: none. */
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  /** Before each batch (0-based within the epoch), with empty logs. Default: none. */
  onBatchBegin?(batch: number, logs: Logs): void | Promise<void>;
  /** After each batch, with the epoch's running means so far, as Keras. Default: none. */
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
  /**
   * Before each batch (0-based within the epoch): true to be given its gradient norms by
   * `onGradientNorms`. Such a batch runs as a tfjs step, also where fit's resident path
   * (resident_training.ts) would run it, whose gradients never become tensors. Keras has no
   * such hook. Default: none.
   */
  wantsGradientNorms?(batch: number): boolean;
  /**
   * After the step of a batch `wantsGradientNorms` asked for, before `onBatchEnd`: the norms of
   * the gradients that step applied, before clipping. Default: none.
   */
  onGradientNorms?(batch: number, norms: GradientNorms): void | Promise<void>;
}

const NOT_IN_FIT = 'fit calls no such hook yet';

/**
 * The hooks of Callback, and Keras's other hooks, which `fit` does not call: a callback that
 * defines one is refused rather than never called.
 */
export const CALLBACK_HOOKS = optionKeys<Callback>(
  {
    setModel: true,
    onTrainBegin: true,
    onTrainEnd: true,
    onEpochBegin: true,
    onEpochEnd: true,
    onBatchBegin: true,
    onBatchEnd: true,
    wantsGradientNorms: true,
    onGradientNorms: true,
  },
  {
    onTrainBatchBegin: { hint: 'write `onBatchBegin`, which fit calls before each batch' },
    onTrainBatchEnd: { hint: 'write `onBatchEnd`, which fit calls after each batch' },
    onTestBegin: { hint: NOT_IN_FIT },
    onTestEnd: { hint: NOT_IN_FIT },
    onTestBatchBegin: { hint: NOT_IN_FIT },
    onTestBatchEnd: { hint: NOT_IN_FIT },
    onPredictBegin: { hint: NOT_IN_FIT },
    onPredictEnd: { hint: NOT_IN_FIT },
    onPredictBatchBegin: { hint: NOT_IN_FIT },
    onPredictBatchEnd: { hint: NOT_IN_FIT },
  },
);

/** What `fit` returns, as Keras's `History`. */
export interface History {
  /** One value per epoch run, by log name: `loss`, `accuracy`, `val_loss`, ... */
  history: Record<string, number[]>;
  /** The indices of the epochs run. */
  epoch: number[];
  /** The run's parameters, as Keras's `history.params`. */
  params: HistoryParams;
}

/** What a `fit` run was asked for, as Keras's `history.params`. */
export interface HistoryParams {
  /** The verbosity: 0 silent, 1 a bar per epoch, 2 a line per epoch. */
  verbose: number;
  /** The epochs asked for. */
  epochs: number;
  /** Batches per epoch. */
  steps: number;
}

/** A model's forward pass: the output and, for a final sigmoid/softmax Dense, its logits. */
export interface ForwardResult {
  output: tf.Tensor;
  logits?: tf.Tensor;
  /** Keras's mask of the output (see mask_flow.ts): the loss and metrics skip its padding. */
  mask?: tf.Tensor;
}

/** What the loops need from a model. */
export interface LoopModel {
  /** Runs every layer; `withLogits` asks for the logits of a final sigmoid/softmax Dense too. */
  forward(x: tf.Tensor, training: boolean, withLogits: boolean): ForwardResult;
  trainableVariables(): tf.Variable[];
  /** Whether a callback asked training to stop (checked after every batch and epoch). */
  shouldStop(): boolean;
  /**
   * Training steps outside tfjs for this fit, where the model, loss, metrics and optimizer
   * allow them (see resident_training.ts); undefined: tfjs steps. Default: none.
   */
  residentTraining?(
    optimizer: tf.Optimizer,
    loss: Loss,
    metrics: readonly Metric[],
    plan: FitPlan,
  ): ResidentTraining | undefined;
}

/** A running mean: Keras's `Mean` metric state. */
class MeanTracker {
  private total = 0;
  private count = 0;
  add(total: number, count: number): void {
    this.total += total;
    this.count += count;
  }
  result(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }
}

/** The names, trackers and result of the loss and each metric. */
class Trackers {
  private readonly loss = new MeanTracker();
  private readonly metrics: MeanTracker[];
  constructor(private readonly resolved: readonly Metric[]) {
    this.metrics = resolved.map(() => new MeanTracker());
  }
  /** `stats` as batchStats packs them: [mean loss, each metric's sum, each metric's count]. */
  add(batchSize: number, stats: ArrayLike<number>): void {
    this.loss.add(stats[0] * batchSize, batchSize);
    const count = this.metrics.length;
    this.metrics.forEach((m, i) => {
      m.add(stats[i + 1] ?? 0, stats[i + 1 + count] ?? 0);
    });
  }
  /** Loss then metrics in compile order. */
  values(): number[] {
    return [
      this.loss.result(),
      ...this.metrics.map((m, i) => {
        const mean = m.result();
        return this.resolved[i]?.finalize?.(mean) ?? mean;
      }),
    ];
  }
  logs(prefix = ''): Logs {
    const values = this.values();
    const entries: [string, number][] = [[`${prefix}loss`, values[0] ?? 0]];
    this.resolved.forEach((m, i) => entries.push([`${prefix}${m.name}`, values[i + 1] ?? 0]));
    return sortedLogs(entries);
  }
}

/** Keras 3 sorts logs by name. */
function sortedLogs(entries: [string, number][]): Logs {
  const logs: Logs = {};
  for (const [k, v] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) logs[k] = v;
  return logs;
}

/** The row indices of each batch. */
function batches(order: Int32Array, batchSize: number): Int32Array[] {
  const out: Int32Array[] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    out.push(order.subarray(start, Math.min(start + batchSize, order.length)));
  }
  return out;
}

/** Whether `rows` are consecutive and ascending: a batch of unshuffled data. */
function isRange(rows: Int32Array): boolean {
  for (let i = 1; i < rows.length; i++) if (rows[i] !== rows[0] + i) return false;
  return true;
}

/**
 * The rows `rows` of `t`: on the wasm backend a copy in JavaScript; elsewhere a slice when they
 * are consecutive (predict, evaluate, unshuffled fit), else a gather. The same values either
 * way.
 */
function take(t: tf.Tensor, rows: Int32Array): tf.Tensor {
  const copied = copyRowsFromWasmBackend(t, rows);
  if (copied !== undefined) return copied;
  if (rows.length > 0 && isRange(rows)) {
    return tf.slice(t, rows[0], rows.length);
  }
  return tf.tidy(() => tf.gather(t, tf.tensor1d(rows, 'int32')));
}

/** Options the loops share. */
export interface LoopOptions {
  batchSize: number;
  verbose: 0 | 1 | 2;
  stream?: ProgressStream;
}

/** Runs `x` in inference mode in batches and returns the loss and metrics, Keras-weighted. */
export async function evaluateLoop(
  model: LoopModel,
  loss: Loss,
  metrics: readonly Metric[],
  x: tf.Tensor,
  y: tf.Tensor,
  options: LoopOptions,
): Promise<{ values: number[]; logs: Logs }> {
  const n = x.shape[0] ?? 0;
  const steps = batches(
    Int32Array.from({ length: n }, (_, i) => i),
    options.batchSize,
  );
  const trackers = new Trackers(metrics);
  const bar =
    options.verbose === 0
      ? null
      : new Progbar({ target: steps.length, verbose: options.verbose, stream: options.stream });
  for (const [i, rows] of steps.entries()) {
    const packed = tf.tidy(() => {
      const xb = take(x, rows);
      const yb = take(y, rows);
      return tf.stack(batchStats(loss, metrics, yb, model.forward(xb, false, true)));
    });
    const stats = await packed.data();
    packed.dispose();
    trackers.add(rows.length, stats);
    bar?.update(i + 1, trackers.logs(), false);
  }
  const logs = trackers.logs();
  bar?.update(steps.length, logs, true);
  return { values: trackers.values(), logs };
}

/** Runs `x` in inference mode in batches and concatenates the outputs. */
export function predictLoop(model: LoopModel, x: tf.Tensor, options: LoopOptions): tf.Tensor {
  const n = x.shape[0] ?? 0;
  const steps = batches(
    Int32Array.from({ length: n }, (_, i) => i),
    options.batchSize,
  );
  const bar =
    options.verbose === 0
      ? null
      : new Progbar({ target: steps.length, verbose: options.verbose, stream: options.stream });
  const outputs: tf.Tensor[] = [];
  try {
    for (const [i, rows] of steps.entries()) {
      outputs.push(tf.tidy(() => model.forward(take(x, rows), false, false).output));
      bar?.update(i + 1, {}, false);
    }
    bar?.update(steps.length, {}, true);
    const only = outputs.length === 1 ? outputs.at(0) : undefined;
    return only ?? tf.concat(outputs, 0);
  } finally {
    if (outputs.length > 1) for (const t of outputs) t.dispose();
  }
}

/** What `fit` runs. */
export interface FitPlan extends LoopOptions {
  x: tf.Tensor;
  y: tf.Tensor;
  validation: { x: tf.Tensor; y: tf.Tensor } | null;
  epochs: number;
  initialEpoch: number;
  shuffle: boolean;
  callbacks: readonly Callback[];
}

/** A new order of `n` rows: identity, or a uniform shuffle. */
function epochOrder(n: number, shuffle: boolean): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  if (shuffle) tf.util.shuffle(order);
  return order;
}

/** Keras's fit loop. */
export async function fitLoop(
  model: LoopModel,
  optimizer: tf.Optimizer,
  loss: Loss,
  metrics: readonly Metric[],
  plan: FitPlan,
): Promise<History> {
  const n = plan.x.shape[0] ?? 0;
  const steps = Math.ceil(n / plan.batchSize);
  const history: History = {
    history: {},
    epoch: [],
    params: { verbose: plan.verbose, epochs: plan.epochs, steps },
  };
  const stream = plan.stream ?? process.stdout;
  const resident = model.residentTraining?.(optimizer, loss, metrics, plan);
  try {
    return await epochs(model, optimizer, loss, metrics, plan, resident, history, stream);
  } finally {
    resident?.finish();
  }
}

/** fitLoop's epochs, each batch a tfjs step or `resident`'s. */
async function epochs(
  model: LoopModel,
  optimizer: tf.Optimizer,
  loss: Loss,
  metrics: readonly Metric[],
  plan: FitPlan,
  resident: ResidentTraining | undefined,
  history: History,
  stream: ProgressStream,
): Promise<History> {
  const n = plan.x.shape[0] ?? 0;
  const steps = history.params.steps;
  const call = async (
    name: keyof Callback,
    hook: (cb: Callback) => void | Promise<void>,
  ): Promise<void> => {
    const called = plan.callbacks.filter((cb) => cb[name] !== undefined);
    if (called.length === 0) return;
    // Callbacks see the weights and slots of every step so far, and may change them.
    resident?.publish();
    resident?.invalidate();
    for (const cb of called) await hook(cb);
  };
  await call('onTrainBegin', (cb) => cb.onTrainBegin?.({}));
  let lastLogs: Logs = {};
  for (let epoch = plan.initialEpoch; epoch < plan.epochs; epoch++) {
    await call('onEpochBegin', (cb) => cb.onEpochBegin?.(epoch, {}));
    if (plan.verbose !== 0 && plan.epochs > 1)
      writeLine(stream, `Epoch ${epoch + 1}/${plan.epochs}`);
    const bar =
      plan.verbose === 0 ? null : new Progbar({ target: steps, verbose: plan.verbose, stream });
    const trackers = new Trackers(metrics);
    for (const [b, rows] of batches(epochOrder(n, plan.shuffle), plan.batchSize).entries()) {
      await call('onBatchBegin', (cb) => cb.onBatchBegin?.(b, {}));
      const wanting = plan.callbacks.filter(
        (cb) => cb.onGradientNorms !== undefined && cb.wantsGradientNorms?.(b) === true,
      );
      if (resident !== undefined && wanting.length === 0) {
        trackers.add(rows.length, [resident.step(rows)]);
      } else {
        // The resident step's gradients never become tensors: a batch whose norms are wanted
        // runs as a tfjs step, from the resident's weights and slots, which then reads them back.
        resident?.publish();
        resident?.invalidate();
        const xb = take(plan.x, rows);
        const yb = take(plan.y, rows);
        let step: tf.Tensor1D;
        try {
          step = trainStep(model, optimizer, loss, metrics, xb, yb, wanting.length > 0);
        } finally {
          xb.dispose();
          yb.dispose();
        }
        const stats = await step.data();
        step.dispose();
        trackers.add(rows.length, stats);
        if (wanting.length > 0) {
          const norms = gradientNorms(model.trainableVariables(), stats);
          for (const cb of wanting) await cb.onGradientNorms?.(b, norms);
        }
      }
      const logs = trackers.logs();
      await call('onBatchEnd', (cb) => cb.onBatchEnd?.(b, { ...logs }));
      bar?.update(b + 1, logs, false);
      // As in Keras, a stop requested mid-epoch ends the epoch after this batch.
      if (model.shouldStop()) break;
    }
    let epochLogs = trackers.logs();
    if (plan.validation !== null) {
      resident?.publish();
      const val = await evaluateLoop(model, loss, metrics, plan.validation.x, plan.validation.y, {
        batchSize: plan.batchSize,
        verbose: 0,
      });
      epochLogs = { ...epochLogs, ...prefixed(val.logs) };
    }
    // One logs object for every callback, then the history and the progress bar, which come
    // last in Keras's callback list: they show what a callback added (ReduceLROnPlateau's
    // learning_rate), as Keras's do.
    const shared = { ...epochLogs };
    await call('onEpochEnd', (cb) => cb.onEpochEnd?.(epoch, shared));
    const added = Object.entries(shared).filter(
      ([k, v]) => !(k in epochLogs) && typeof v === 'number',
    );
    epochLogs = { ...epochLogs, ...Object.fromEntries(added) };
    history.epoch.push(epoch);
    for (const [k, v] of Object.entries(epochLogs)) (history.history[k] ??= []).push(v);
    bar?.update(steps, epochLogs, true);
    lastLogs = epochLogs;
    if (model.shouldStop()) break;
  }
  await call('onTrainEnd', (cb) => cb.onTrainEnd?.({ ...lastLogs }));
  return history;
}

function prefixed(logs: Logs): Logs {
  return sortedLogs(Object.entries(logs).map(([k, v]): [string, number] => [`val_${k}`, v]));
}
