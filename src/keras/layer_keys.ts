/**
 * What mapping a Keras layer produces (`KerasLayerSpec`, `KerasLayerInfo`), and the config keys
 * every Keras layer shares: name, trainable, dtype policy, activity regularizer, declared input
 * shapes. Used by the per-class mappings in layer_from_keras.ts and rnn_from_keras.ts.
 */
import type { DenseArgs } from '../layers/dense';
import type { DropoutArgs } from '../layers/dropout';
import type { EmbeddingArgs } from '../layers/embedding';
import type { BaseLayerArgs } from '../layers/layer_args';
import type { MaskingArgs } from '../layers/masking';
import type { BidirectionalArgs } from '../layers/rnn/bidirectional';
import type { GRUArgs } from '../layers/rnn/gru';
import type { LSTMArgs } from '../layers/rnn/lstm';
import type { SimpleRNNArgs } from '../layers/rnn/simple_rnn';
import type { StackedRNNArgs } from '../layers/rnn/stacked_rnn';
import { optionKeys } from '../option_keys';
import type { ConfigReader, JsonValue } from './keras_json';
import type { KerasDialect } from './keras_values';
import { checkFloat32Policy, readShape, refuseRegularizers } from './keras_values';

/** The Keras classes that map to a layer here (InputLayer maps to a model input). */
export const SUPPORTED_KERAS_CLASSES: readonly string[] = [
  'InputLayer',
  'SimpleRNN',
  'RNN',
  'SimpleRNNCell',
  'LSTM',
  'LSTMCell',
  'GRU',
  'GRUCell',
  'StackedRNNCells',
  'Dense',
  'Embedding',
  'Dropout',
  'Masking',
  'TimeDistributed',
  'Bidirectional',
];

export const SUPPORTED_HELP =
  'Supported classes: InputLayer, SimpleRNN, LSTM, GRU, RNN (of a SimpleRNNCell, an LSTMCell, a GRUCell, or a StackedRNNCells or list of them), Dense, Embedding, Dropout, Masking, TimeDistributed (of Dense or Dropout), Bidirectional (of a recurrent layer).';

/** One class of layer to build and its options. */
export interface LayerToBuild<C extends string, A> {
  /** The class of this package to build. */
  className: C;
  /** Its options, camelCase. */
  args: A;
}

/** A Keras layer mapped to this package: which class to build and its camelCase options. */
export type KerasLayerSpec =
  | LayerToBuild<'SimpleRNN', SimpleRNNArgs>
  | LayerToBuild<'LSTM', LSTMArgs>
  | LayerToBuild<'GRU', GRUArgs>
  | LayerToBuild<'StackedRNN', StackedRNNArgs>
  | LayerToBuild<'Dense', DenseArgs>
  | LayerToBuild<'Embedding', EmbeddingArgs>
  | LayerToBuild<'Dropout', DropoutArgs>
  | LayerToBuild<'Masking', MaskingArgs>
  | LayerToBuild<'Bidirectional', BidirectionalSpecArgs>;

/** The recurrent layers Bidirectional wraps, as mapped specs. */
export type RecurrentLayerSpec =
  | LayerToBuild<'SimpleRNN', SimpleRNNArgs>
  | LayerToBuild<'LSTM', LSTMArgs>
  | LayerToBuild<'GRU', GRUArgs>
  | LayerToBuild<'StackedRNN', StackedRNNArgs>;

/** Bidirectional's options with its layers as specs, built with it. */
export interface BidirectionalSpecArgs extends Omit<BidirectionalArgs, 'layer' | 'backwardLayer'> {
  /** The forward layer's spec (Keras's `layer`). */
  layer: RecurrentLayerSpec;
  /** The backward layer's spec (Keras's `backward_layer`), when Keras wrote one. */
  backwardLayer?: RecurrentLayerSpec;
}

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
  /** The input's name. */
  name: string;
  /** With the batch axis: `[null, 4, 3]`. */
  batchShape: (number | null)[];
  /** The input's dtype. */
  dtype: 'float32' | 'int32';
}

/** Options of the readers. */
export interface KerasReadOptions {
  /** Keras 3 (default) or Keras 2 / tfjs-layers JSON. */
  dialect?: KerasDialect;
  /** Where the object sits in the document, for messages: `layers[2]`. Default: 'Keras JSON'. */
  where?: string;
}

/** The keys of KerasReadOptions. */
export const KERAS_READ_OPTIONS = optionKeys<KerasReadOptions>({ dialect: true, where: true });

export function subjectOf(className: string, config: { readonly name?: JsonValue }): string {
  return typeof config.name === 'string'
    ? `Keras ${className} '${config.name}'`
    : `Keras ${className}`;
}

/** A mapped layer before its name is known: the spec and what else the mapping learned. */
export interface Mapped<S extends KerasLayerSpec = KerasLayerSpec> {
  spec: S;
  info: Omit<KerasLayerInfo, 'kerasClassName' | 'name'>;
}

export type SpecOf<C extends KerasLayerSpec['className']> = Extract<
  KerasLayerSpec,
  { className: C }
>;

/** A dropout rate in [0, 1). */
export function readRate(reader: ConfigReader, key: string, fallback: number): number {
  const value = reader.number(key, fallback);
  if (value < 0 || value >= 1) throw reader.error(key, 'must be a number in [0, 1)');
  return value;
}

/** The declared batch shape: `batch_input_shape` (Keras 2), `batch_shape`, or `input_shape`. */
export function readDeclaredShape(reader: ConfigReader): (number | null)[] | undefined {
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
export function readBase(
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
