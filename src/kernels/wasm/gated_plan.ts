/**
 * The plan of a gated recurrent layer's passes (LSTM, GRU) in the kernels' module: its sizes as
 * the kernels take them, the batch's shares, where its buffers are, and the kernel calls of each
 * pass (forward, backward over the batch's shares, and the weights' gradients over their rows).
 * The op that runs them is gated_sequence.ts.
 */
import { activationCode, padded, planSlices, splitRows } from './buffers';
import type { KernelCall } from './pool';
import { getThreads } from './runtime';

export type GatedKind = 'LSTM' | 'GRU';

/** The layer's sizes and options, as the kernels take them. */
export interface GatedDims {
  kind: GatedKind;
  batch: number;
  steps: number;
  features: number;
  units: number;
  /** Row strides in floats: features and units rounded up to a multiple of 4. */
  ldf: number;
  ld: number;
  /** Gates (4 LSTM, 3 GRU), each a block of ld columns: gl = gates * ld. */
  gates: number;
  gl: number;
  act: number;
  recurrentAct: number;
  goBackwards: boolean;
  returnSequences: boolean;
  hasBias: boolean;
  /** GRU: the reset gate after the recurrent product (bias [2, 3u]). */
  resetAfter: boolean;
  /** [first row, rows] of each share of the batch. */
  slices: [number, number][];
}

export function planGatedDims(
  kind: GatedKind,
  subject: string,
  [batch, steps, features]: readonly [number, number, number],
  units: number,
  options: {
    activation: string;
    recurrentActivation: string;
    goBackwards: boolean;
    returnSequences: boolean;
    hasBias: boolean;
    resetAfter: boolean;
  },
): GatedDims {
  const gates = kind === 'LSTM' ? 4 : 3;
  const ld = padded(units);
  const work = steps * batch * gates * units * (units + features);
  return {
    kind,
    batch,
    steps,
    features,
    units,
    ldf: padded(features),
    ld,
    gates,
    gl: gates * ld,
    act: activationCode(subject, options.activation),
    recurrentAct: activationCode(subject, options.recurrentActivation),
    goBackwards: options.goBackwards,
    returnSequences: options.returnSequences,
    hasBias: options.hasBias,
    resetAfter: kind === 'GRU' && options.resetAfter,
    slices: planSlices(batch, work),
  };
}

/**
 * Byte offsets of what the forward pass keeps for the gradient (0 = none). LSTM: c0, c, tc;
 * GRU: m. Both: x (time-major), W, U, G, H, h0.
 */
export interface GatedSaved {
  x: number;
  win: number;
  u: number;
  g: number;
  h: number;
  h0: number;
  c0: number;
  c: number;
  tc: number;
  m: number;
}

/** Forward scratch: tfjs's batch-major x, the biases, and the kernels' per-step scratch. */
export interface GatedForwardScratch {
  xBatchMajor: number;
  /** LSTM: the bias (added to z); GRU: b_in (in the projection). */
  bias: number;
  /** GRU resetAfter: b_rec. */
  biasRec: number;
  /** LSTM: z [B, gl]; GRU: q [B, ld]. */
  step: number;
  /** The batch-major output sequence (returnSequences), 0 otherwise. */
  sequence: number;
}

/** The calls of one share of the forward pass. */
export function gatedForwardCalls(
  d: GatedDims,
  s: GatedSaved,
  f: GatedForwardScratch,
  [b0, nb]: [number, number],
): KernelCall[] {
  const { batch, steps, features, units, ld, gl } = d;
  const gb = d.goBackwards ? 1 : 0;
  const calls: KernelCall[] = [
    // The kernels read x time-major: each step's rows contiguous.
    {
      fn: 'swapLeadingAxes',
      args: [f.xBatchMajor, batch, steps, features, features, s.x, features, b0, b0 + nb, 0, steps],
    },
    {
      fn: 'simpleRnnProject',
      // LSTM sums x·W + h·U first, then the bias (Keras's order); GRU's b_in is x's.
      args: [
        steps,
        batch,
        features,
        features,
        gl,
        b0,
        nb,
        s.x,
        s.win,
        d.kind === 'GRU' ? f.bias : 0,
        s.g,
      ],
    },
    d.kind === 'LSTM'
      ? {
          fn: 'lstmForward',
          args: [
            d.act,
            d.recurrentAct,
            steps,
            batch,
            units,
            ld,
            b0,
            nb,
            gb,
            s.g,
            s.u,
            f.bias,
            s.h0,
            s.c0,
            f.step,
            s.h,
            s.c,
            s.tc,
          ],
        }
      : {
          fn: 'gruForward',
          args: [
            d.act,
            d.recurrentAct,
            steps,
            batch,
            units,
            ld,
            b0,
            nb,
            gb,
            d.resetAfter ? 1 : 0,
            s.g,
            s.u,
            f.biasRec,
            s.h0,
            s.m,
            f.step,
            s.h,
          ],
        },
  ];
  if (f.sequence !== 0) {
    calls.push({
      fn: 'swapLeadingAxes',
      args: [s.h, steps, batch, units, ld, f.sequence, units, 0, steps, b0, b0 + nb],
    });
  }
  return calls;
}

/** The backward pass's buffers. */
export interface GatedGradBlocks {
  /** tfjs's dy, batch-major [B, T, units] (returnSequences), else 0. */
  dyDense: number;
  /** dy time-major [T, B, ld] (returnSequences), else [B, ld]. */
  dY: number;
  ut: number;
  wint: number;
  /** Scratch [B, ld] each: LSTM dh, dc; GRU dh, dPrev, dq. */
  dh: number;
  dc: number;
  dq: number;
  /** dx batch-major [B, T, ldf]. */
  dx: number;
  dwin: number;
  du: number;
  /** [gl]; GRU resetAfter [2, gl]: b_in's gradient, then b_rec's. */
  db: number;
}

/** The calls of one share of the backward pass: BPTT, then the input's gradient. */
export function gatedBackwardCalls(
  d: GatedDims,
  s: GatedSaved,
  g: GatedGradBlocks,
  [b0, nb]: [number, number],
): KernelCall[] {
  const { batch, steps, units, ld, ldf, gl } = d;
  const gb = d.goBackwards ? 1 : 0;
  const rs = d.returnSequences ? 1 : 0;
  const calls: KernelCall[] = [];
  if (g.dyDense !== 0) {
    calls.push({
      fn: 'swapLeadingAxes',
      args: [g.dyDense, batch, steps, units, units, g.dY, ld, b0, b0 + nb, 0, steps],
    });
  }
  calls.push(
    d.kind === 'LSTM'
      ? {
          fn: 'lstmBackward',
          args: [
            d.act,
            d.recurrentAct,
            steps,
            batch,
            ld,
            b0,
            nb,
            gb,
            rs,
            g.dY,
            g.ut,
            s.g,
            s.c,
            s.tc,
            s.c0,
            g.dh,
            g.dc,
          ],
        }
      : {
          fn: 'gruBackward',
          args: [
            d.act,
            d.recurrentAct,
            steps,
            batch,
            ld,
            b0,
            nb,
            gb,
            rs,
            d.resetAfter ? 1 : 0,
            g.dY,
            g.ut,
            s.g,
            s.m,
            s.h,
            s.h0,
            g.dh,
            g.dc,
            g.dq,
          ],
        },
    {
      fn: 'simpleRnnInputGrad',
      args: [steps, batch, ldf, gl, gl, b0, nb, s.g, g.wint, 0, g.dx, steps * ldf, ldf],
    },
  );
  return calls;
}

/**
 * The weights' gradient jobs, longest first: each matrix split into one part of rows per
 * thread, every part summing over (t, b) in one order (see stack_plan.ts's weightGradJobs).
 */
export function gatedWeightGradJobs(
  d: GatedDims,
  s: GatedSaved,
  g: GatedGradBlocks,
): KernelCall[][] {
  const { batch, steps, features, ld, ldf, gl } = d;
  const gb = d.goBackwards ? 1 : 0;
  const parts = Math.max(1, Math.min(getThreads(), d.slices.length));
  const jobs: { work: number; call: KernelCall }[] = [];
  for (const [i0, ni] of splitRows(ldf, parts)) {
    jobs.push({
      work: ni * gl,
      call: {
        fn: 'simpleRnnInputKernelGrad',
        // The job of the first rows also sums x's bias gradient (LSTM's b, GRU's b_in).
        args: [
          steps,
          batch,
          features,
          gl,
          i0,
          ni,
          s.x,
          s.g,
          g.dwin,
          d.hasBias && i0 === 0 ? g.db : 0,
        ],
      },
    });
  }
  const recurrent = (
    i0: number,
    ni: number,
    n: number,
    x: number,
    xStride: number,
    previous: number,
    dPtr: number,
    dTimeOrder: number,
    c: number,
    db: number,
  ): { work: number; call: KernelCall } => ({
    work: ni * n,
    call: {
      fn: 'gateKernelGrad',
      args: [steps, batch, gb, i0, ni, n, x, xStride, previous, 0, dPtr, gl, dTimeOrder, c, gl, db],
    },
  });
  for (const [i0, ni] of splitRows(ld, parts)) {
    if (d.kind === 'LSTM') {
      // dU = Σ h_{s-1}ᵀ · dz
      jobs.push(recurrent(i0, ni, gl, s.h, ld, 1, s.g, 1, g.du, 0));
    } else if (d.resetAfter) {
      // dU = Σ h_{s-1}ᵀ · dm, and b_rec's gradient Σ dm.
      const dbRec = d.hasBias && i0 === 0 ? g.db + gl * 4 : 0;
      jobs.push(recurrent(i0, ni, gl, s.h, ld, 1, s.m, 0, g.du, dbRec));
    } else {
      // U_zr's gradient pairs h_{s-1} with dm_zr (G's first two blocks); U_h's pairs r ⊙ h
      // (M's third block) with da (G's third).
      jobs.push(recurrent(i0, ni, 2 * ld, s.h, ld, 1, s.g, 1, g.du, 0));
      const third = 2 * ld * 4;
      jobs.push(recurrent(i0, ni, ld, s.m + third, gl, 0, s.g + third, 1, g.du + third, 0));
    }
  }
  jobs.sort((a, b) => b.work - a.work);
  return jobs.map((j) => [j.call]);
}
