/**
 * Taps on the backward pass of the recurrent kernels, for `gradientFlow`: while a recording is
 * on, each recurrent layer's cells in a kernel stack carry a tap, and the kernels' own BPTT
 * writes the whole gradient of every step's state (dL/dh_t, and an LSTM's dL/dc_t: through
 * every later step and every layer above) where the tap reads its norms. No second
 * back-propagation: the numbers come from the pass that computes the weights' gradients.
 */

/** Receives one layer's state gradients from a backward pass. */
export interface StateTap {
  /**
   * The Frobenius norm over the batch and the units of the gradient of each step's h (and of
   * an LSTM's c), in the order the layer processed the steps (reversed with goBackwards).
   */
  record(h: readonly number[], c?: readonly number[]): void;
}

/** Gives the tap of cell `cell` of a recurrent layer (undefined: not recorded). */
export type TapSource = (layer: object, cell: number) => StateTap | undefined;

let source: TapSource | null = null;

/**
 * Runs `f` with `taps` giving each recurrent layer's cells their taps (see `stateTapOf`); the
 * backward passes that `f` runs report to them. Not reentrant: one recording at a time.
 */
export function recordingStateGradients<T>(taps: TapSource, f: () => T): T {
  if (source !== null) throw new Error('recordingStateGradients: a recording is already on.');
  source = taps;
  try {
    return f();
  } finally {
    source = null;
  }
}

/** The tap of cell `cell` of `layer` while a recording is on; else undefined. */
export function stateTapOf(layer: object, cell: number): StateTap | undefined {
  return source?.(layer, cell);
}

/**
 * The norm over the batch and the first `units` columns of each step of `values`, rows of
 * `ld` floats [steps, batch, ld], step by step.
 */
export function stepNormsOf(
  values: ArrayLike<number>,
  [steps, batch, units, ld]: readonly [number, number, number, number],
): number[] {
  const norms: number[] = [];
  for (let s = 0; s < steps; s++) {
    let sum = 0;
    for (let b = 0; b < batch; b++) {
      const at = (s * batch + b) * ld;
      for (let j = 0; j < units; j++) {
        const v = values[at + j] ?? 0;
        sum += v * v;
      }
    }
    norms.push(Math.sqrt(sum));
  }
  return norms;
}
