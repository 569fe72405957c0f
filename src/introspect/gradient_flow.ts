/**
 * `gradientFlow`: how the gradient of the loss flows back through time, step by step and layer
 * by layer: the course's vanishing and exploding gradients, measured. The numbers come from the
 * back-propagation through time that the WebAssembly kernels run for a training step (see
 * kernels/state_taps.ts): no second one is built.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors';
import { isFusedActivation } from '../kernels/fused_steps';
import { kernelInfo } from '../kernels/kernel_choice';
import { type StateTap, recordingStateGradients } from '../kernels/state_taps';
import type { RNN } from '../layers/rnn/rnn';
import type { DataInput } from '../models/data';
import { prepareData } from '../models/fit_setup';
import { registeredVariable, runLayers } from '../models/forward';
import { outputLoss } from '../models/masked_reduction';
import type { Sequential } from '../models/sequential';
import { type RecurrentEntry, checkModel, recurrentEntries } from './recurrent_entries';
import type { GradientFlow, LayerGradientFlow } from './types';

/** Each entry's tap, and what it received. */
class FlowTaps {
  private readonly results = new Map<RecurrentEntry, LayerGradientFlow>();

  constructor(
    private readonly subject: string,
    private readonly entries: readonly RecurrentEntry[],
  ) {}

  /** The tap of cell `cell` of `layer`; undefined for a layer that is not an entry's. */
  tapOf(layer: object, cell: number): StateTap | undefined {
    const entry = this.entries.find((e) => e.owner === layer && e.cell === cell);
    if (entry === undefined) return undefined;
    // The kernels report in processing order; a goBackwards layer's cells all process the
    // input from its last step (the first cell reads it so, the others read its outputs).
    const inInputOrder = (norms: readonly number[]): number[] =>
      entry.owner.goBackwards ? [...norms].reverse() : [...norms];
    return {
      record: (h, c) => {
        if (this.results.has(entry)) {
          throw new Error(`${this.subject}: '${entry.name}' reported its state gradients twice.`);
        }
        this.results.set(entry, {
          layer: entry.name,
          stepNorms: inInputOrder(h),
          ...(entry.hasCellState && c !== undefined ? { cellNorms: inInputOrder(c) } : {}),
        });
      },
    };
  }

  /** Every entry's result, in model order; refuses an entry whose backward pass reported none. */
  layers(): LayerGradientFlow[] {
    return this.entries.map((entry) => {
      const result = this.results.get(entry);
      if (result === undefined) {
        throw new ValueError(
          `${this.subject}: the back-propagation of '${entry.name}' reported no state gradients: its cells ran outside the WebAssembly kernels' stacks, whose back-propagation gradientFlow reads.`,
        );
      }
      return result;
    });
  }
}

/**
 * Refuses, before any work, an entry whose cells run step by step as tfjs ops: an activation
 * the kernels do not have (they have tanh, sigmoid, relu and linear).
 */
function checkKernelCells(subject: string, entries: readonly RecurrentEntry[]): void {
  for (const entry of entries) {
    const cell: object = entry.owner.cells[entry.cell];
    const activations = (['activation', 'recurrentActivation'] as const).flatMap((key) => {
      const value: unknown = key in cell ? (cell as Record<string, unknown>)[key] : undefined;
      return typeof value === 'string' ? [value] : [];
    });
    const other = activations.find((name) => !isFusedActivation(name));
    if (other !== undefined) {
      throw new ValueError(
        `${subject}: '${entry.name}' has the activation '${other}', so its cells run step by step as tfjs ops, which do not report state gradients yet; gradientFlow reads them from the WebAssembly kernels' back-propagation, which runs tanh, sigmoid, relu and linear.`,
      );
    }
  }
}

/** Every weight of the layers that own the entries' cells (trainable or not), as variables. */
function ownersVariables(entries: readonly RecurrentEntry[]): tf.Variable[] {
  const owners = [...new Set<RNN>(entries.map((e) => e.owner))];
  return owners.flatMap((owner) => owner.weights.map((w) => registeredVariable(w)));
}

/**
 * How the gradient of the compiled loss on `x` and `y` reaches every step's state of every
 * recurrent layer: for each, `stepNorms[t]`, the Frobenius norm over the samples and the units
 * of dL/dh_t, the total gradient through every later step and every layer above (and an LSTM's
 * `cellNorms`, of dL/dc_t). Steps are in input order, with `goBackwards` too. L is the loss
 * reduced as Keras reduces it (the batch mean; over the unmasked steps with a mask), in
 * inference mode (no dropout). It costs one training step's forward and backward pass, and
 * changes nothing: no weight, no optimizer state.
 *
 * The norms come from the WebAssembly kernels' back-propagation through time; a layer whose
 * cells run outside them (an activation other than tanh, sigmoid, relu or linear, or the
 * kernels off: see `kernelInfo`) is refused. Stateful layers are refused too.
 *
 * @example
 * const flow = await gradientFlow(model, x, y);
 * flow.layers[0].stepNorms; // [1.2e-5, 3.4e-5, ..., 0.21]: vanishing toward the first step
 */
export async function gradientFlow(
  model: Sequential,
  x: DataInput,
  y: DataInput,
): Promise<GradientFlow> {
  const subject = 'gradientFlow';
  checkModel(subject, model);
  const compiled = model.compileState;
  if (compiled === null) {
    throw new ValueError(
      `${subject}: the model '${model.name}' is not compiled, so it has no loss to differentiate. Call model.compile({ optimizer: 'adam', loss: 'mse' }) (or your loss) first.`,
    );
  }
  const entries = recurrentEntries(subject, model.layers);
  const info = kernelInfo();
  if (info.kernel === 'fused') {
    throw new ValueError(
      `${subject}: the state gradients come from the WebAssembly kernels' back-propagation, which does not run here (${info.reason}).`,
    );
  }
  checkKernelCells(subject, entries);
  const data = prepareData(subject, model.dataModel(), compiled, x, y);
  try {
    const taps = new FlowTaps(subject, entries);
    const variables = ownersVariables(entries);
    const value = tf.tidy(() => {
      const { value: loss, grads } = recordingStateGradients(
        (layer, cell) => taps.tapOf(layer, cell),
        () =>
          tf
            .engine()
            .gradients(
              () => outputLoss(compiled.loss, data.y, runLayers(model.layers, data.x, false, true)),
              variables,
              undefined,
              true,
            ),
      );
      tf.dispose(grads);
      return loss;
    });
    const [loss] = await value.data();
    value.dispose();
    return { loss, layers: taps.layers() };
  } finally {
    for (const t of data.owned) t.dispose();
  }
}
