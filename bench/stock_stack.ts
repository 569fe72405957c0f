/**
 * The stock model's two recurrent layers (64 samples x 60 steps x 1 feature -> 80 units,
 * returning sequences -> 100 units) run through the WebAssembly kernels, forward and backward
 * with every gradient, on made-up data: what `npm run bench:ceiling` times. SimpleRNN layers run
 * as one stack; LSTM and GRU layers one op each (reset after, Keras's default).
 */
import * as tf from '@tensorflow/tfjs';
import {
  type SimpleRnnStackLayer,
  wasmGruSequence,
  wasmLstmSequence,
  wasmSimpleRnnStack,
} from '../src/kernels/wasm';

const BATCH = 64;
const STEPS = 60;
const UNITS = [80, 100] as const;

export const STOCK_KINDS = ['SimpleRNN', 'LSTM', 'GRU'] as const;
export type StockKind = (typeof STOCK_KINDS)[number];

const GATES: Record<StockKind, number> = { SimpleRNN: 1, LSTM: 4, GRU: 3 };

/**
 * Multiply-adds of one pass: for each layer, the input projection and the recurrence forward,
 * and as many again twice backward (the gradients by the inputs and states, and by the weights);
 * a gated cell's products are as many times a SimpleRNN's as it has gates.
 */
export function stockStackMacs(kind: StockKind): number {
  let macs = 0;
  let features = 1;
  for (const units of UNITS) {
    macs += 3 * GATES[kind] * BATCH * STEPS * units * (features + units);
    features = units;
  }
  return macs;
}

/** One product of a pass: [m, k] · [k, n], `count` times. */
export interface StockProduct {
  m: number;
  k: number;
  n: number;
  count: number;
}

/**
 * The matrix products of one pass, as a framework that runs each step's product on its own
 * does them (TensorFlow's): for each layer, forward the projection of every step at once and one
 * recurrent product a step; backward the input's gradient at once, one product a step for the
 * states' gradient, and the two weights' gradients over every step. Their multiply-adds add up
 * to stockStackMacs.
 */
export function stockStackProducts(kind: StockKind): StockProduct[] {
  const products: StockProduct[] = [];
  let features = 1;
  for (const units of UNITS) {
    const width = GATES[kind] * units;
    const rows = BATCH * STEPS;
    products.push(
      { m: rows, k: features, n: width, count: 1 },
      { m: BATCH, k: units, n: width, count: STEPS },
      { m: rows, k: width, n: features, count: 1 },
      { m: BATCH, k: width, n: units, count: STEPS },
      { m: features, k: rows, n: width, count: 1 },
      { m: units, k: rows, n: width, count: 1 },
    );
    features = units;
  }
  return products;
}

export interface StockStackPass {
  /** One forward and backward pass; returns its seconds. */
  run(): number;
  dispose(): void;
}

interface LayerWeights {
  kernel: tf.Variable<tf.Rank.R2>;
  recurrentKernel: tf.Variable<tf.Rank.R2>;
  bias: tf.Variable;
}

function layerWeights(kind: StockKind): LayerWeights[] {
  const gates = GATES[kind];
  let features = 1;
  return UNITS.map((units, i) => {
    const width = gates * units;
    const weights: LayerWeights = {
      kernel: tf.variable(tf.randomUniform([features, width], -0.1, 0.1, 'float32', 2 + i)),
      recurrentKernel: tf.variable(tf.randomUniform([units, width], -0.1, 0.1, 'float32', 4 + i)),
      bias: tf.variable(tf.zeros(kind === 'GRU' ? [2, width] : [width])),
    };
    features = units;
    return weights;
  });
}

/** The layers' output for x, through the kernels. */
function forward(kind: StockKind, x: tf.Tensor3D, weights: readonly LayerWeights[]): tf.Tensor {
  if (kind === 'SimpleRNN') {
    const layers: SimpleRnnStackLayer[] = weights.map((w, i) => ({
      weights: { ...w, bias: w.bias as tf.Variable<tf.Rank.R1> },
      options: { activation: 'tanh', goBackwards: false, returnSequences: i < UNITS.length - 1 },
    }));
    return wasmSimpleRnnStack(x, layers);
  }
  let out: tf.Tensor3D = x;
  weights.forEach((w, i) => {
    const options = {
      activation: 'tanh' as const,
      recurrentActivation: 'sigmoid' as const,
      goBackwards: false,
      returnSequences: i < UNITS.length - 1,
      resetAfter: true,
    };
    out = (kind === 'LSTM' ? wasmLstmSequence : wasmGruSequence)(out, w, options) as tf.Tensor3D;
  });
  return out;
}

export function stockStackPass(kind: StockKind): StockStackPass {
  const x = tf.randomUniform<tf.Rank.R3>([BATCH, STEPS, 1], 0, 1, 'float32', 1);
  const weights = layerWeights(kind);
  const variables = weights.flatMap((w) => [w.kernel, w.recurrentKernel, w.bias]);
  return {
    run(): number {
      const start = performance.now();
      const { value, grads } = tf.variableGrads(
        () => tf.sum<tf.Scalar>(forward(kind, x, weights)),
        variables,
      );
      value.dispose();
      for (const g of Object.values(grads)) g.dispose();
      return (performance.now() - start) / 1000;
    },
    dispose(): void {
      x.dispose();
      for (const v of variables) v.dispose();
    },
  };
}
