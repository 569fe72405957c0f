/**
 * One Keras layer's JSON (`{"class_name": "SimpleRNN", "config": {...}}`) -> this package's
 * layer. Keras class names and snake_case config keys are mapped here; keys that do not change
 * the math are ignored, and anything that would change it and is not supported is refused with
 * the class and key named.
 *
 * | Keras                                              | here                     |
 * |----------------------------------------------------|--------------------------|
 * | `SimpleRNN`, `RNN(SimpleRNNCell)`                  | `SimpleRNN`              |
 * | `RNN(StackedRNNCells([SimpleRNNCell, ...]))`, `RNN([cells])` | `StackedRNN`   |
 * | `Dense`, `TimeDistributed(Dense)`                  | `Dense`                  |
 * | `Embedding`                                        | `Embedding`              |
 * | `Dropout`, `TimeDistributed(Dropout)`              | `Dropout`                |
 * | `InputLayer`                                       | the model's input        |
 */
import * as tf from '@tensorflow/tfjs';
import { Dense, type DenseArgs } from '../layers/dense';
import { Dropout, type DropoutArgs } from '../layers/dropout';
import { Embedding, type EmbeddingArgs } from '../layers/embedding';
import type { BaseLayerArgs } from '../layers/layer_args';
import type { RNNArgs } from '../layers/rnn/rnn';
import { SimpleRNN, type SimpleRNNArgs, type SimpleRNNCellArgs } from '../layers/rnn/simple_rnn';
import { StackedRNN, type StackedRNNArgs } from '../layers/rnn/stacked_rnn';
import {
  ConfigReader,
  type JsonValue,
  KerasJsonError,
  type KerasObject,
  errorMessage,
  isJsonArray,
  kerasObject,
} from './keras_json';
import {
  KERAS_3,
  type KerasDialect,
  checkFloat32Policy,
  inputDtype,
  readActivation,
  readInitializer,
  readShape,
  refuseConstraints,
  refuseRegularizers,
} from './keras_values';

/** The Keras classes that map to a layer here (InputLayer maps to a model input). */
export const SUPPORTED_KERAS_CLASSES: readonly string[] = [
  'InputLayer',
  'SimpleRNN',
  'RNN',
  'SimpleRNNCell',
  'StackedRNNCells',
  'Dense',
  'Embedding',
  'Dropout',
  'TimeDistributed',
];

const SUPPORTED_HELP =
  'Supported classes: InputLayer, SimpleRNN, RNN (of a SimpleRNNCell, a StackedRNNCells or a list of SimpleRNNCells), Dense, Embedding, Dropout, TimeDistributed (of Dense or Dropout).';

/** A Keras layer mapped to this package: which class to build and its camelCase options. */
export type KerasLayerSpec =
  | { className: 'SimpleRNN'; args: SimpleRNNArgs }
  | { className: 'StackedRNN'; args: StackedRNNArgs }
  | { className: 'Dense'; args: DenseArgs }
  | { className: 'Embedding'; args: EmbeddingArgs }
  | { className: 'Dropout'; args: DropoutArgs };

/** What the mapping knows about one Keras layer besides its options. */
export interface KerasLayerInfo {
  /** The Keras class name as written (`RNN`, `SimpleRNN`, `TimeDistributed`, ...). */
  kerasClassName: string;
  /** The layer's Keras name. */
  name: string;
  /** The batch input shape the layer declares (Keras 2 `batch_input_shape`), if any. */
  declaredBatchShape: (number | null)[] | undefined;
  /** Whether the layer draws random numbers while training (dropout). */
  stochastic: boolean;
}

/** A Keras `InputLayer`: a model input. */
export interface KerasInputSpec {
  name: string;
  /** With the batch axis: `[null, 4, 3]`. */
  batchShape: (number | null)[];
  dtype: 'float32' | 'int32';
}

/** Options of the readers. */
export interface KerasReadOptions {
  /** Keras 3 (default) or Keras 2 / tfjs-layers JSON. */
  dialect?: KerasDialect;
  /** Where the object sits in the document, for messages: `layers[2]`. Default: 'Keras JSON'. */
  where?: string;
}

function subjectOf(className: string, config: { readonly name?: JsonValue }): string {
  return typeof config.name === 'string'
    ? `Keras ${className} '${config.name}'`
    : `Keras ${className}`;
}

/** A mapped layer before its name is known: the spec and what else the mapping learned. */
interface Mapped<S extends KerasLayerSpec = KerasLayerSpec> {
  spec: S;
  info: Omit<KerasLayerInfo, 'kerasClassName' | 'name'>;
}

type SpecOf<C extends KerasLayerSpec['className']> = Extract<KerasLayerSpec, { className: C }>;

/** A dropout rate in [0, 1). */
function readRate(reader: ConfigReader, key: string, fallback: number): number {
  const value = reader.number(key, fallback);
  if (value < 0 || value >= 1) throw reader.error(key, 'must be a number in [0, 1)');
  return value;
}

/** The declared batch shape: `batch_input_shape` (Keras 2), `batch_shape`, or `input_shape`. */
function readDeclaredShape(reader: ConfigReader): (number | null)[] | undefined {
  const batchInput = reader.get('batch_input_shape');
  const batch = reader.get('batch_shape');
  const input = reader.get('input_shape');
  const batchSize = reader.get('batch_size');
  if (batchInput !== undefined && batchInput !== null) {
    return readShape(`${reader.subject}: \`batch_input_shape\``, batchInput);
  }
  if (batch !== undefined && batch !== null) {
    return readShape(`${reader.subject}: \`batch_shape\``, batch);
  }
  if (input !== undefined && input !== null) {
    const shape = readShape(`${reader.subject}: \`input_shape\``, input);
    if (batchSize !== undefined && batchSize !== null && typeof batchSize !== 'number') {
      throw reader.error('batch_size', 'must be an integer or null');
    }
    return [typeof batchSize === 'number' ? batchSize : null, ...shape];
  }
  return undefined;
}

/** Keys every Keras layer has: name, trainable, dtype, activity_regularizer, input shapes. */
function readBase(
  reader: ConfigReader,
): BaseLayerArgs & { declaredBatchShape: (number | null)[] | undefined } {
  const name = reader.optionalString('name');
  const trainable = reader.boolean('trainable', true);
  checkFloat32Policy(reader);
  refuseRegularizers(reader, 'activity_regularizer');
  const declaredBatchShape = readDeclaredShape(reader);
  reader.ignore('autocast');
  const base: BaseLayerArgs & { declaredBatchShape: (number | null)[] | undefined } = {
    declaredBatchShape,
  };
  if (name !== undefined) base.name = name;
  if (!trainable) base.trainable = false;
  if (declaredBatchShape !== undefined) base.batchInputShape = declaredBatchShape;
  return base;
}

/** Keys of Keras's RNN base class. */
function readRnnOptions(reader: ConfigReader): RNNArgs {
  const options: RNNArgs = {
    returnSequences: reader.boolean('return_sequences', false),
    returnState: reader.boolean('return_state', false),
    goBackwards: reader.boolean('go_backwards', false),
  };
  reader.refuseIfSet(
    'stateful',
    'a stateful RNN carries its states from one batch to the next; not supported',
  );
  reader.refuseIfSet(
    'time_major',
    'time-major [timesteps, samples, features] input is not supported',
  );
  // unroll and caching change how Keras runs the loop, not what it computes; zero_output_for_mask
  // only acts on masked steps, and nothing here produces masks (mask_zero is refused).
  reader.ignore('unroll', 'zero_output_for_mask', 'enable_caching_device');
  return options;
}

/** Keys of Keras's SimpleRNNCell (also written flat in SimpleRNN's config). */
function readCellOptions(
  reader: ConfigReader,
  dialect: KerasDialect,
): Omit<SimpleRNNCellArgs, 'name'> & { stochastic: boolean } {
  const options = {
    units: reader.positiveInteger('units'),
    activation: readActivation(reader, 'activation', dialect, 'tanh'),
    useBias: reader.boolean('use_bias', true),
    kernelInitializer: readInitializer(reader, 'kernel_initializer', 'glorot_uniform'),
    recurrentInitializer: readInitializer(reader, 'recurrent_initializer', 'orthogonal'),
    biasInitializer: readInitializer(reader, 'bias_initializer', 'zeros'),
    dropout: readRate(reader, 'dropout', 0),
    recurrentDropout: readRate(reader, 'recurrent_dropout', 0),
  };
  refuseRegularizers(reader, 'kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer');
  refuseConstraints(reader, 'kernel_constraint', 'recurrent_constraint', 'bias_constraint');
  reader.ignore('seed');
  return { ...options, stochastic: options.dropout > 0 || options.recurrentDropout > 0 };
}

/** One cell inside Keras's RNN or StackedRNNCells: a SimpleRNNCell, with its own name. */
function readCell(
  owner: string,
  where: string,
  value: unknown,
  dialect: KerasDialect,
  ownerTrainable: boolean,
): SimpleRNNCellArgs & { stochastic: boolean } {
  const cell = kerasObject(where, value);
  if (cell.className !== 'SimpleRNNCell') {
    throw new KerasJsonError(
      `${owner}: \`cell\` of class '${cell.className}' is not supported; cells here are SimpleRNNCell (an RNN of ${cell.className} would need its own layer). ${SUPPORTED_HELP}`,
    );
  }
  const reader = new ConfigReader(
    `${owner}: cell ${subjectOf('SimpleRNNCell', cell.config)}`,
    cell.config,
  );
  const name = reader.optionalString('name');
  const trainable = reader.boolean('trainable', true);
  if (ownerTrainable && !trainable) {
    throw reader.error('trainable', 'must be true: freezing one cell of an RNN is not supported');
  }
  checkFloat32Policy(reader);
  const options = readCellOptions(reader, dialect);
  reader.finish();
  return name === undefined ? options : { ...options, name };
}

function simpleRnnSpec(object: KerasObject, dialect: KerasDialect): Mapped {
  const reader = new ConfigReader(subjectOf(object.className, object.config), object.config);
  const { declaredBatchShape, ...base } = readBase(reader);
  const rnn = readRnnOptions(reader);
  const { stochastic, ...cell } = readCellOptions(reader, dialect);
  reader.finish();
  return {
    spec: { className: 'SimpleRNN', args: { ...base, ...rnn, ...cell } },
    info: { declaredBatchShape, stochastic },
  };
}

function rnnSpec(object: KerasObject, dialect: KerasDialect): Mapped {
  const subject = subjectOf(object.className, object.config);
  const reader = new ConfigReader(subject, object.config);
  const { declaredBatchShape, ...base } = readBase(reader);
  const rnn = readRnnOptions(reader);
  const trainable = base.trainable ?? true;
  const cellValue = reader.get('cell');
  let cellValues: readonly JsonValue[];
  if (isJsonArray(cellValue)) {
    cellValues = cellValue;
  } else {
    const cell = kerasObject(`${subject}: \`cell\``, cellValue);
    if (cell.className === 'SimpleRNNCell') {
      // RNN(SimpleRNNCell(...)) computes exactly what SimpleRNN(...) does, with the same weights.
      const {
        stochastic,
        name: _cellName,
        ...options
      } = readCell(subject, `${subject}: \`cell\``, cellValue, dialect, trainable);
      reader.finish();
      return {
        spec: { className: 'SimpleRNN', args: { ...base, ...rnn, ...options } },
        info: { declaredBatchShape, stochastic },
      };
    }
    if (cell.className !== 'StackedRNNCells') {
      throw new KerasJsonError(
        `${subject}: \`cell\` of class '${cell.className}' is not supported. ${SUPPORTED_HELP}`,
      );
    }
    const stacked = new ConfigReader(`${subject}: cell StackedRNNCells`, cell.config);
    stacked.ignore('name');
    if (!stacked.boolean('trainable', true) && trainable) {
      throw stacked.error(
        'trainable',
        'must be true: freezing the cells of a trainable RNN is not supported',
      );
    }
    checkFloat32Policy(stacked);
    const cells = stacked.get('cells');
    if (!isJsonArray(cells)) throw stacked.error('cells', 'must be a list of cells');
    stacked.finish();
    cellValues = cells;
  }
  if (cellValues.length === 0) throw reader.error('cell', 'must hold at least one cell');
  const cells = cellValues.map((value, i) =>
    readCell(subject, `${subject}: cells[${i}]`, value, dialect, trainable),
  );
  reader.finish();
  return {
    spec: {
      className: 'StackedRNN',
      args: { ...base, ...rnn, cells: cells.map(({ stochastic: _s, ...args }) => args) },
    },
    info: { declaredBatchShape, stochastic: cells.some((c) => c.stochastic) },
  };
}

function denseSpec(object: KerasObject, dialect: KerasDialect): Mapped<SpecOf<'Dense'>> {
  const reader = new ConfigReader(subjectOf(object.className, object.config), object.config);
  const { declaredBatchShape, ...base } = readBase(reader);
  const args: DenseArgs = {
    ...base,
    units: reader.positiveInteger('units'),
    activation: readActivation(reader, 'activation', dialect, 'linear'),
    useBias: reader.boolean('use_bias', true),
    kernelInitializer: readInitializer(reader, 'kernel_initializer', 'glorot_uniform'),
    biasInitializer: readInitializer(reader, 'bias_initializer', 'zeros'),
  };
  refuseRegularizers(reader, 'kernel_regularizer', 'bias_regularizer');
  refuseConstraints(reader, 'kernel_constraint', 'bias_constraint');
  refuseQuantizationAndLora(reader);
  reader.finish();
  return { spec: { className: 'Dense', args }, info: { declaredBatchShape, stochastic: false } };
}

function refuseQuantizationAndLora(reader: ConfigReader): void {
  reader.refuseIfSet('quantization_config', 'quantized weights are not supported');
  reader.refuseIfSet('lora_rank', 'LoRA adds low-rank weights; not supported');
  reader.refuseIfSet('lora_alpha', 'LoRA adds low-rank weights; not supported');
}

function embeddingSpec(object: KerasObject): Mapped {
  const reader = new ConfigReader(subjectOf(object.className, object.config), object.config);
  const { declaredBatchShape, ...base } = readBase(reader);
  const args: EmbeddingArgs = {
    ...base,
    inputDim: reader.positiveInteger('input_dim'),
    outputDim: reader.positiveInteger('output_dim'),
    embeddingsInitializer: readInitializer(reader, 'embeddings_initializer', 'random_uniform'),
  };
  reader.refuseIfSet(
    'mask_zero',
    'index 0 as padding makes Keras skip those steps in the RNN; masks are not supported yet',
  );
  reader.refuseIfSet('sparse', 'sparse embedding outputs are not supported');
  refuseRegularizers(reader, 'embeddings_regularizer');
  refuseConstraints(reader, 'embeddings_constraint');
  refuseQuantizationAndLora(reader);
  const inputLength = reader.get('input_length');
  if (inputLength !== undefined && inputLength !== null) {
    if (typeof inputLength !== 'number' || !Number.isInteger(inputLength) || inputLength <= 0) {
      throw reader.error('input_length', 'must be a positive integer or null');
    }
    args.inputLength = inputLength;
  }
  reader.finish();
  return {
    spec: { className: 'Embedding', args },
    info: { declaredBatchShape, stochastic: false },
  };
}

function dropoutSpec(object: KerasObject): Mapped<SpecOf<'Dropout'>> {
  const reader = new ConfigReader(subjectOf(object.className, object.config), object.config);
  const { declaredBatchShape, ...base } = readBase(reader);
  const rate = reader.get('rate');
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
    throw reader.error('rate', 'must be a number in [0, 1)');
  }
  const args: DropoutArgs = { ...base, rate };
  const noiseShape = reader.get('noise_shape');
  if (noiseShape !== undefined && noiseShape !== null) {
    // Porting note: Keras's noise_shape holds None for "the input's size"; tf.dropout reads null
    // entries the same way, though DropoutArgs types the field number[].
    args.noiseShape = readShape(`${reader.subject}: \`noise_shape\``, noiseShape) as number[];
  }
  reader.ignore('seed');
  reader.finish();
  return {
    spec: { className: 'Dropout', args },
    info: { declaredBatchShape, stochastic: rate > 0 },
  };
}

/** TimeDistributed(Dense) is Dense on the last axis, and TimeDistributed(Dropout) Dropout. */
function timeDistributedSpec(object: KerasObject, dialect: KerasDialect, where: string): Mapped {
  const subject = subjectOf(object.className, object.config);
  const reader = new ConfigReader(subject, object.config);
  const { declaredBatchShape, ...base } = readBase(reader);
  const inner = kerasObject(`${where}: ${subject}: \`layer\``, reader.get('layer'));
  reader.finish();
  if (inner.className !== 'Dense' && inner.className !== 'Dropout') {
    throw new KerasJsonError(
      `${subject}: \`layer\` of class '${inner.className}' is not supported; TimeDistributed is supported around Dense and Dropout.`,
    );
  }
  // The wrapper owns the name; the wrapped layer's weights become this layer's, in order.
  if (inner.className === 'Dense') {
    const mapped = denseSpec(inner, dialect);
    return {
      spec: { className: 'Dense', args: { ...mapped.spec.args, ...base } },
      info: { declaredBatchShape, stochastic: false },
    };
  }
  const mapped = dropoutSpec(inner);
  return {
    spec: { className: 'Dropout', args: { ...mapped.spec.args, ...base } },
    info: { declaredBatchShape, stochastic: mapped.info.stochastic },
  };
}

/**
 * Maps one Keras layer object to this package's class and camelCase options, without building
 * it. Throws a KerasJsonError naming the class and key for what cannot be mapped.
 */
export function kerasLayerSpec(
  json: unknown,
  options: KerasReadOptions = {},
): { spec: KerasLayerSpec; info: KerasLayerInfo } {
  const dialect = options.dialect ?? KERAS_3;
  const where = options.where ?? 'Keras JSON';
  const object = kerasObject(where, json);
  const name =
    typeof object.config.name === 'string'
      ? object.config.name
      : typeof object.raw.name === 'string'
        ? object.raw.name
        : undefined;
  const subject = `Keras ${object.className}${name === undefined ? '' : ` '${name}'`}`;
  let mapped: Mapped;
  switch (object.className) {
    case 'SimpleRNN':
      mapped = simpleRnnSpec(object, dialect);
      break;
    case 'RNN':
      mapped = rnnSpec(object, dialect);
      break;
    case 'Dense':
      mapped = denseSpec(object, dialect);
      break;
    case 'Embedding':
      mapped = embeddingSpec(object);
      break;
    case 'Dropout':
      mapped = dropoutSpec(object);
      break;
    case 'TimeDistributed':
      mapped = timeDistributedSpec(object, dialect, where);
      break;
    case 'InputLayer':
      throw new KerasJsonError(
        `${subject}: an InputLayer is a model input, not a layer; read it with inputFromKeras().`,
      );
    case 'SimpleRNNCell':
    case 'StackedRNNCells':
      throw new KerasJsonError(
        `${subject}: a cell runs inside a recurrent layer; only RNN(cell) and SimpleRNN are supported as layers.`,
      );
    case 'Sequential':
    case 'Functional':
    case 'Model':
      throw new KerasJsonError(
        `${subject}: a model nested inside another model is not supported; flatten its layers into the outer model.`,
      );
    default:
      throw new KerasJsonError(
        `${where}: Keras class '${object.className}'${name === undefined ? '' : ` (layer '${name}')`} is not supported. ${SUPPORTED_HELP}`,
      );
  }
  return {
    spec: mapped.spec,
    info: { ...mapped.info, kerasClassName: object.className, name: name ?? object.className },
  };
}

/** Builds the layer a spec describes. Its own checks name the Keras class in their errors. */
export function buildLayer(spec: KerasLayerSpec, info?: KerasLayerInfo): tf.layers.Layer {
  try {
    switch (spec.className) {
      case 'SimpleRNN':
        return new SimpleRNN(spec.args);
      case 'StackedRNN':
        return new StackedRNN(spec.args);
      case 'Dense':
        return new Dense(spec.args);
      case 'Embedding':
        return new Embedding(spec.args);
      case 'Dropout':
        return new Dropout(spec.args);
    }
  } catch (err) {
    const message = errorMessage(err);
    const subject =
      info === undefined
        ? `Keras ${spec.className}`
        : `Keras ${info.kerasClassName} '${info.name}'`;
    throw new KerasJsonError(`${subject}: ${message}`);
  }
}

/** Maps and builds one Keras layer object (not an InputLayer). */
export function layerFromKeras(json: unknown, options: KerasReadOptions = {}): tf.layers.Layer {
  const { spec, info } = kerasLayerSpec(json, options);
  return buildLayer(spec, info);
}

/**
 * Reads a Keras `InputLayer`: `batch_shape` (Keras 3), `batch_input_shape` (Keras 2), or `shape`
 * with `batch_size`; and its dtype (integers -> int32, floats -> float32).
 */
export function inputFromKeras(json: unknown, options: KerasReadOptions = {}): KerasInputSpec {
  const where = options.where ?? 'Keras JSON';
  const object = kerasObject(where, json);
  if (object.className !== 'InputLayer') {
    throw new KerasJsonError(
      `${where}: expected an InputLayer, received class '${object.className}'.`,
    );
  }
  const reader = new ConfigReader(subjectOf('InputLayer', object.config), object.config);
  const name =
    reader.optionalString('name') ??
    (typeof object.raw.name === 'string' ? object.raw.name : 'input');
  const dtype = inputDtype(reader);
  let batchShape = readDeclaredShape(reader);
  const shape = reader.get('shape');
  if (batchShape === undefined && shape !== undefined && shape !== null) {
    const batchSize = reader.get('batch_size');
    batchShape = [
      typeof batchSize === 'number' ? batchSize : null,
      ...readShape(`${reader.subject}: \`shape\``, shape),
    ];
  }
  if (batchShape === undefined) {
    throw new KerasJsonError(
      `${reader.subject}: expected \`batch_shape\` (Keras 3) or \`batch_input_shape\` (Keras 2), found neither.`,
    );
  }
  reader.refuseIfSet('sparse', 'sparse inputs are not supported');
  reader.refuseIfSet('ragged', 'ragged inputs are not supported');
  reader.refuseIfSet('input_tensor', 'an existing input tensor cannot be rebuilt from JSON');
  // `optional` only allows a None input; `trainable` means nothing for an input.
  reader.ignore('optional', 'trainable');
  reader.finish();
  return { name, batchShape, dtype };
}
