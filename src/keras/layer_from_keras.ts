/**
 * One Keras layer's JSON (`{"class_name": "SimpleRNN", "config": {...}}`) -> this package's
 * layer. Keras class names and snake_case config keys are mapped here; keys that do not change
 * the math are ignored, and anything that would change it and is not supported is refused with
 * the class and key named.
 *
 * | Keras                                              | here                     |
 * |----------------------------------------------------|--------------------------|
 * | `SimpleRNN`, `RNN(SimpleRNNCell)`                  | `SimpleRNN`              |
 * | `LSTM`, `RNN(LSTMCell)`                            | `LSTM`                   |
 * | `GRU`, `RNN(GRUCell)`                              | `GRU`                    |
 * | `RNN(StackedRNNCells([cells]))`, `RNN([cells])`, of any mix | `StackedRNN`    |
 * | `Dense`, `TimeDistributed(Dense)`                  | `Dense`                  |
 * | `Embedding`                                        | `Embedding`              |
 * | `Dropout`, `TimeDistributed(Dropout)`              | `Dropout`                |
 * | `Masking`                                          | `Masking`                |
 * | `Bidirectional` of any of the recurrent layers     | `Bidirectional`          |
 * | `InputLayer`                                       | the model's input        |
 */
import * as tf from '@tensorflow/tfjs';
import { Dense, type DenseArgs } from '../layers/dense';
import { Dropout, type DropoutArgs } from '../layers/dropout';
import { Embedding, type EmbeddingArgs } from '../layers/embedding';
import { Masking } from '../layers/masking';
import { Bidirectional } from '../layers/rnn/bidirectional';
import { RNN } from '../layers/rnn/rnn';
import { GRU } from '../layers/rnn/gru';
import { LSTM } from '../layers/rnn/lstm';
import { SimpleRNN } from '../layers/rnn/simple_rnn';
import { StackedRNN } from '../layers/rnn/stacked_rnn';
import {
  ConfigReader,
  KerasJsonError,
  type KerasObject,
  errorMessage,
  kerasObject,
} from './keras_json';
import {
  KERAS_3,
  type KerasDialect,
  inputDtype,
  readActivation,
  readInitializer,
  readShape,
  refuseConstraints,
  refuseRegularizers,
} from './keras_values';
import {
  type KerasInputSpec,
  type KerasLayerInfo,
  type KerasLayerSpec,
  KERAS_READ_OPTIONS,
  type KerasReadOptions,
  type Mapped,
  type BidirectionalSpecArgs,
  type RecurrentLayerSpec,
  SUPPORTED_HELP,
  type SpecOf,
  readBase,
  readDeclaredShape,
  subjectOf,
} from './layer_keys';
import { rnnSpec, singleCellLayerSpec } from './rnn_from_keras';

export { SUPPORTED_KERAS_CLASSES } from './layer_keys';
export type {
  BidirectionalSpecArgs,
  KerasInputSpec,
  KerasLayerInfo,
  KerasLayerSpec,
  KerasReadOptions,
  LayerToBuild,
  RecurrentLayerSpec,
} from './layer_keys';

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
    maskZero: reader.boolean('mask_zero', false),
  };
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
    // Keras's noise_shape holds None for "the input's size"; DropoutArgs reads null the same way.
    args.noiseShape = readShape(`${reader.subject}: \`noise_shape\``, noiseShape);
  }
  reader.ignore('seed');
  reader.finish();
  return {
    spec: { className: 'Dropout', args },
    info: { declaredBatchShape, stochastic: rate > 0 },
  };
}

function maskingSpec(object: KerasObject): Mapped<SpecOf<'Masking'>> {
  const reader = new ConfigReader(subjectOf(object.className, object.config), object.config);
  const { declaredBatchShape, ...base } = readBase(reader);
  const maskValue = reader.get('mask_value') ?? 0;
  if (typeof maskValue !== 'number') {
    throw reader.error('mask_value', 'must be a number');
  }
  reader.finish();
  return {
    spec: { className: 'Masking', args: { ...base, maskValue } },
    info: { declaredBatchShape, stochastic: false },
  };
}

/** Bidirectional(layer, backward_layer?, merge_mode), its layers mapped as recurrent specs. */
function bidirectionalSpec(object: KerasObject, dialect: KerasDialect, where: string): Mapped {
  const subject = subjectOf(object.className, object.config);
  const reader = new ConfigReader(subject, object.config);
  const { declaredBatchShape, ...base } = readBase(reader);
  const mergeMode = reader.get('merge_mode') ?? (reader.has('merge_mode') ? null : 'concat');
  if (
    mergeMode !== null &&
    (typeof mergeMode !== 'string' || !['concat', 'sum', 'mul', 'ave'].includes(mergeMode))
  ) {
    throw reader.error('merge_mode', "must be 'concat', 'sum', 'mul', 'ave' or null");
  }
  let stochastic = false;
  const inner = (key: string): RecurrentLayerSpec | undefined => {
    const value = reader.get(key);
    if (value === undefined || value === null) return undefined;
    const mapped = kerasLayerSpec(value, { dialect, where: `${where}: ${subject}: \`${key}\`` });
    const spec = mapped.spec;
    if (
      spec.className !== 'SimpleRNN' &&
      spec.className !== 'LSTM' &&
      spec.className !== 'GRU' &&
      spec.className !== 'StackedRNN'
    ) {
      throw new KerasJsonError(
        `${subject}: \`${key}\` of class '${mapped.info.kerasClassName}' is not supported; Bidirectional wraps a recurrent layer (SimpleRNN, LSTM, GRU, RNN).`,
      );
    }
    stochastic ||= mapped.info.stochastic;
    return spec;
  };
  const layer = inner('layer');
  if (layer === undefined) throw reader.error('layer', 'is required');
  const backwardLayer = inner('backward_layer');
  reader.finish();
  const args: BidirectionalSpecArgs = {
    ...base,
    layer,
    mergeMode: mergeMode as BidirectionalSpecArgs['mergeMode'],
    ...(backwardLayer === undefined ? {} : { backwardLayer }),
  };
  return { spec: { className: 'Bidirectional', args }, info: { declaredBatchShape, stochastic } };
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

/** A Keras layer as this package maps it. */
export interface MappedLayer {
  /** The class to build and its options. */
  spec: KerasLayerSpec;
  /** What else the mapping knows about the layer. */
  info: KerasLayerInfo;
}

/**
 * Maps one Keras layer object to this package's class and camelCase options, without building
 * it. Throws a KerasJsonError naming the class and key for what cannot be mapped.
 */
export function kerasLayerSpec(json: unknown, options: KerasReadOptions = {}): MappedLayer {
  KERAS_READ_OPTIONS.check('kerasLayerSpec', options);
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
      mapped = singleCellLayerSpec(object, dialect, 'SimpleRNNCell');
      break;
    case 'LSTM':
      mapped = singleCellLayerSpec(object, dialect, 'LSTMCell');
      break;
    case 'GRU':
      mapped = singleCellLayerSpec(object, dialect, 'GRUCell');
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
    case 'Masking':
      mapped = maskingSpec(object);
      break;
    case 'Bidirectional':
      mapped = bidirectionalSpec(object, dialect, where);
      break;
    case 'TimeDistributed':
      mapped = timeDistributedSpec(object, dialect, where);
      break;
    case 'InputLayer':
      throw new KerasJsonError(
        `${subject}: an InputLayer is a model input, not a layer; read it with inputFromKeras().`,
      );
    case 'SimpleRNNCell':
    case 'LSTMCell':
    case 'GRUCell':
    case 'StackedRNNCells':
      throw new KerasJsonError(
        `${subject}: a cell runs inside a recurrent layer; RNN(cell), SimpleRNN, LSTM and GRU are the layers.`,
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
      case 'LSTM':
        return new LSTM(spec.args);
      case 'GRU':
        return new GRU(spec.args);
      case 'StackedRNN':
        return new StackedRNN(spec.args);
      case 'Dense':
        return new Dense(spec.args);
      case 'Embedding':
        return new Embedding(spec.args);
      case 'Dropout':
        return new Dropout(spec.args);
      case 'Masking':
        return new Masking(spec.args);
      case 'Bidirectional': {
        const { layer, backwardLayer, ...rest } = spec.args;
        return new Bidirectional({
          ...rest,
          layer: buildRecurrent(layer),
          ...(backwardLayer === undefined ? {} : { backwardLayer: buildRecurrent(backwardLayer) }),
        });
      }
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

/** Builds a recurrent layer's spec (Bidirectional's layers). */
function buildRecurrent(spec: RecurrentLayerSpec): RNN {
  const layer = buildLayer(spec);
  if (!(layer instanceof RNN)) throw new Error(`${spec.className} built as a non-recurrent layer.`);
  return layer;
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
  KERAS_READ_OPTIONS.check('inputFromKeras', options);
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
