/**
 * Training outside tfjs for the models the course trains most: SimpleRNN layers and a Dense
 * head (the stock model), mean squared error, Adam. `fit` runs each batch as one call of
 * `WasmStackTrainer`, which keeps the weights and Adam's slots in the kernels' memory between
 * batches; the numbers are those of a step through tfjs, bit for bit (same kernels, same float32
 * operations in the same order), 1.6-1.9 ms sooner in a stock batch of ~14 ms on the wasm
 * backend. The course's stock model, with its Dropout layers, trains this way too.
 *
 * The tfjs variables (the layers' weights, the optimizer's slots) are brought up to date
 * wherever code outside the step could look at them: before callbacks, before validation and
 * when `fit` ends or fails; and the step reads them back after callbacks ran (they may change
 * weights or slots). Any other model, loss, metric or optimizer option trains through tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { denseRunsOnKernels } from '../kernels/dense';
import { useWasmKernel } from '../kernels/kernel_choice';
import { isFusedActivation } from '../kernels/fused_steps';
import { isSimpleRnnLayer } from '../kernels/recurrent_stack';
import type { SimpleRnnStackLayer } from '../kernels/wasm';
import { type MaskFill, type TrainerMasks, WasmStackTrainer } from '../kernels/wasm/stack_trainer';
import { overwriteInWasmBackend, tensorFrom, valuesOf } from '../kernels/wasm/tensors';
import { Dense } from '../layers/dense';
import { Dropout } from '../layers/dropout';
import { RNN } from '../layers/rnn/rnn';
import { recurrentRun } from '../layers/rnn/rnn_stack';
import { SimpleRNNCell } from '../layers/rnn/simple_rnn';
import { Adam } from '../optimizers/adam';
import type { Loss } from './losses';
import { squaredErrorGradient, squaredErrorMean } from './mean_squared_error';
import type { Metric } from './metrics';

/** `off` makes `fit` train every model through tfjs (for comparisons). */
export const RESIDENT_ENV_VAR = 'TFJS_KERAS_RNN_RESIDENT';

/** What the fit loop calls instead of a tfjs training step. */
export interface ResidentTraining {
  /** One step on the samples `rows` of fit's x and y; the batch's loss. */
  step(rows: Int32Array): number;
  /** Brings the tfjs variables up to date with the steps taken since the last call. */
  publish(): void;
  /** Marks the tfjs variables as possibly changed: the next step reads them first. */
  invalidate(): void;
  /** publish(), then frees the kernels' buffers. */
  finish(): void;
}

/**
 * What the trainer runs: the stack, its Dropout masks, the head, and the variables in the
 * trainer's order (each cell's kernel, recurrent kernel and bias, then the head's).
 */
interface Plan {
  stack: SimpleRnnStackLayer[];
  masks: TrainerMasks;
  head: { kernel: tf.Tensor; bias: tf.Tensor | null };
  variables: tf.Variable[];
  steps: number;
}

/**
 * A resident training for `layers` with this loss, metrics and optimizer on x and y, or
 * undefined where one does not apply: fit then runs its tfjs step.
 */
export function residentTraining(
  layers: readonly tf.layers.Layer[],
  trainable: readonly tf.Variable[],
  optimizer: tf.Optimizer,
  loss: Loss,
  metrics: readonly Metric[],
  x: tf.Tensor,
  y: tf.Tensor,
  batchSize: number,
): ResidentTraining | undefined {
  if (process.env[RESIDENT_ENV_VAR] === 'off' || !useWasmKernel()) return undefined;
  if (loss.kerasName !== 'mean_squared_error' || metrics.length > 0) return undefined;
  if (!plainAdam(optimizer)) return undefined;
  if (x.dtype !== 'float32' || x.rank !== 3 || y.dtype !== 'float32') return undefined;
  const [samples, steps, features] = x.shape as [number, number, number];
  const maxBatch = Math.min(batchSize, samples);
  if (maxBatch < 1) return undefined;
  const plan = planOf(layers, maxBatch, steps, features);
  if (plan === undefined) return undefined;
  const units = (plan.head.kernel.shape as readonly number[])[1] ?? 0;
  if (!tf.util.arraysEqual(y.shape, [samples, units])) return undefined;
  // The same variables in the same order as the tfjs step's: the slots are created in it.
  if (
    plan.variables.length !== trainable.length ||
    plan.variables.some((v, i) => v !== trainable[i])
  ) {
    return undefined;
  }
  return new Resident(plan, optimizer, x, y, maxBatch);
}

/** Adam without the options the trainer does not apply. */
function plainAdam(optimizer: tf.Optimizer): optimizer is Adam {
  // Adam itself, not a subclass with its own rule. (`instanceof` would not do: tfjs's
  // Optimizer takes any object with its methods for an instance.)
  if (optimizer.constructor !== Adam) return false;
  const adam = optimizer as Adam;
  return (
    !adam.amsgrad &&
    adam.clipnorm === null &&
    adam.clipvalue === null &&
    adam.globalClipnorm === null &&
    adam.weightDecay === null
  );
}

/**
 * The stack and head when `layers` are SimpleRNN layers (without dropout in their cells,
 * trainable), with Dropout layers between them or before the last, and a linear Dense layer
 * on the last state: what the tfjs step runs as the stack op, Dropout masks and the Dense op.
 */
function planOf(
  layers: readonly tf.layers.Layer[],
  maxBatch: number,
  steps: number,
  features: number,
): Plan | undefined {
  const run = recurrentRun(layers, 0);
  const rest = layers.slice(run.length);
  const dense = rest.at(-1);
  if (run.length === 0 || !(dense instanceof Dense) || rest.length > 2) return undefined;
  let trailing: Dropout | undefined;
  if (rest.length === 2) {
    const before = rest[0];
    if (!(before instanceof Dropout)) return undefined;
    trailing = before;
  }
  if (dense.activation !== 'linear' || !dense.trainable) return undefined;
  const stack: SimpleRnnStackLayer[] = [];
  const outputs: (MaskFill | null)[] = [];
  const recurrent = run.filter((layer): layer is RNN => layer instanceof RNN);
  let width = features;
  for (const layer of run) {
    if (layer instanceof Dropout) {
      // Between two recurrent layers: a mask of the sequence the one before returns.
      const fill = maskFill(layer);
      if (fill === undefined) return undefined;
      outputs[outputs.length - 1] = fill;
      continue;
    }
    if (!layer.trainable) return undefined;
    const plainCells = layer.cells.every(
      (cell) =>
        cell instanceof SimpleRNNCell &&
        cell.trainable &&
        cell.dropout === 0 &&
        cell.recurrentDropout === 0 &&
        isFusedActivation(cell.activation),
    );
    if (!plainCells) return undefined;
    const last = layer === recurrent.at(-1);
    if (last && layer.returnSequences) return undefined;
    // Every cell is a SimpleRNN cell (plainCells): every layer of the stack is a SimpleRNN one.
    const cells = layer.stackLayers(maxBatch, width, false, !last).filter(isSimpleRnnLayer);
    stack.push(...cells);
    outputs.push(...cells.map(() => null));
    width = layer.cells.at(-1)?.units ?? width;
  }
  const head = dense.productWeights();
  if (head === null || head.kernel.shape[0] !== width) return undefined;
  if (!denseRunsOnKernels(maxBatch, width, head.kernel)) return undefined;
  const headMask = trailing === undefined ? null : maskFill(trailing);
  if (headMask === undefined) return undefined;
  const variables: tf.Variable[] = [];
  for (const t of [
    ...stack.flatMap(({ weights }) => [weights.kernel, weights.recurrentKernel, weights.bias]),
    head.kernel,
    head.bias,
  ]) {
    if (t === null) continue;
    if (!(t instanceof tf.Variable)) return undefined;
    variables.push(t as tf.Variable);
  }
  return { stack, masks: { outputs, head: headMask }, head, variables, steps };
}

/**
 * How a Dropout layer's masks are drawn in a step: null when it drops nothing (rate 0), and
 * undefined where the trainer cannot take its masks (a noise shape: broadcast masks).
 */
function maskFill(layer: Dropout): MaskFill | null | undefined {
  if (layer.noiseShape !== undefined) return undefined;
  if (layer.rate === 0) return null;
  return (out) => {
    layer.fillTrainingMask(out);
  };
}

/**
 * The values of `t` for a step: on the wasm backend a view of its memory, taken again when that
 * memory has grown (a view of the old buffer is then empty); elsewhere one copy.
 */
function valuesSource(t: tf.Tensor): () => ArrayLike<number> {
  let values = valuesOf(t);
  if (tf.getBackend() !== 'wasm') return () => values;
  return () => {
    if (values.length !== t.size) values = valuesOf(t);
    return values;
  };
}

class Resident implements ResidentTraining {
  private readonly trainer: WasmStackTrainer;
  private readonly xValues: () => ArrayLike<number>;
  private readonly yValues: () => ArrayLike<number>;
  /** The tfjs variables may differ from the trainer's: read them before the next step. */
  private stale = true;
  /** The trainer has steps the tfjs variables do not. */
  private ahead = false;

  constructor(
    private readonly plan: Plan,
    private readonly optimizer: Adam,
    x: tf.Tensor,
    y: tf.Tensor,
    maxBatch: number,
  ) {
    const units = (plan.head.kernel.shape as readonly number[])[1] ?? 0;
    this.xValues = valuesSource(x);
    this.yValues = valuesSource(y);
    // The loss and its gradient as meanSquaredErrorLoss computes them on [rows, units].
    const labels = new Float32Array(maxBatch * units);
    const differences = new Float32Array(maxBatch * units);
    const lossGradient = (
      output: Float32Array,
      rows: Int32Array,
      gradient: Float32Array,
    ): number => {
      const yv = this.yValues();
      const t = labels.subarray(0, rows.length * units);
      rows.forEach((r, b) => {
        for (let j = 0; j < units; j++) t[b * units + j] = yv[r * units + j];
      });
      const diff = differences.subarray(0, rows.length * units);
      const value = squaredErrorMean(t, output, diff);
      // The tape's seed: d loss / d loss = 1.
      squaredErrorGradient(diff, 1, units, gradient);
      return value;
    };
    this.trainer = new WasmStackTrainer(
      plan.stack,
      plan.masks,
      plan.head,
      plan.steps,
      maxBatch,
      lossGradient,
    );
  }

  step(rows: Int32Array): number {
    if (this.stale) this.load();
    const opt = this.optimizer;
    const value = this.trainer.step(
      this.xValues(),
      rows,
      opt.stepFactors(opt.learningRate, opt.iterations + 1),
    );
    opt.countStep();
    this.ahead = true;
    return value;
  }

  publish(): void {
    if (!this.ahead) return;
    tf.tidy(() => {
      this.plan.variables.forEach((variable, i) => {
        // A new tensor for a weight: the backend's matMul caches packed weights by tensor.
        variable.assign(tensorFrom(this.trainer.read(i, 'variable'), variable.shape));
        for (const part of ['momentum', 'velocity'] as const) {
          const slot = this.optimizer.slotOf(variable, part);
          const values = this.trainer.read(i, part);
          if (!overwriteInWasmBackend(slot, values)) slot.assign(tensorFrom(values, slot.shape));
        }
      });
    });
    this.ahead = false;
  }

  invalidate(): void {
    this.stale = true;
  }

  finish(): void {
    try {
      this.publish();
    } finally {
      this.trainer.dispose();
    }
  }

  /** Reads the variables and slots (created as the tfjs step creates them, in its order). */
  private load(): void {
    this.publish();
    this.plan.variables.forEach((variable, i) => {
      this.trainer.write(i, 'variable', valuesOf(variable));
      for (const part of ['momentum', 'velocity'] as const) {
        this.trainer.write(i, part, valuesOf(this.optimizer.slotOf(variable, part)));
      }
    });
    this.stale = false;
  }
}
