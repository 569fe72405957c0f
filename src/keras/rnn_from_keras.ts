/**
 * Keras's recurrent layers -> this package's: `SimpleRNN`, `LSTM`, `GRU` and `RNN` of one
 * SimpleRNNCell, LSTMCell or GRUCell to the layer of that kind; `RNN(StackedRNNCells([...]))`
 * and `RNN([cells])` of any mix to `StackedRNN`. Options that change the math and are not
 * supported (`time_major`, other cell classes) are refused with the class and key
 * named.
 */
import type * as tf from '@tensorflow/tfjs';
import { formatNames } from '../errors';
import type { CellArgs } from '../layers/rnn/cell';
import type { GRUCellArgs } from '../layers/rnn/gru';
import type { LSTMCellArgs } from '../layers/rnn/lstm';
import type { RNNArgs } from '../layers/rnn/rnn';
import {
  ConfigReader,
  type JsonValue,
  KerasJsonError,
  type KerasObject,
  isJsonArray,
  kerasObject,
} from './keras_json';
import {
  type KerasDialect,
  checkFloat32Policy,
  readActivation,
  readInitializer,
  refuseConstraints,
  refuseRegularizers,
} from './keras_values';
import {
  type KerasLayerSpec,
  type Mapped,
  SUPPORTED_HELP,
  readBase,
  readRate,
  subjectOf,
} from './layer_keys';

/** Keys of Keras's RNN base class. */
function readRnnOptions(reader: ConfigReader): RNNArgs {
  const options: RNNArgs = {
    returnSequences: reader.boolean('return_sequences', false),
    returnState: reader.boolean('return_state', false),
    goBackwards: reader.boolean('go_backwards', false),
    zeroOutputForMask: reader.boolean('zero_output_for_mask', false),
    stateful: reader.boolean('stateful', false),
  };
  reader.refuseIfSet(
    'time_major',
    'time-major [timesteps, samples, features] input is not supported',
  );
  // unroll and caching change how Keras runs the loop, not what it computes.
  reader.ignore('unroll', 'enable_caching_device');
  return options;
}

/** Keras's cell classes that map to a cell here (singleCellSpec gives each one's layer). */
const CELL_KINDS = ['SimpleRNNCell', 'LSTMCell', 'GRUCell'] as const;
type CellKind = (typeof CELL_KINDS)[number];

function isCellKind(className: string): className is CellKind {
  return CELL_KINDS.some((kind) => kind === className);
}

/** Every cell kind's options; the gated kinds' own keys are set for those kinds only. */
type CellSpecArgs = CellArgs &
  Omit<LSTMCellArgs, keyof CellArgs> &
  Omit<GRUCellArgs, keyof CellArgs>;

/** A Keras cell mapped: its kind, its options, and whether it draws dropout masks. */
interface MappedCell {
  kind: CellKind;
  args: Omit<CellSpecArgs, 'name'>;
  stochastic: boolean;
}

/** Keys of a Keras cell of `kind` (also written flat in SimpleRNN's, LSTM's and GRU's configs). */
function readCellOptions(reader: ConfigReader, dialect: KerasDialect, kind: CellKind): MappedCell {
  const args: Omit<CellSpecArgs, 'name'> = {
    units: reader.positiveInteger('units'),
    activation: readActivation(reader, 'activation', dialect, 'tanh'),
    useBias: reader.boolean('use_bias', true),
    kernelInitializer: readInitializer(reader, 'kernel_initializer', 'glorot_uniform'),
    recurrentInitializer: readInitializer(reader, 'recurrent_initializer', 'orthogonal'),
    biasInitializer: readInitializer(reader, 'bias_initializer', 'zeros'),
    dropout: readRate(reader, 'dropout', 0),
    recurrentDropout: readRate(reader, 'recurrent_dropout', 0),
  };
  if (kind !== 'SimpleRNNCell') {
    args.recurrentActivation = readActivation(reader, 'recurrent_activation', dialect, 'sigmoid');
    // Keras 2 writes its `implementation`; it orders the sums, as Keras 3 does without the key.
    reader.ignore('implementation');
  }
  if (kind === 'LSTMCell') args.unitForgetBias = reader.boolean('unit_forget_bias', true);
  if (kind === 'GRUCell') args.resetAfter = reader.boolean('reset_after', true);
  refuseRegularizers(reader, 'kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer');
  refuseConstraints(reader, 'kernel_constraint', 'recurrent_constraint', 'bias_constraint');
  reader.ignore('seed');
  return { kind, args, stochastic: (args.dropout ?? 0) > 0 || (args.recurrentDropout ?? 0) > 0 };
}

/** One cell inside Keras's RNN or StackedRNNCells, with its own name. */
function readCell(
  owner: string,
  where: string,
  value: unknown,
  dialect: KerasDialect,
  ownerTrainable: boolean,
): MappedCell & { name: string | undefined } {
  const cell = kerasObject(where, value);
  if (!isCellKind(cell.className)) {
    throw new KerasJsonError(
      `${owner}: \`cell\` of class '${cell.className}' is not supported; cells here are ${formatNames(CELL_KINDS)}. ${SUPPORTED_HELP}`,
    );
  }
  const reader = new ConfigReader(
    `${owner}: cell ${subjectOf(cell.className, cell.config)}`,
    cell.config,
  );
  const name = reader.optionalString('name');
  const trainable = reader.boolean('trainable', true);
  if (ownerTrainable && !trainable) {
    throw reader.error('trainable', 'must be true: freezing one cell of an RNN is not supported');
  }
  checkFloat32Policy(reader);
  const mapped = readCellOptions(reader, dialect, cell.className);
  reader.finish();
  return { ...mapped, name };
}

/** The layer of this package for an RNN of one cell of `kind`, with the RNN's own options. */
function singleCellSpec(
  kind: CellKind,
  args: RNNArgs & Omit<CellSpecArgs, 'name'>,
): KerasLayerSpec {
  switch (kind) {
    case 'SimpleRNNCell': {
      const { recurrentActivation: _r, unitForgetBias: _u, resetAfter: _a, ...simple } = args;
      return { className: 'SimpleRNN', args: simple };
    }
    case 'LSTMCell': {
      const { resetAfter: _a, ...lstm } = args;
      return { className: 'LSTM', args: lstm };
    }
    case 'GRUCell': {
      const { unitForgetBias: _u, ...gru } = args;
      return { className: 'GRU', args: gru };
    }
  }
}

/** Keras's `SimpleRNN`, `LSTM` or `GRU` layer: the RNN's keys and its cell's, flat. */
export function singleCellLayerSpec(
  object: KerasObject,
  dialect: KerasDialect,
  kind: CellKind,
): Mapped {
  const reader = new ConfigReader(subjectOf(object.className, object.config), object.config);
  const { declaredBatchShape, ...base } = readBase(reader);
  const rnn = readRnnOptions(reader);
  const { args, stochastic } = readCellOptions(reader, dialect, kind);
  reader.finish();
  return {
    spec: singleCellSpec(kind, { ...base, ...rnn, ...args }),
    info: { declaredBatchShape, stochastic },
  };
}

export function rnnSpec(object: KerasObject, dialect: KerasDialect): Mapped {
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
    if (isCellKind(cell.className)) {
      // RNN(LSTMCell(...)) computes exactly what LSTM(...) does, with the same weights.
      const { kind, args, stochastic } = readCell(
        subject,
        `${subject}: \`cell\``,
        cellValue,
        dialect,
        trainable,
      );
      reader.finish();
      return {
        spec: singleCellSpec(kind, { ...base, ...rnn, ...args }),
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
      args: {
        ...base,
        ...rnn,
        cells: cells.map(({ kind, args, name }) => {
          const config = name === undefined ? args : { ...args, name };
          const { args: own } = singleCellSpec(kind, config);
          return { className: kind, config: own as unknown as tf.serialization.ConfigDict };
        }),
      },
    },
    info: { declaredBatchShape, stochastic: cells.some((c) => c.stochastic) },
  };
}
