/**
 * The plan of a stack of gated recurrent layers (LSTM, GRU, in any mix) in the kernels' module:
 * each layer's sizes as the kernels take them, the batch's shares, where the buffers are, and
 * the kernel calls of each pass (forward over every layer, backward from the last, over the
 * batch's shares; the weights' gradients over their rows). A layer reads the states of the one
 * before in place (or their product with a Dropout mask between the two), and writes its input
 * gradient where the layer before reads the gradient of its states. The calls of each share are
 * gated_calls.ts's; the op that runs them is gated_sequence.ts.
 */
import { activationCode, padded, planSlices, splitRows } from './buffers';
import { gatedBackwardCalls, gatedForwardCalls } from './gated_calls';
import { CALL_INTS, jobSlots, type KernelCall } from './pool';
import { getThreads } from './runtime';

export type GatedKind = 'LSTM' | 'GRU';

/** One layer's sizes and options, as the kernels take them. */
export interface GatedLayerDims {
  kind: GatedKind;
  features: number;
  units: number;
  /** x's row stride in floats: the first layer's dense copy, else the ld of the layer before. */
  xStride: number;
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
  /** A Dropout mask multiplies the output sequence before the next layer reads it. */
  hasOutputMask: boolean;
}

export interface GatedDims {
  batch: number;
  steps: number;
  layers: GatedLayerDims[];
  /** [first row, rows] of each share of the batch. */
  slices: [number, number][];
}

/** What planGatedDims needs of a layer. */
export interface GatedLayerPlan {
  kind: GatedKind;
  units: number;
  activation: string;
  recurrentActivation: string;
  goBackwards: boolean;
  returnSequences: boolean;
  hasBias: boolean;
  resetAfter: boolean;
  hasOutputMask: boolean;
}

/**
 * Byte offsets of what a layer's forward pass keeps for the gradient (0 = none). LSTM: c0, c,
 * tc; GRU: m.
 */
export interface GatedSaved {
  /** The input, time-major: the first layer's own copy, else the layer before's h or xNext. */
  x: number;
  /** The output mask, batch-major and dense, as tfjs has it; xNext = h times it. */
  maskOut: number;
  xNext: number;
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

/** A layer's forward scratch: its biases and its per-step scratch (LSTM z, GRU q). */
export interface GatedForwardScratch {
  /** LSTM: the bias (added to z); GRU: b_in (in the projection). */
  bias: number;
  /** GRU resetAfter: b_rec. */
  biasRec: number;
  step: number;
}

/** A layer's buffers in the backward pass. */
export interface GatedGradBlocks {
  /** The gradient of every state (or of the last), time-major: [T, B, ld] (or [B, ld]). */
  dY: number;
  ut: number;
  wint: number;
  /** Scratch [B, ld] each: LSTM dh, dc; GRU dh, dPrev, dq. */
  dh: number;
  dc: number;
  dq: number;
  dwin: number;
  du: number;
  /** [gl]; GRU resetAfter [2, gl]: b_in's gradient, then b_rec's. */
  db: number;
}

interface WeightGradJob {
  work: number;
  call: KernelCall;
}

/** One layer's weight-gradient jobs, its matrices split into `parts` parts of rows. */
function layerWeightGradJobs(
  d: GatedDims,
  l: GatedLayerDims,
  s: GatedSaved,
  g: GatedGradBlocks,
  parts: number,
): WeightGradJob[] {
  const { batch, steps } = d;
  const { ld, ldf, gl } = l;
  const gb = l.goBackwards ? 1 : 0;
  const jobs: WeightGradJob[] = splitRows(ldf, parts).map(([i0, ni]) => ({
    work: ni * gl,
    call: {
      fn: 'simpleRnnInputKernelGrad',
      // The job of the first rows also sums x's bias gradient (LSTM's b, GRU's b_in).
      args: [
        steps,
        batch,
        l.xStride,
        gl,
        i0,
        ni,
        s.x,
        s.g,
        g.dwin,
        l.hasBias && i0 === 0 ? g.db : 0,
      ],
    },
  }));
  /** Rows [i0, i0 + ni) of a block of n columns of dU from x (states) and d (gradients). */
  const recurrent = (
    [i0, ni]: [number, number],
    n: number,
    [x, xStride, previous]: [number, number, number],
    [dPtr, dTimeOrder]: [number, number],
    column: number,
    db: number,
  ): WeightGradJob => ({
    work: ni * n,
    call: {
      fn: 'gateKernelGrad',
      args: [
        steps,
        batch,
        gb,
        i0,
        ni,
        n,
        x,
        xStride,
        previous,
        0,
        dPtr,
        gl,
        dTimeOrder,
        g.du + column * 4,
        gl,
        db,
      ],
    },
  });
  for (const rows of splitRows(ld, parts)) {
    const first = rows[0] === 0;
    if (l.kind === 'LSTM') {
      // dU = Σ h_{s-1}ᵀ · dz
      jobs.push(recurrent(rows, gl, [s.h, ld, 1], [s.g, 1], 0, 0));
    } else if (l.resetAfter) {
      // dU = Σ h_{s-1}ᵀ · dm, and b_rec's gradient Σ dm.
      const dbRec = l.hasBias && first ? g.db + gl * 4 : 0;
      jobs.push(recurrent(rows, gl, [s.h, ld, 1], [s.m, 0], 0, dbRec));
    } else {
      // U_zr's gradient pairs h_{s-1} with dm_zr (G's first two blocks); U_h's pairs r ⊙ h
      // (M's third block) with da (G's third).
      const third = 2 * ld;
      jobs.push(recurrent(rows, third, [s.h, ld, 1], [s.g, 1], 0, 0));
      jobs.push(recurrent(rows, ld, [s.m + third * 4, gl, 0], [s.g + third * 4, 1], third, 0));
    }
  }
  return jobs;
}

/**
 * Every layer's weight-gradient jobs, longest first: each matrix split into one part of rows
 * per thread, every part summing over (t, b) in one order (see stack_plan.ts's weightGradJobs).
 */
export function gatedWeightGradJobs(
  d: GatedDims,
  s: readonly GatedSaved[],
  g: readonly GatedGradBlocks[],
): KernelCall[][] {
  const parts = Math.max(1, Math.min(getThreads(), d.slices.length));
  const jobs = d.layers.flatMap((l, i) => layerWeightGradJobs(d, l, s[i], g[i], parts));
  jobs.sort((a, b) => b.work - a.work);
  return jobs.map((j) => [j.call]);
}

export function planGatedDims(
  subject: string,
  [batch, steps, inputFeatures]: readonly [number, number, number],
  plans: readonly GatedLayerPlan[],
): GatedDims {
  let features = inputFeatures;
  let xStride = inputFeatures;
  let work = 0;
  const layers = plans.map((p): GatedLayerDims => {
    const gates = p.kind === 'LSTM' ? 4 : 3;
    const ld = padded(p.units);
    const l: GatedLayerDims = {
      kind: p.kind,
      features,
      units: p.units,
      xStride,
      ldf: padded(features),
      ld,
      gates,
      gl: gates * ld,
      act: activationCode(subject, p.activation),
      recurrentAct: activationCode(subject, p.recurrentActivation),
      goBackwards: p.goBackwards,
      returnSequences: p.returnSequences,
      hasBias: p.hasBias,
      resetAfter: p.kind === 'GRU' && p.resetAfter,
      hasOutputMask: p.hasOutputMask,
    };
    work += steps * batch * gates * p.units * (p.units + features);
    features = p.units;
    xStride = ld;
    return l;
  });
  const d: GatedDims = { batch, steps, layers, slices: [[0, batch]] };
  // A share's job is a few calls per layer: a deep stack fits fewer shares in the job list.
  const slots = Math.max(
    jobSlots(gatedForwardCalls(d, noBuffers(d), noScratch(d), 0, 1, [0, batch])),
    jobSlots(gatedBackwardCalls(d, noBuffers(d), noGrads(d), 1, 1, [0, batch])),
  );
  d.slices = planSlices(batch, work, Math.floor(CALL_INTS / slots));
  return d;
}

function noBuffers(d: GatedDims): GatedSaved[] {
  return d.layers.map(() => ({
    ...{ x: 0, maskOut: 0, xNext: 0, win: 0, u: 0, g: 0 },
    ...{ h: 0, h0: 0, c0: 0, c: 0, tc: 0, m: 0 },
  }));
}

function noScratch(d: GatedDims): GatedForwardScratch[] {
  return d.layers.map(() => ({ bias: 0, biasRec: 0, step: 0 }));
}

function noGrads(d: GatedDims): GatedGradBlocks[] {
  return d.layers.map(() => ({
    ...{ dY: 0, ut: 0, wint: 0, dh: 0, dc: 0, dq: 0 },
    ...{ dwin: 0, du: 0, db: 0 },
  }));
}
