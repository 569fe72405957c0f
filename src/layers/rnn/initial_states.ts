/**
 * Initial states given to a recurrent layer (`layer.apply(x, { initialState })`): checked
 * against the cells' states before any work, and cut into each cell's, in Keras's order (an
 * LSTM's h then c; a StackedRNN's cells in order). tfjs carries them as extra inputs of the
 * layer so that they also flow through a `tf.model` graph, as tfjs's own RNN does.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatShape } from '../../errors';
import type { Kwargs } from '../layer_args';
import { callMask } from '../masks';
import type { RecurrentCell } from './cell';

/** The states of `cells` as messages name them: `h`, `c`, or `h of 'gru_cell'` in a stack. */
function stateNames(cells: readonly RecurrentCell[]): string[] {
  return cells.flatMap((cell) => {
    const names = cell.stateSizes.length === 2 ? ['h', 'c'] : ['h'];
    return cells.length === 1 ? names : names.map((n) => `${n} of '${cell.name}'`);
  });
}

/** The shape of a tensor or a symbolic tensor; undefined for anything else. */
function shapeOf(value: unknown): readonly (number | null)[] | undefined {
  if (value instanceof tf.Tensor) {
    const tensor: tf.Tensor = value as tf.Tensor;
    return tensor.shape;
  }
  if (value instanceof tf.SymbolicTensor) return value.shape;
  return undefined;
}

/** The initial states as a list, from what `initialState` holds. */
export function stateList(initialState: unknown): unknown[] {
  return Array.isArray(initialState) ? initialState : [initialState];
}

/**
 * Checks `states` against what `cells` hold for `batch` samples: their count and each one's
 * shape [batch, size]; every error names the expected ones. Concrete tensors only.
 */
export function checkInitialStates(
  subject: string,
  cells: readonly RecurrentCell[],
  batch: number | null,
  states: readonly unknown[],
): void {
  const sizes = cells.flatMap((cell) => cell.stateSizes);
  const names = stateNames(cells);
  const expected = sizes.map((size, i) => `${names[i] ?? 'h'} ${formatShape([batch, size])}`);
  const received = states.map((s) => {
    const shape = shapeOf(s);
    return shape === undefined ? typeof s : formatShape(shape);
  });
  const problem = (): ValueError =>
    new ValueError(
      `${subject}: expected ${sizes.length} initial state${sizes.length === 1 ? '' : 's'} (${expected.join(', ')}), received ${states.length}: ${received.join(', ') || 'none'}. Pass initialState: [${names.join(', ')}], each [samples, size].`,
    );
  if (states.length !== sizes.length) throw problem();
  states.forEach((state, i) => {
    const shape = shapeOf(state);
    if (shape === undefined) throw problem();
    const [rows, width] = shape;
    const rowsFit = rows === batch || rows == null || batch === null;
    if (shape.length !== 2 || width !== sizes[i] || !rowsFit) throw problem();
  });
}

/** `states` (checked) cut into each cell's, in the cells' order. */
export function statesPerCell(
  cells: readonly RecurrentCell[],
  states: readonly tf.Tensor[],
): tf.Tensor2D[][] {
  let next = 0;
  return cells.map((cell) => {
    const own = states.slice(next, next + cell.stateSizes.length) as tf.Tensor2D[];
    next += cell.stateSizes.length;
    return own;
  });
}

/** What tfjs's `Layer.apply` takes as inputs. */
type ApplyInputs = Parameters<tf.layers.Layer['apply']>[0];

/**
 * The arguments a recurrent layer (or Bidirectional) hands tfjs's `apply`: a given mask checked
 * against x, and `initialState`, checked by `check(batch, states)`, moved into the inputs after x
 * so that the states also flow through a `tf.model` graph (tfjs's executor passes them back as
 * inputs). All before tfjs builds any weight.
 */
export function statesAsInputs(
  subject: string,
  inputs: ApplyInputs,
  kwargs: Kwargs | undefined,
  check: (batch: number | null, states: readonly unknown[]) => void,
): { inputs: ApplyInputs; kwargs: Kwargs | undefined } {
  const { initialState, ...rest } = kwargs ?? {};
  const listed = Array.isArray(inputs) ? inputs : [inputs];
  const [x] = listed;
  if (kwargs !== undefined && x instanceof tf.Tensor) callMask(subject, kwargs, x);
  if (initialState === undefined || initialState === null) return { inputs, kwargs };
  if (listed.length !== 1) {
    throw new ValueError(
      `${subject}: received initial states both as extra inputs and as initialState; give them once, as initialState.`,
    );
  }
  const states = stateList(initialState);
  check(x.shape[0] ?? null, states);
  // tfjs takes either tensors or symbolic tensors; the states are of the input's kind.
  return { inputs: [x, ...states] as ApplyInputs, kwargs: rest };
}
