/**
 * The states a stateful recurrent layer carries from one call to the next (Keras's
 * `stateful=True`): the last states of each call become the first of the next, for a fixed
 * number of samples, until `reset`. The layer owns them: callers get copies, and a replaced
 * state is freed only after the new ones exist (what a backward pass needs of the old ones,
 * tfjs saved when the ops ran).
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatShape } from '../../errors';

/** Carried states of fixed shapes [batch, size]. */
export class CarriedStates {
  private kept: tf.Tensor2D[] | null = null;

  /**
   * @param subject how messages name the layer.
   * @param batch the fixed number of samples.
   * @param sizes each state's size, in Keras's order.
   */
  constructor(
    private readonly subject: string,
    readonly batch: number,
    private readonly sizes: readonly number[],
  ) {}

  /** The states the next call starts from; undefined: zeros (after a reset, or before any call). */
  get current(): readonly tf.Tensor2D[] | undefined {
    return this.kept ?? undefined;
  }

  /** Refuses a batch of another size than the states hold, naming both. */
  checkBatch(samples: number): void {
    if (samples === this.batch) return;
    throw new ValueError(
      `${this.subject}: is stateful with a batch size of ${this.batch} (its states hold ${this.batch} samples), but received a batch of ${samples}. Give it batches of ${this.batch} samples: batchSize: ${this.batch} in fit, evaluate and predict, with a number of samples that is a multiple of ${this.batch}.`,
    );
  }

  /** Keeps copies of `states` (made in the caller's tidy) as the carried ones, freeing the old. */
  replace(states: readonly tf.Tensor2D[]): void {
    const next = states.map((s) => tf.keep(tf.clone(s)));
    const old = this.kept;
    this.kept = next;
    if (old !== null) tf.dispose(old);
  }

  /**
   * Resets the states: to zeros, or to `values` (each [batch, size], copied) as Keras's
   * `reset_state` does with none and tfjs's `resetStates(states)` with some.
   */
  reset(values?: readonly tf.Tensor[]): void {
    if (values === undefined) {
      if (this.kept !== null) tf.dispose(this.kept);
      this.kept = null;
      return;
    }
    const expected = this.sizes.map((size) => formatShape([this.batch, size]));
    const fits =
      values.length === this.sizes.length &&
      values.every((v, i) => tf.util.arraysEqual(v.shape, [this.batch, this.sizes[i] ?? -1]));
    if (!fits) {
      throw new ValueError(
        `${this.subject}: expected ${this.sizes.length} state${this.sizes.length === 1 ? '' : 's'} of shape ${expected.join(', ')} to reset to, received ${values.map((v) => formatShape(v.shape)).join(', ') || 'none'}.`,
      );
    }
    this.replace(values as tf.Tensor2D[]);
  }

  /** Copies of the current states (zeros after a reset); the caller owns them. */
  read(): tf.Tensor2D[] {
    return this.sizes.map((size, i) => {
      const state = this.kept?.[i];
      return state === undefined ? tf.zeros([this.batch, size]) : tf.clone(state);
    });
  }

  /** Frees the carried states. */
  dispose(): void {
    if (this.kept !== null) tf.dispose(this.kept);
    this.kept = null;
  }
}
