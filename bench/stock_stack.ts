/**
 * The stock model's two SimpleRNN layers (64 samples x 60 steps x 1 feature -> 80 units,
 * returning sequences -> 100 units) run through the WebAssembly kernels as one stack, forward
 * and backward with every gradient, on made-up data: what `npm run bench:ceiling` times.
 */
import * as tf from '@tensorflow/tfjs';
import { wasmSimpleRnnStack, type SimpleRnnStackLayer } from '../src/kernels/wasm';

const BATCH = 64;
const STEPS = 60;
const UNITS = [80, 100] as const;

/**
 * Multiply-adds of one pass: for each layer, the input projection and the recurrence forward,
 * and as many again twice backward (the gradients by the inputs and states, and by the weights).
 */
export const STOCK_STACK_MACS = (() => {
  let macs = 0;
  let features = 1;
  for (const units of UNITS) {
    macs += 3 * BATCH * STEPS * units * (features + units);
    features = units;
  }
  return macs;
})();

export interface StockStackPass {
  /** One forward and backward pass; returns its seconds. */
  run(): number;
  dispose(): void;
}

export function stockStackPass(): StockStackPass {
  const x = tf.randomUniform<tf.Rank.R3>([BATCH, STEPS, 1], 0, 1, 'float32', 1);
  const weights: tf.Variable[] = [];
  const layers: SimpleRnnStackLayer[] = [];
  let features = 1;
  UNITS.forEach((units, i) => {
    const kernel = tf.variable(tf.randomUniform([features, units], -0.1, 0.1, 'float32', 2 + i));
    const recurrentKernel = tf.variable(
      tf.randomUniform([units, units], -0.1, 0.1, 'float32', 4 + i),
    );
    const bias = tf.variable(tf.zeros([units]));
    weights.push(kernel, recurrentKernel, bias);
    layers.push({
      weights: {
        kernel: kernel as tf.Variable<tf.Rank.R2>,
        recurrentKernel: recurrentKernel as tf.Variable<tf.Rank.R2>,
        bias: bias as tf.Variable<tf.Rank.R1>,
      },
      options: {
        activation: 'tanh',
        goBackwards: false,
        returnSequences: i < UNITS.length - 1,
      },
    });
    features = units;
  });
  return {
    run(): number {
      const start = performance.now();
      const { value, grads } = tf.variableGrads(
        () => tf.sum<tf.Scalar>(wasmSimpleRnnStack(x, layers)),
        weights,
      );
      value.dispose();
      for (const g of Object.values(grads)) g.dispose();
      return (performance.now() - start) / 1000;
    },
    dispose(): void {
      x.dispose();
      for (const w of weights) w.dispose();
    },
  };
}
