/**
 * The SimpleRNN recurrence and its BPTT in float64 JavaScript, written from the formula
 * h_t = act(p_t + (h_{t-1} ⊙ m) · U): an independent reference for the wasm kernels. Arrays
 * are flat and row-major: P [T, B, n] (caller's time order), U [n, n], h0 and m [B, n];
 * outputs are in processing order, like the kernels'.
 */
export type Act = 'tanh' | 'sigmoid' | 'relu' | 'linear';

export interface Problem {
  steps: number;
  batch: number;
  units: number;
  act: Act;
  goBackwards: boolean;
  p: ArrayLike<number>;
  u: ArrayLike<number>;
  h0: ArrayLike<number>;
  mask?: ArrayLike<number>;
}

function activate(act: Act, a: number): number {
  switch (act) {
    case 'tanh':
      return Math.tanh(a);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-a));
    case 'relu':
      return Number.isNaN(a) ? a : Math.max(a, 0);
    case 'linear':
      return a;
  }
}

function derivative(act: Act, h: number): number {
  switch (act) {
    case 'tanh':
      return 1 - h * h;
    case 'sigmoid':
      return h * (1 - h);
    case 'relu':
      return Number.isNaN(h) ? h : h > 0 ? 1 : 0;
    case 'linear':
      return 1;
  }
}

/** Every state [T, B, n] in processing order. */
export function forward64(pr: Problem): Float64Array {
  const { steps: T, batch: B, units: n, act, p, u, h0, mask } = pr;
  const hs = new Float64Array(T * B * n);
  const prev = new Float64Array(B * n);
  for (let i = 0; i < B * n; i++) prev[i] = (h0[i] ?? 0) * (mask?.[i] ?? 1);
  for (let s = 0; s < T; s++) {
    const t = pr.goBackwards ? T - 1 - s : s;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < n; j++) {
        let a = p[(t * B + b) * n + j] ?? 0;
        for (let k = 0; k < n; k++) a += (prev[b * n + k] ?? 0) * (u[k * n + j] ?? 0);
        hs[(s * B + b) * n + j] = activate(act, a);
      }
    }
    for (let i = 0; i < B * n; i++) prev[i] = (hs[s * B * n + i] ?? 0) * (mask?.[i] ?? 1);
  }
  return hs;
}

/**
 * Gradients of sum(output ⊙ dy): dP [T, B, n] (caller's time order), dU [n, n], dh0 [B, n].
 * `dy` is [T, B, n] (processing order) when `returnSequences`, else [B, n] for the last state.
 */
export function backward64(
  pr: Problem,
  hs: Float64Array,
  dy: ArrayLike<number>,
  returnSequences: boolean,
): { dp: Float64Array; du: Float64Array; dh0: Float64Array } {
  const { steps: T, batch: B, units: n, act, u, h0, mask } = pr;
  const dp = new Float64Array(T * B * n);
  const du = new Float64Array(n * n);
  let carry = new Float64Array(B * n);
  for (let s = T - 1; s >= 0; s--) {
    const t = pr.goBackwards ? T - 1 - s : s;
    const da = new Float64Array(B * n);
    for (let i = 0; i < B * n; i++) {
      let g = carry[i] ?? 0;
      if (returnSequences) g += dy[s * B * n + i] ?? 0;
      else if (s === T - 1) g += dy[i] ?? 0;
      da[i] = g * derivative(act, hs[s * B * n + i] ?? 0);
      dp[t * B * n + i] = da[i] ?? 0;
    }
    const next = new Float64Array(B * n);
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < n; k++) {
        const m = mask?.[b * n + k] ?? 1;
        const hPrev = (s === 0 ? (h0[b * n + k] ?? 0) : (hs[((s - 1) * B + b) * n + k] ?? 0)) * m;
        let c = 0;
        for (let j = 0; j < n; j++) {
          const d = da[b * n + j] ?? 0;
          c += d * (u[k * n + j] ?? 0);
          du[k * n + j] = (du[k * n + j] ?? 0) + hPrev * d;
        }
        next[b * n + k] = c * m;
      }
    }
    carry = next;
  }
  return { dp, du, dh0: carry };
}
