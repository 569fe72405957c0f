/**
 * What a recurrent layer outputs at padding steps, as Keras's TensorFlow backend does it: with
 * `zeroOutputForMask`, zeros; without, the output of the step before (the carried state, which
 * the kernels already give). Pure tensor functions on the kernels' step masks (1: data,
 * 0: padding).
 */
import * as tf from '@tensorflow/tfjs';
import { valuesOf } from '../../kernels/wasm/tensors';

/** A step mask [samples, timesteps] in the order a layer reads its input: reversed with goBackwards. */
export function processingOrder(stepMask: tf.Tensor2D, goBackwards: boolean): tf.Tensor2D {
  return goBackwards ? tf.reverse(stepMask, 1) : stepMask;
}

/** A recurrent layer's options that decide what it outputs at padding steps. */
export interface OutputMaskOptions {
  /** Zeros at padding steps, instead of the output of the step before. */
  readonly zeroOutputForMask: boolean;
  /** The layer reads the sequence backwards; its outputs come in that order. */
  readonly goBackwards: boolean;
  /** The layer returns every step, else the last. */
  readonly returnSequences: boolean;
}

/**
 * `zeroOutputForMask` as a factor of a layer's output sequence, [samples, timesteps, units] in
 * processing order; undefined when it changes nothing (no mask, or the option off).
 */
export function zeroOutputFactor(
  stepMask: tf.Tensor2D | undefined,
  layer: OutputMaskOptions,
  units: number,
): tf.Tensor3D | undefined {
  if (stepMask === undefined || !layer.zeroOutputForMask) return undefined;
  return tf.tidy(() => repeatedOverUnits(processingOrder(stepMask, layer.goBackwards), units));
}

/**
 * mask [samples, timesteps] -> [samples, timesteps, units], each value repeated over the units.
 * On the wasm backend filled in JavaScript: its broadcastTo (a Tile) took 19 ms for [64, 80,
 * 64], a Bidirectional LSTM's whole forward pass; the same values.
 */
function repeatedOverUnits(mask: tf.Tensor2D, units: number): tf.Tensor3D {
  const [samples, steps] = mask.shape;
  if (tf.getBackend() !== 'wasm') {
    return tf.broadcastTo(tf.expandDims<tf.Tensor3D>(mask, 2), [samples, steps, units]);
  }
  const values = valuesOf(mask);
  const out = new Float32Array(samples * steps * units);
  for (let i = 0; i < samples * steps; i++) out.fill(values[i], i * units, (i + 1) * units);
  return tf.tensor3d(out, [samples, steps, units]);
}

/**
 * A layer's output with a mask, as Keras's: zeros at padding steps with zeroOutputForMask (the
 * last output too when the last processed step is padding); else zeros before a sample's first
 * data step when the states started from given ones (from zero states, the carried state is
 * zero there already). Unchanged without a mask.
 */
export function maskedOutput(
  output: tf.Tensor,
  stepMask: tf.Tensor2D | undefined,
  layer: OutputMaskOptions,
  givenStates: boolean,
): tf.Tensor {
  if (stepMask === undefined || (!layer.zeroOutputForMask && !givenStates)) return output;
  const [samples, steps] = stepMask.shape;
  const ordered = processingOrder(stepMask, layer.goBackwards);
  const factor = layer.zeroOutputForMask
    ? tf.expandDims<tf.Tensor3D>(ordered, 2)
    : seenSteps(ordered);
  if (layer.returnSequences) return tf.mul(output, factor);
  return tf.mul(
    output,
    tf.reshape(tf.slice(factor, [0, steps - 1, 0], [samples, 1, 1]), [samples, 1]),
  );
}

/**
 * Which steps come at or after a sample's first data step, in processing order, [samples,
 * timesteps, 1]: Keras's output before that step is zeros even when the state is not.
 */
function seenSteps(processingMask: tf.Tensor2D): tf.Tensor3D {
  return tf.expandDims<tf.Tensor3D>(
    tf.cast(tf.greater(tf.cumsum(processingMask, 1), 0), 'float32'),
    2,
  );
}
