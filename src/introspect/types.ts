/**
 * What `gradientFlow` and `stepStates` return: the course's last two ideas as numbers, how the
 * gradient flows back through time and what each h_t holds.
 */
import type * as tf from '@tensorflow/tfjs';

/** One recurrent layer's share of a gradient flow. */
export interface LayerGradientFlow {
  /**
   * The layer's name; a StackedRNN's cells are `layer/cell` and a Bidirectional's directions
   * `bidirectional/forward_lstm` and `bidirectional/backward_lstm`, one entry each.
   */
  layer: string;
  /**
   * The Frobenius norm, over the batch and the units, of dL/dh_t at each step t, in input order
   * (with goBackwards too): the total gradient that reaches the state of step t, through every
   * later step and every layer above.
   */
  stepNorms: number[];
  /** LSTM only: the same for the cell state, dL/dc_t. */
  cellNorms?: number[];
}

/** What `gradientFlow` returns. */
export interface GradientFlow {
  /** The compiled loss on x and y, reduced as Keras reduces it (the batch mean). */
  loss: number;
  /** One entry per recurrent layer (per cell of a StackedRNN, per direction), in model order. */
  layers: LayerGradientFlow[];
}

/** One recurrent layer's states at every step. */
export interface LayerStepStates {
  /** The layer's name, as in LayerGradientFlow. */
  layer: string;
  /** h_t: [samples, timesteps, units], in input order (with goBackwards too). */
  h: tf.Tensor3D;
  /** LSTM only: c_t, [samples, timesteps, units]. */
  c?: tf.Tensor3D;
}

/** What `stepStates` returns; the caller owns the tensors. */
export interface StepStates {
  /** One entry per recurrent layer (per cell of a StackedRNN, per direction), in model order. */
  layers: LayerStepStates[];
  /** Frees every tensor of `layers`. */
  dispose(): void;
}
