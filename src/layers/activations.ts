/**
 * Keras activations by name, with Keras 3's formulas.
 */
import * as tf from '@tensorflow/tfjs';
import { unknownNameError } from '../errors';

export type ActivationFn = (x: tf.Tensor) => tf.Tensor;

const ACTIVATIONS: Readonly<Partial<Record<string, ActivationFn>>> = {
  linear: (x) => x,
  tanh: (x) => tf.tanh(x),
  sigmoid: (x) => tf.sigmoid(x),
  relu: (x) => tf.relu(x),
  relu6: (x) => tf.relu6(x),
  // Porting note: Keras 3's hard_sigmoid is relu6(x + 3) / 6; tfjs's is clip(0.2x + 0.5).
  hard_sigmoid: (x) => tf.div(tf.relu6(tf.add(x, 3)), 6),
  softmax: (x) => tf.softmax(x, -1),
  log_softmax: (x) => tf.logSoftmax(x, -1),
  elu: (x) => tf.elu(x),
  selu: (x) => tf.selu(x),
  softplus: (x) => tf.softplus(x),
  softsign: (x) => tf.div(x, tf.add(tf.abs(x), 1)),
  exponential: (x) => tf.exp(x),
  silu: (x) => tf.mul(x, tf.sigmoid(x)),
  swish: (x) => tf.mul(x, tf.sigmoid(x)),
  // Keras's default gelu is the exact form, 0.5 x (1 + erf(x / sqrt(2))).
  gelu: (x) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)),
  mish: (x) => tf.mul(x, tf.tanh(tf.softplus(x))),
};

/** Keras's activation names, as accepted by `activation` options. */
export const ACTIVATION_NAMES: readonly string[] = Object.keys(ACTIVATIONS);

/** tfjs's camelCase spellings of the same activations. */
const CAMEL_CASE_ALIASES: Readonly<Partial<Record<string, string>>> = {
  hardSigmoid: 'hard_sigmoid',
  logSoftmax: 'log_softmax',
};

/**
 * The canonical Keras name for an activation given by its Keras or tfjs name; `null` and
 * `undefined` mean `linear`, as in Keras. Throws, listing the known names, for anything else.
 */
export function canonicalActivation(subject: string, name: string | null | undefined): string {
  if (name == null) return 'linear';
  const canonical = CAMEL_CASE_ALIASES[name] ?? name;
  if (!(canonical in ACTIVATIONS)) {
    throw unknownNameError(subject, 'activation', name, ACTIVATION_NAMES);
  }
  return canonical;
}

/** The function for a canonical activation name (see `canonicalActivation`). */
export function activationFn(name: string): ActivationFn {
  const fn = ACTIVATIONS[name];
  if (fn === undefined) throw unknownNameError('activation', 'activation', name, ACTIVATION_NAMES);
  return fn;
}
