/**
 * A plain-array SimpleRNN in float64, written step by step from the formula
 * h_t = act(x_t W + h_{t-1} U + b), as an independent reference for the tensor code.
 */
export type Matrix = number[][];

function stepActivation(name: string, v: number): number {
  switch (name) {
    case 'tanh':
      return Math.tanh(v);
    case 'relu':
      return Math.max(0, v);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-v));
    case 'linear':
      return v;
    case 'elu':
      return v > 0 ? v : Math.exp(v) - 1;
    default:
      throw new Error(`reference: no activation ${name}`);
  }
}

/**
 * x: [batch][steps][features]; returns every step's h in processing order, [batch][steps][units].
 * With `mask` ([batch][steps], input order, 0 for padding), a padding step keeps h and outputs
 * it, as Keras's TensorFlow backend does.
 */
export function referenceSimpleRnn(
  x: number[][][],
  kernel: Matrix,
  recurrent: Matrix,
  bias: number[] | null,
  activation: string,
  goBackwards = false,
  mask?: number[][],
): number[][][] {
  const units = recurrent.length;
  return x.map((sequence, b) => {
    const steps = sequence.map((_, t) => t);
    const order = goBackwards ? steps.reverse() : steps;
    let h = new Array<number>(units).fill(0);
    const outputs: number[][] = [];
    for (const t of order) {
      const xt = sequence[t] ?? [];
      if (mask?.[b]?.[t] === 0) {
        outputs.push(h);
        continue;
      }
      const next: number[] = [];
      for (let j = 0; j < units; j++) {
        let v = bias === null ? 0 : (bias[j] ?? 0);
        xt.forEach((xi, i) => (v += xi * (kernel[i]?.[j] ?? 0)));
        h.forEach((hi, i) => (v += hi * (recurrent[i]?.[j] ?? 0)));
        next.push(stepActivation(activation, v));
      }
      h = next;
      outputs.push(h);
    }
    return outputs;
  });
}

/** Deterministic pseudo-random numbers in [-scale, scale) (a small LCG), for test data. */
export function pseudoRandom(count: number, seed: number, scale = 1): number[] {
  let state = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out.push((state / 2 ** 32) * 2 * scale - scale);
  }
  return out;
}

/** Reshapes a flat list into [rows][cols]. */
export function toMatrix(values: number[], rows: number, cols: number): Matrix {
  return Array.from({ length: rows }, (_, r) => values.slice(r * cols, (r + 1) * cols));
}
