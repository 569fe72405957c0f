/**
 * Sequential: Keras's linear stack of layers, with compile / fit / evaluate / predict /
 * summary / save / load.
 *
 * It owns an internal `tf.Sequential` used to build the layers (shapes flow symbolically from
 * the input), to hold the weights and to serialize in tfjs's format. Training, evaluation and
 * prediction run the layers in order with this package's own loops (src/models/training.ts).
 *
 * A model whose first layer has no `inputShape` is built on its first fit / evaluate / predict
 * from the shape of x, or by `build([null, ...])`, as in Keras.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatShape } from '../errors';
import { optionKeys } from '../option_keys';
import { Embedding } from '../layers/embedding';
import { defaultLayerName } from '../layers/naming';
import { RNN } from '../layers/rnn/rnn';
import {
  type CompileArgs,
  type CompiledState,
  kerasOptimizerParams,
  resolveCompile,
} from './compile';
import { type DataInput, type ModelInputInfo, checkVerbose, checkX, toTensor } from './data';
import {
  type DataModel,
  EVALUATE_OPTIONS,
  type EvaluateArgs,
  PREDICT_OPTIONS,
  type FitArgs,
  type PredictArgs,
  fitOptions,
  prepareData,
  prepareFit,
} from './fit_setup';
import { checkAddable } from './add_checks';
import { describeLayer } from '../layers/naming';
import { registeredVariable, runLayers } from './forward';
import { saveKerasModel } from '../keras/save_keras_model';
import { loadKerasWeightsFile, saveKerasWeightsFile } from '../keras/weights_file';
import { loadSequentialModel, refuseLegacySavePath, saveModel } from './io';
import { SUMMARY_OPTIONS, type SummaryOptions, layerRows, summaryLines } from './summary';
import { countValues, writeWeights } from './weights';
import { residentTraining } from './resident_training';
import { checkStatefulSamples, modelBatchSize, statefulLayers } from './stateful';
import { type History, type LoopModel, evaluateLoop, fitLoop, predictLoop } from './training';

export type { EvaluateArgs, FitArgs, PredictArgs } from './fit_setup';

/** Options of the Sequential constructor. */
export interface SequentialArgs {
  /** The model's name. Default: 'sequential', then 'sequential_1', ... */
  name?: string;
}

/** The keys of SequentialArgs, and Keras's Sequential options not implemented yet. */
export const SEQUENTIAL_OPTIONS = optionKeys<SequentialArgs>(
  { name: true },
  { trainable: { default: true, hint: 'set `trainable` on the layers instead' } },
);

/** A linear stack of layers, Keras's `Sequential`. */
export class Sequential {
  /** The model's name, as `summary()` shows it. */
  readonly name: string;
  /**
   * Set to true from a callback to stop `fit`, as in Keras: set in `onBatchEnd`, the epoch ends
   * after that batch (validation and `onEpochEnd` still run); set in `onEpochEnd`, no further
   * epoch starts. `fit` resets it when it starts.
   */
  stopTraining = false;
  private readonly stack: tf.layers.Layer[] = [];
  private inner: tf.Sequential | null = null;
  private compiled: CompiledState | null = null;
  private ownsOptimizer = false;
  private disposed = false;

  constructor(layers: tf.layers.Layer[] = [], args: SequentialArgs = {}) {
    if (!Array.isArray(layers)) {
      throw new ValueError(
        `Sequential: expected a list of layers, received ${typeof layers}. Write new Sequential([layer1, layer2]).`,
      );
    }
    SEQUENTIAL_OPTIONS.check('Sequential', args);
    this.name = args.name ?? defaultLayerName('Sequential');
    for (const layer of layers) this.add(layer);
  }

  /** The layers, from input to output (a copy of the list). */
  get layers(): tf.layers.Layer[] {
    return [...this.stack];
  }

  /** Whether the layers have weights (the input shape is known). */
  get built(): boolean {
    return this.inner !== null;
  }

  /** The input shape with the batch axis, `[null, 60, 1]`; null before the model is built. */
  get inputShape(): (number | null)[] | null {
    return this.inner?.inputs[0]?.shape.slice() ?? null;
  }

  /** The output shape with the batch axis, `[null, 1]`; null before the model is built. */
  get outputShape(): (number | null)[] | null {
    return this.inner?.outputs[0]?.shape.slice() ?? null;
  }

  /** The optimizer `compile` set, or null. */
  get optimizer(): tf.Optimizer | null {
    return this.compiled?.optimizer ?? null;
  }

  /** What `compile` set (optimizer, loss, metrics), or null before it. @internal */
  get compileState(): Readonly<CompiledState> | null {
    return this.compiled;
  }

  /** The weights training updates, in layer order. */
  get trainableWeights(): tf.LayerVariable[] {
    return this.stack.flatMap((l) => l.trainableWeights);
  }

  /** The weights training leaves alone, in layer order. */
  get nonTrainableWeights(): tf.LayerVariable[] {
    return this.stack.flatMap((l) => l.nonTrainableWeights);
  }

  /** Every weight: trainable ones first within each layer, layers in order (Keras's order). */
  get weights(): tf.LayerVariable[] {
    return this.stack.flatMap((l) => l.weights);
  }

  private assertUsable(subject: string): void {
    if (this.disposed) {
      throw new ValueError(`${subject}: the model '${this.name}' was disposed.`);
    }
  }

  /** Appends a layer. Throws, leaving the model unchanged, when it cannot follow the last one. */
  add(layer: tf.layers.Layer): void {
    this.assertUsable('Sequential.add');
    checkAddable(this.stack, layer);
    if (this.inner !== null) {
      this.inner.add(layer);
    } else if (this.stack.length === 0 && (layer.batchInputShape as tf.Shape | undefined) != null) {
      const inner = tf.sequential({ name: this.name });
      inner.add(layer);
      this.inner = inner;
    }
    this.stack.push(layer);
  }

  /**
   * Builds the layers' weights for inputs of `batchInputShape` (with the batch axis, as Keras:
   * `[null, 60, 1]`). Done by the first fit / evaluate / predict when the first layer has no
   * `inputShape`.
   */
  build(batchInputShape: (number | null)[]): void {
    const subject = 'Sequential.build';
    this.assertUsable(subject);
    if (!Array.isArray(batchInputShape) || batchInputShape.length < 2) {
      throw new ValueError(
        `${subject}: expected the input shape with its batch axis, such as [null, 60, 1], received ${JSON.stringify(batchInputShape)}.`,
      );
    }
    if (this.inner !== null) {
      const current = this.inputShape ?? [];
      const same =
        current.length === batchInputShape.length &&
        current.every((d, i) => i === 0 || d === batchInputShape[i]);
      if (!same) {
        throw new ValueError(
          `${subject}: the model '${this.name}' is already built for inputs of shape ${formatShape(current)}, received ${formatShape(batchInputShape)}.`,
        );
      }
      return;
    }
    const first = this.stack.at(0);
    if (first === undefined) {
      throw new ValueError(`${subject}: the model '${this.name}' has no layers; add() some first.`);
    }
    const inner = tf.sequential({ name: this.name });
    inner.add(tf.layers.inputLayer({ batchInputShape, name: `${first.name}_input` }));
    for (const layer of this.stack) inner.add(layer);
    this.inner = inner;
  }

  /** Sets the optimizer, loss and metrics `fit` and `evaluate` use. */
  compile(args: CompileArgs): void {
    this.assertUsable('Sequential.compile');
    const compiled = resolveCompile(args, 'Sequential.compile');
    this.releaseOptimizer();
    this.compiled = compiled;
    // An optimizer the caller gave stays theirs; one made from a name or by default is ours.
    this.ownsOptimizer = compiled.optimizer !== args.optimizer;
  }

  private releaseOptimizer(): void {
    if (this.compiled !== null && this.ownsOptimizer) this.compiled.optimizer.dispose();
  }

  private requireCompiled(subject: string): CompiledState {
    if (this.compiled === null) {
      throw new ValueError(
        `${subject}: the model '${this.name}' must be compiled first: call model.compile({ optimizer: 'adam', loss: 'mse' }) (or your optimizer and loss) before ${subject.split('.')[1] ?? 'this'}.`,
      );
    }
    return this.compiled;
  }

  private inputInfo(): ModelInputInfo {
    const first = this.stack.at(0);
    return {
      inputShape: this.inputShape,
      firstLayer: first === undefined ? 'no layer' : describeLayer(first),
      recurrentFirst: first instanceof RNN,
      embeddingInputDim: first instanceof Embedding ? first.inputDim : null,
    };
  }

  /** Checks x against the model's input, then builds the model from x's shape if needed. */
  private prepareX(subject: string, x: tf.Tensor): void {
    if (this.stack.length === 0) {
      throw new ValueError(`${subject}: the model '${this.name}' has no layers; add() some first.`);
    }
    checkX(subject, x, this.inputInfo());
    if (this.inner === null) this.build([null, ...x.shape.slice(1)]);
  }

  private loopModel(): LoopModel {
    return {
      forward: (x, training, withLogits) => runLayers(this.stack, x, training, withLogits),
      trainableVariables: () => this.trainableWeights.map((w) => registeredVariable(w)),
      shouldStop: () => this.stopTraining,
      residentTraining: (optimizer, loss, metrics, plan) =>
        residentTraining(
          this.stack,
          this.trainableWeights.map((w) => registeredVariable(w)),
          optimizer,
          loss,
          metrics,
          plan.x,
          plan.y,
          plan.batchSize,
        ),
    };
  }

  /** How the data checks see the model (also gradientFlow's and stepStates'). @internal */
  dataModel(): DataModel {
    return {
      prepareX: (subject, x) => {
        this.prepareX(subject, x);
      },
      outputShape: () => this.outputShape,
    };
  }

  /**
   * Trains the model with Keras's semantics (see FitArgs) and returns its History. Every check
   * on the arguments and the data runs before the first step.
   */
  async fit(x: DataInput, y: DataInput, args: FitArgs = {}): Promise<History> {
    const subject = 'Sequential.fit';
    this.assertUsable(subject);
    const compiled = this.requireCompiled(subject);
    const batchSize = this.batchSizeOf(subject, args.batchSize);
    const options = fitOptions(subject, { ...args, batchSize });
    const data = prepareFit(
      subject,
      this.dataModel(),
      compiled,
      x,
      y,
      options.validationSplit,
      args.validationData,
    );
    try {
      this.checkSamples(subject, 'x', data.train.x, batchSize);
      if (data.validation !== null) {
        this.checkSamples(subject, 'the validation data', data.validation.x, batchSize);
      }
      this.stopTraining = false;
      for (const callback of options.callbacks) callback.setModel?.(this);
      const history = await fitLoop(
        this.loopModel(),
        compiled.optimizer,
        compiled.loss,
        data.metrics,
        {
          ...options,
          ...data.train,
          validation: data.validation,
        },
      );
      return history;
    } finally {
      for (const t of data.owned) t.dispose();
    }
  }

  /**
   * The loss (and metrics) on x and y in inference mode: a number without metrics, else
   * `[loss, ...metrics]` in compile order, as Keras.
   */
  async evaluate(x: DataInput, y: DataInput, args: EvaluateArgs = {}): Promise<number | number[]> {
    const subject = 'Sequential.evaluate';
    this.assertUsable(subject);
    const compiled = this.requireCompiled(subject);
    EVALUATE_OPTIONS.check(subject, args);
    const batchSize = this.batchSizeOf(subject, args.batchSize);
    const verbose = checkVerbose(subject, args.verbose ?? 1);
    const data = prepareData(subject, this.dataModel(), compiled, x, y);
    try {
      this.checkSamples(subject, 'x', data.x, batchSize);
      const { values } = await evaluateLoop(
        this.loopModel(),
        compiled.loss,
        data.metrics,
        data.x,
        data.y,
        { batchSize, verbose, stream: args.stream },
      );
      return values.length === 1 ? (values[0] ?? Number.NaN) : values;
    } finally {
      for (const t of data.owned) t.dispose();
    }
  }

  /**
   * The model's output for x, in inference mode (Dropout off), computed in batches. x is
   * checked against the model's input first (NaN is passed through, as Keras).
   */
  predict(x: DataInput, args: PredictArgs = {}): tf.Tensor {
    const subject = 'Sequential.predict';
    this.assertUsable(subject);
    PREDICT_OPTIONS.check(subject, args);
    const batchSize = this.batchSizeOf(subject, args.batchSize);
    const verbose = checkVerbose(subject, args.verbose ?? 1);
    const xs = toTensor(subject, 'x', x);
    try {
      this.prepareX(subject, xs.tensor);
      this.checkSamples(subject, 'x', xs.tensor, batchSize);
      return predictLoop(this.loopModel(), xs.tensor, { batchSize, verbose, stream: args.stream });
    } finally {
      if (xs.owned) xs.tensor.dispose();
    }
  }

  /** The number of values in every weight. */
  countParams(): number {
    return countValues(this.weights);
  }

  /** The summary's lines, in Keras 3's layout. */
  summaryText(options: SummaryOptions = {}): string {
    this.assertUsable('Sequential.summary');
    SUMMARY_OPTIONS.check('Sequential.summary', options);
    const trainableParams = countValues(this.trainableWeights);
    let optimizer: { count: number; bytes: number } | undefined;
    // Keras counts the optimizer's variables once it is built: after a step, or restored from a file.
    if (this.compiled !== null && this.compiled.optimizer.iterations > 0) {
      optimizer = kerasOptimizerParams(this.compiled.optimizer, trainableParams);
    }
    return summaryLines(
      {
        modelName: this.name,
        rows: layerRows(this.stack, this.inner !== null),
        trainableParams,
        nonTrainableParams: countValues(this.nonTrainableWeights),
        ...(optimizer === undefined ? {} : { optimizer }),
      },
      options,
    ).join('\n');
  }

  /**
   * Prints the summary, one line per call of `printFn`. As Keras, once the optimizer has taken
   * a step the totals include its values (`Optimizer params`).
   */
  summary(printFn: (line: string) => void = console.log, options: SummaryOptions = {}): void {
    for (const line of this.summaryText(options).split('\n')) printFn(line);
  }

  /** Copies of every weight's value, in `weights` order; the caller owns (disposes) them. */
  getWeights(): tf.Tensor[] {
    this.assertUsable('Sequential.getWeights');
    return this.weights.map((w) => tf.clone(w.read()));
  }

  /** Sets every weight, in `weights` order; checks the count and each shape before writing any. */
  setWeights(values: tf.Tensor[]): void {
    const subject = 'Sequential.setWeights';
    this.assertUsable(subject);
    if (this.inner === null) {
      throw new ValueError(
        `${subject}: the model '${this.name}' is not built yet, so it has no weights; give the first layer an inputShape or call build([null, ...]) first.`,
      );
    }
    writeWeights(subject, this.weights, values, (weight, shape) =>
      this.stack
        .map((layer) => (layer instanceof RNN ? layer.weightShapeHint(weight, shape) : undefined))
        .find((hint) => hint !== undefined),
    );
  }

  /**
   * Saves the model, atomically (a failed save leaves nothing partial and keeps an earlier one):
   * to a path ending in `.keras`, a Keras 3 file that Python's `keras.models.load_model` opens
   * (layers, weights, compile arguments and optimizer state); to any other path, a directory
   * in tfjs's format (`model.json` + `weights.bin`).
   */
  async save(path: string): Promise<void> {
    const subject = 'Sequential.save';
    this.assertUsable(subject);
    refuseLegacySavePath(subject, path);
    if (this.inner === null) {
      throw new ValueError(
        `${subject}: the model '${this.name}' is not built yet; give the first layer an inputShape, call build([null, ...]), or fit it first.`,
      );
    }
    if (path.endsWith('.keras')) await saveKerasModel(subject, this, path);
    else await saveModel(subject, this.inner, path);
  }

  /**
   * Keras's `save_weights`: writes `file` (ending in `.weights.h5`) as Keras 3 does, the
   * weights and a compiled model's optimizer state, for `model.load_weights` in Python or
   * `loadWeights` here. The file is written whole next to `file`, then renamed into place.
   */
  async saveWeights(file: string): Promise<void> {
    this.assertUsable('Sequential.saveWeights');
    await saveKerasWeightsFile(this, file);
  }

  /**
   * Keras's `load_weights`: reads a Keras 3 `.weights.h5` file (Python's `save_weights`, or
   * `saveWeights`) into this built model, and the optimizer's state when compiled. Every shape
   * is checked first; a mismatch names the layer, both shapes and the file.
   */
  async loadWeights(file: string): Promise<void> {
    this.assertUsable('Sequential.loadWeights');
    await loadKerasWeightsFile(this, file);
  }

  /** Loads a model that `save` (or tfjs's `file://` saver) wrote into `dir`. */
  static async load(dir: string): Promise<Sequential> {
    return Sequential.adopt(await loadSequentialModel('Sequential.load', dir));
  }

  /**
   * A Sequential over a built tf.Sequential of this package's layers (a loaded model), compiled
   * with `compile` when given: its optimizer, even an instance, is then the model's own and is
   * disposed with it (a loaded file's optimizer has no other owner).
   */
  static adopt(inner: tf.Sequential, compile?: CompileArgs): Sequential {
    const model = new Sequential([], { name: inner.name });
    model.inner = inner;
    model.stack.push(...inner.layers.filter((l) => l.getClassName() !== 'InputLayer'));
    if (compile !== undefined) {
      model.compile(compile);
      model.ownsOptimizer = true;
    }
    return model;
  }

  /**
   * Resets the states of every stateful recurrent layer to zeros, as Keras's
   * `model.reset_states()`; layers that are not stateful keep none.
   */
  resetStates(): void {
    this.assertUsable('Sequential.resetStates');
    for (const layer of statefulLayers(this.stack)) layer.resetStates();
  }

  /** The batch size of a run: the given one, checked against stateful layers (see stateful.ts). */
  private batchSizeOf(subject: string, given: number | undefined): number {
    return modelBatchSize(subject, this.stack, this.inputShape?.[0] ?? null, given);
  }

  /** Refuses a sample count a stateful model cannot split into whole batches. */
  private checkSamples(subject: string, what: string, x: tf.Tensor, batchSize: number): void {
    checkStatefulSamples(subject, this.stack, what, x.shape[0] ?? 0, batchSize);
  }

  /** Frees every weight (and the optimizer compile created); the model is unusable after. */
  dispose(): void {
    if (this.disposed) return;
    this.releaseOptimizer();
    if (this.inner !== null) this.inner.dispose();
    else for (const layer of this.stack) if (layer.built) layer.dispose();
    this.disposed = true;
  }
}
