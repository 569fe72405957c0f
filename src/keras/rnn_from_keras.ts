/**
 * Keras's recurrent layers -> this package's: `SimpleRNN` and `RNN(SimpleRNNCell)` to
 * `SimpleRNN`; `RNN(StackedRNNCells([...]))` and `RNN([cells])` to `StackedRNN`. Options that
 * change the math and are not supported (`stateful`, `time_major`, other cell classes) are
 * refused with the class and key named.
 */
import type { RNNArgs } from '../layers/rnn/rnn';
import type { SimpleRNNCellArgs } from '../layers/rnn/simple_rnn';
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
import { type Mapped, SUPPORTED_HELP, readBase, readRate, subjectOf } from './layer_keys';

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

export function simpleRnnSpec(object: KerasObject, dialect: KerasDialect): Mapped {
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
