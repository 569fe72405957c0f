import { expect } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { ACTIVATION_NAMES, activationFn, canonicalActivation } from '../../src/layers/activations';
import { useTestBackend } from '../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

const x = [-4, -1, -0.25, 0, 0.5, 2, 5];

// Keras 3's formulas, written out independently.
const keras: Record<string, (v: number) => number> = {
  linear: (v) => v,
  tanh: Math.tanh,
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  relu: (v) => Math.max(0, v),
  relu6: (v) => Math.min(6, Math.max(0, v)),
  hard_sigmoid: (v) => Math.min(6, Math.max(0, v + 3)) / 6,
  elu: (v) => (v > 0 ? v : Math.exp(v) - 1),
  selu: (v) => 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * (Math.exp(v) - 1)),
  softplus: (v) => Math.log1p(Math.exp(v)),
  softsign: (v) => v / (1 + Math.abs(v)),
  exponential: Math.exp,
  silu: (v) => v / (1 + Math.exp(-v)),
  swish: (v) => v / (1 + Math.exp(-v)),
  mish: (v) => v * Math.tanh(Math.log1p(Math.exp(v))),
};

describe('activations', () => {
  it.each(Object.entries(keras))('%s follows Keras 3', (name, f) => {
    const y = tf.tidy(() => activationFn(canonicalActivation('test', name))(tf.tensor1d(x)));
    expect(y).toBeAllClose(x.map(f), 1e-5, 1e-5);
    y.dispose();
  });

  it('softmax normalizes the last axis', () => {
    const y = tf.tidy(() => activationFn('softmax')(tf.tensor2d([[1, 2, 3]])));
    const e = [1, 2, 3].map(Math.exp);
    const total = e.reduce((a, b) => a + b, 0);
    expect(y).toBeAllClose([e.map((v) => v / total)], 1e-6);
    y.dispose();
  });

  it('maps null to linear and tfjs spellings to Keras names', () => {
    expect(canonicalActivation('t', null)).toBe('linear');
    expect(canonicalActivation('t', 'hardSigmoid')).toBe('hard_sigmoid');
    expect(ACTIVATION_NAMES).toEqual(
      expect.arrayContaining(['tanh', 'relu', 'sigmoid', 'linear', 'softmax']),
    );
  });

  it('lists the known names for an unknown one', () => {
    expect(() => canonicalActivation('Dense', 'Tanh')).toThrow(
      /Dense: unknown activation "Tanh"\. Known activations: 'linear', 'tanh'/,
    );
  });
});
