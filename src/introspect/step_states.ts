/**
 * `stepStates`: what each h_t holds. Every recurrent layer's states at every step, from one
 * call, as Keras users get them by building a second model with `return_sequences=True` (and,
 * for c_t, by unrolling the cell by hand).
 */
import * as tf from '@tensorflow/tfjs';
import { stepMaskOf } from '../layers/masks';
import { Bidirectional } from '../layers/rnn/bidirectional';
import type { RNN } from '../layers/rnn/rnn';
import { type DataInput, checkFinite, toTensor } from '../models/data';
import { type LayerFlow, applyLayer } from '../models/forward';
import type { Sequential } from '../models/sequential';
import { type RecurrentEntry, checkModel, recurrentEntries } from './recurrent_entries';
import type { LayerStepStates, StepStates } from './types';

/**
 * The states of each cell of `owner` over every step of its input `x` [samples, timesteps,
 * features] with Keras's `mask` of it, from zeros: per cell, per state (LSTM: h, c), a
 * [samples, timesteps, size] tensor in input order. The cells run one step at a time from the
 * states of the step before, each reading the output of the one before it, a masked step
 * carrying every cell's states: as the layer runs them, with goBackwards from the last step.
 */
function ownerStates(owner: RNN, x: tf.Tensor3D, mask: tf.Tensor | null): tf.Tensor3D[][] {
  return tf.tidy(() => {
    const [samples, steps] = x.shape;
    const stepMask = mask === null ? undefined : stepMaskOf(mask);
    const cells = owner.cells;
    // After each input step t: per cell, its states.
    const after: (readonly tf.Tensor2D[])[][] = [];
    let states: (readonly tf.Tensor2D[] | undefined)[] = cells.map(() => undefined);
    for (let s = 0; s < steps; s++) {
      const t = owner.goBackwards ? steps - 1 - s : s;
      let input: tf.Tensor3D = tf.slice(x, [0, t, 0], [samples, 1, -1]);
      states = cells.map((cell, i) => {
        const result = cell.runSequence(input, {
          goBackwards: false,
          returnSequences: false,
          training: false,
          returnState: true,
          stepMask: stepMask === undefined ? undefined : tf.slice(stepMask, [0, t], [samples, 1]),
          initialStates: states[i],
        });
        input = tf.expandDims(result.output, 1);
        return result.states;
      });
      after[t] = states.map((cellStates) => cellStates ?? []);
    }
    return cells.map((cell, i) =>
      cell.stateSizes.map(
        (_, k) =>
          tf.stack(
            after.map((byCell) => byCell[i][k]),
            1,
          ) as tf.Tensor3D,
      ),
    );
  });
}

/** The recurrent layers that a model layer holds: itself, or a Bidirectional's two. */
function ownersOf(layer: tf.layers.Layer, entries: readonly RecurrentEntry[]): RNN[] {
  const inner: tf.layers.Layer[] =
    layer instanceof Bidirectional ? [layer.forwardLayer, layer.backwardLayer] : [layer];
  return entries
    .map((e) => e.owner)
    .filter((owner, i, all) => inner.includes(owner) && all.indexOf(owner) === i);
}

/**
 * Every recurrent layer's h_t (and an LSTM's c_t) at every step of `x`, as tensors
 * [samples, timesteps, units], in inference mode: one entry per recurrent layer (per cell of a
 * StackedRNN, per direction of a Bidirectional), in model order, steps in input order (with
 * `goBackwards` too). At a masked step a state carries the one before (zeros before the first
 * data step), as Keras's layers carry it. The model does not change. The caller owns the
 * tensors: `dispose()` frees them all. Stateful layers are refused.
 *
 * @example
 * const states = stepStates(model, x);
 * states.layers[0].h; // [samples, timesteps, units]: h_1 ... h_T
 * states.dispose();
 */
export function stepStates(model: Sequential, x: DataInput): StepStates {
  const subject = 'stepStates';
  checkModel(subject, model);
  const xs = toTensor(subject, 'x', x);
  try {
    model.dataModel().prepareX(subject, xs.tensor);
    checkFinite(subject, 'x', xs.tensor);
    const entries = recurrentEntries(subject, model.layers);
    // Each entry's states in `entries` order: h, then an LSTM's c.
    const tensors = tf.tidy(() => {
      const states = new Map<RecurrentEntry, tf.Tensor3D[]>();
      let flow: LayerFlow = { output: xs.tensor, mask: null, maskSource: undefined };
      for (const layer of model.layers) {
        for (const owner of ownersOf(layer, entries)) {
          const perCell = ownerStates(owner, flow.output as tf.Tensor3D, flow.mask);
          for (const entry of entries.filter((e) => e.owner === owner)) {
            states.set(entry, perCell[entry.cell] ?? []);
          }
        }
        flow = applyLayer(layer, flow, false);
      }
      return entries.flatMap((entry) => states.get(entry) ?? []);
    });
    let at = 0;
    const layers = entries.map((entry): LayerStepStates => {
      const h = tensors[at++];
      const c = entry.hasCellState ? tensors[at++] : undefined;
      if (entry.hasCellState && c === undefined) {
        throw new Error(`${subject}: '${entry.name}' has no states.`);
      }
      return { layer: entry.name, h, ...(c === undefined ? {} : { c }) };
    });
    return {
      layers,
      dispose: () => {
        for (const { h, c } of layers) tf.dispose(c === undefined ? [h] : [h, c]);
      },
    };
  } finally {
    if (xs.owned) xs.tensor.dispose();
  }
}
