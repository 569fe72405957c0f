/**
 * The plan of a stack of recurrent layers of any kinds (LSTM, GRU, and SimpleRNN among them) in
 * the kernels' module: each layer's sizes as the kernels take them, the batch's shares, where the
 * buffers are, and the kernel calls of each pass (forward over every layer, backward from the
 * last, over the batch's shares; the weights' gradients over blocks of their columns). A layer reads the states of the one
 * before in place (or their product with a Dropout mask between the two), and writes its input
 * gradient where the layer before reads the gradient of its states. The calls of each share are
 * gated_calls.ts's; the op that runs them is gated_sequence.ts.
 */
import { activationCode, padded, planSlices } from './buffers';
import { gatedBackwardCalls, gatedForwardCalls } from './gated_calls';
import { CALL_INTS, MAX_JOBS, jobSlots, type KernelCall } from './pool';
import { getThreads } from './runtime';

/** A layer's kind: a gated cell, or a SimpleRNN (one block of columns, no gates) among them. */
export type GatedKind = 'SimpleRNN' | 'LSTM' | 'GRU';

/** The smallest share of the batch of a stack with a step mask (see planGatedDims). */
const MASKED_SHARE_ROWS = 24;

/** Blocks of ld columns in a kind's kernels. */
export const GATES: Record<GatedKind, number> = { SimpleRNN: 1, LSTM: 4, GRU: 3 };

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
  /** Gates (4 LSTM, 3 GRU, 1 SimpleRNN), each a block of ld columns: gl = gates * ld. */
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
  /** Keras's implementation: 1 sums each gate's products on their own (bias with x · W_k). */
  implementation: 1 | 2;
  /** Implementation 1's dropout masks per gate: of h_{t-1}, and of x_t. */
  hasRecurrentMasks: boolean;
  hasInputMasks: boolean;
  /** Keras's step mask: masked steps keep the states (the backward pass takes a scratch). */
  hasStepMask: boolean;
  /** The states before the first step are inputs (else zeros): their gradients are computed. */
  hasInitialStates: boolean;
}

export interface GatedDims {
  batch: number;
  steps: number;
  layers: GatedLayerDims[];
  /** [first row, rows] of each share of the batch. */
  slices: [number, number][];
}

/** What planGatedDims needs of a layer: its dims' options, and its activations by name. */
export type GatedLayerPlan = Pick<
  GatedLayerDims,
  | 'kind'
  | 'units'
  | 'goBackwards'
  | 'returnSequences'
  | 'hasBias'
  | 'resetAfter'
  | 'hasOutputMask'
  | 'implementation'
  | 'hasRecurrentMasks'
  | 'hasInputMasks'
  | 'hasStepMask'
  | 'hasInitialStates'
> & { activation: string; recurrentActivation: string };

/**
 * Byte offsets of what a layer's forward pass keeps for the gradient (0 = none). LSTM: c0, c,
 * tc; GRU: m. A SimpleRNN's G is its projection P.
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
  /** Implementation 1's masks per gate: [gates, B, ld] of h_{t-1}, [gates, B, ldf] of x_t. */
  rmask: number;
  imask: number;
  /** The step mask [B, T] as tfjs has it, one block for the layers that share a mask tensor. */
  stepMask: number;
}

/** A layer's forward scratch: its biases and its per-step scratch (LSTM z, GRU q). */
export interface GatedForwardScratch {
  /** LSTM: the bias (added to z; with implementation 1 to x · W); GRU: b_in (to x · W). */
  bias: number;
  /** GRU resetAfter: b_rec. */
  biasRec: number;
  step: number;
  /** [B, ld]: h ⊙ r_k (recurrent masks). */
  hm: number;
  /** [T, B, features]: x ⊙ m_k (input masks). */
  xm: number;
  /**
   * With a step mask, the products over each step's running rows (see
   * kernels-src/running_rows.ts): rows, an i32 [B] list; packX [B, xStride] (x's running rows);
   * packA [B, gl] and packB [B, ld].
   */
  rows: number;
  packX: number;
  packA: number;
  packB: number;
}

/** A layer's buffers in the backward pass. */
export interface GatedGradBlocks {
  /** The gradient of every state (or of the last), time-major: [T, B, ld] (or [B, ld]). */
  dY: number;
  ut: number;
  wint: number;
  /**
   * [B, ld] each: LSTM dh (scratch) and dc (c_T's gradient in, c0's out); GRU dh, dPrev, dq
   * (scratch).
   */
  dh: number;
  dc: number;
  dq: number;
  /** [B, ld]: the gradient reaching h0 (with initial states; else 0). */
  dh0: number;
  dwin: number;
  du: number;
  /** [gl]; GRU resetAfter [2, gl]: b_in's gradient, then b_rec's. */
  db: number;
  /** Scratch of the gate-by-gate sums (implementation 1's masks): [B, ld] and [B, ldf]. */
  dh2: number;
  dxTmp: number;
  /** [B, ld] scratch with a step mask: the gradient that passes a masked step. */
  carry: number;
  /**
   * [T, B, ld] in processing order, when gradientFlow records the layer (else 0): the whole
   * gradient of every step's h (recH) and an LSTM's c (recC).
   */
  recH: number;
  recC: number;
  /**
   * With a step mask, the products over each step's running rows: rows, an i32 [B] list; packA
   * [B, gl], packB and packC [B, ld] (the recurrence's), packDx [B, ldf] (the input gradient's).
   * Each block has one row stride: the shares use their own rows of it at once.
   */
  rows: number;
  packA: number;
  packB: number;
  packC: number;
  packDx: number;
}

interface WeightGradJob {
  work: number;
  call: KernelCall;
}

/** [first column, columns] of `parts` parts of n columns, each a multiple of 8 but the last. */
function splitColumns(n: number, parts: number): [number, number][] {
  const per = Math.ceil(n / parts / 8) * 8;
  const out: [number, number][] = [];
  for (let j0 = 0; j0 < n; j0 += per) out.push([j0, Math.min(per, n - j0)]);
  return out;
}

/** What one weight's gradient sums over the steps: X_sᵀ · D_s, in blocks of columns. */
interface WeightGradient {
  /**
   * The states or inputs X: byte offset, row stride in floats, whether step s reads s - 1, and
   * then what step 0 reads (the initial states; 0: zeros, which add nothing).
   */
  x: [number, number, number, number];
  /** Its rows: the gradient's rows (X's width, padded). */
  rows: number;
  /** The gates' gradients D: byte offset, whether in the input's time order. */
  d: [number, number];
  /** The gradient C and the columns it covers (of gl). */
  c: number;
  columns: [number, number];
  /** The bias gradient summed over D's rows alongside (0: none). */
  db: number;
  /** A mask of X's rows (implementation 1's dropout of one gate): byte offset, stride in floats. */
  m: [number, number];
  /** X and D both in the input's time order (the input weights'): where the step mask is read. */
  inputOrder?: boolean;
}

/**
 * One layer's weight gradients, each split into `parts` blocks of columns: a part reads only
 * its own columns of the gates' gradients (splitting the rows instead made every part read all
 * of them: a stock LSTM layer's dW and dU ran ~7% slower on 2 threads).
 */
function layerWeightGradJobs(
  d: GatedDims,
  l: GatedLayerDims,
  s: GatedSaved,
  g: GatedGradBlocks,
  parts: number,
  allocateScratch: ScratchAllocator,
): WeightGradJob[] {
  const { batch, steps } = d;
  const { ld, ldf, gl } = l;
  const gb = l.goBackwards ? 1 : 0;
  const all: [number, number] = [0, gl];
  const maskRows = batch * 4;
  // The states before each step: h_{s-1}, h0 before the first (zeros unless given).
  const hPrev: WeightGradient['x'] = [s.h, ld, 1, l.hasInitialStates ? s.h0 : 0];
  /**
   * The gradient of a weight whose product reads x (states or inputs) for the columns `columns`:
   * one over them all, or with masks (implementation 1) one per gate, reading x ⊙ m_k.
   */
  const byGate = (
    grad: Omit<WeightGradient, 'm'>,
    masks: number,
    maskStride: number,
  ): WeightGradient[] => {
    if (masks === 0) return [{ ...grad, m: [0, 0] }];
    const [first, width] = grad.columns;
    return Array.from({ length: width / ld }, (_, k): WeightGradient => {
      const gate = first / ld + k;
      return {
        ...grad,
        columns: [first + k * ld, ld],
        m: [masks + gate * maskRows * maskStride, maskStride],
      };
    });
  };
  const grads: WeightGradient[] = [
    // dW = Σ x_tᵀ · dx_t (x and G both in the input's time order), and x's bias gradient (LSTM's
    // b, GRU's b_in).
    ...byGate(
      {
        ...{ x: [s.x, l.xStride, 0, 0], rows: ldf, d: [s.g, 0], c: g.dwin, columns: all },
        ...{ db: g.db, inputOrder: true },
      },
      s.imask,
      ldf,
    ),
  ];
  if (l.kind !== 'GRU') {
    // dU = Σ (h_{s-1} ⊙ r)ᵀ · dz (a SimpleRNN's dz is dP)
    grads.push(
      ...byGate({ x: hPrev, rows: ld, d: [s.g, 1], c: g.du, columns: all, db: 0 }, s.rmask, ld),
    );
  } else if (l.resetAfter) {
    // dU = Σ h_{s-1}ᵀ · dm, and b_rec's gradient Σ dm.
    const dbRec = g.db !== 0 ? g.db + gl * 4 : 0;
    grads.push(
      ...byGate({ x: hPrev, rows: ld, d: [s.m, 0], c: g.du, columns: all, db: dbRec }, s.rmask, ld),
    );
  } else {
    // U_zr's gradient pairs h_{s-1} with dm_zr (G's first two blocks); U_h's pairs r ⊙ h (M's
    // third block, the mask already in it) with da (G's third).
    const third = 2 * ld;
    grads.push(
      ...byGate(
        { x: hPrev, rows: ld, d: [s.g, 1], c: g.du, columns: [0, third], db: 0 },
        s.rmask,
        ld,
      ),
      {
        x: [s.m + third * 4, gl, 0, 0],
        m: [0, 0],
        rows: ld,
        d: [s.g, 1],
        c: g.du,
        columns: [third, ld],
        db: 0,
      },
    );
  }
  return grads.flatMap(
    ({
      x: [x, xStride, previous, x0],
      m: [mask, maskStride],
      rows,
      d: [dPtr, dTimeOrder],
      c,
      columns,
      db,
      inputOrder,
    }) =>
      splitColumns(columns[1], parts).map(([j, n]): WeightGradJob => {
        const j0 = (columns[0] + j) * 4;
        const head = [steps, batch, gb, 0, rows, n, x, xStride, previous, x0] as const;
        const tail = [dPtr + j0, gl, dTimeOrder, c + j0, gl, db !== 0 ? db + j0 : 0] as const;
        if (s.stepMask !== 0 && mask === 0) {
          // Over each step's running rows, gathered into blocks of the job's own.
          const [list, packX, packD] = allocateScratch([
            batch * 4,
            batch * xStride * 4 + 16,
            batch * n * 4,
          ]);
          return {
            work: rows * n,
            call: {
              fn: 'weightGradRunning',
              args: [...head, ...tail, s.stepMask, inputOrder === true ? 1 : 0, list, packX, packD],
            },
          };
        }
        return {
          work: rows * n,
          call: { fn: 'weightGrad', args: [...head, mask, maskStride, ...tail] },
        };
      }),
  );
}

/** One stack's plan and buffers in the backward pass. */
export interface GatedStackGrads {
  d: GatedDims;
  s: readonly GatedSaved[];
  g: readonly GatedGradBlocks[];
}

/** Allocates blocks of these sizes in bytes for one job, freed with the pass; their offsets. */
export type ScratchAllocator = (sizes: readonly number[]) => number[];

/**
 * Every layer's weight-gradient jobs of independent stacks that share the threads, longest
 * first: each matrix split into one part of columns per thread, every element summed over
 * (t, b) in one order, whichever thread runs it. A job over a step mask's running rows gets its
 * scratch from `allocateScratch`.
 */
export function gatedWeightGradJobs(
  stacks: readonly GatedStackGrads[],
  allocateScratch: ScratchAllocator,
): KernelCall[][] {
  const jobs = stacks.flatMap(({ d, s, g }) => {
    const parts = Math.max(1, Math.min(getThreads(), d.slices.length));
    return d.layers.flatMap((l, i) =>
      layerWeightGradJobs(d, l, s[i], g[i], parts, allocateScratch),
    );
  });
  jobs.sort((a, b) => b.work - a.work);
  return jobs.map((j) => [j.call]);
}

/**
 * A stack's dims and shares, for x of shape [batch, steps, features]. When `stacks`
 * independent stacks share one pass, each gets its part of the job list, and its shares are
 * planned for all the threads still: each stack as one share (one thread each) ran no faster
 * here (a Bidirectional LSTM(64) on 2 threads), and shrinking shares let the threads finish
 * together when one of them is slowed by other work.
 */
export function planGatedDims(
  subject: string,
  [batch, steps, inputFeatures]: readonly [number, number, number],
  plans: readonly GatedLayerPlan[],
  stacks = 1,
): GatedDims {
  let features = inputFeatures;
  let xStride = inputFeatures;
  let work = 0;
  const layers = plans.map((p): GatedLayerDims => {
    const gates = GATES[p.kind];
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
      implementation: p.implementation,
      hasRecurrentMasks: p.hasRecurrentMasks,
      hasInputMasks: p.hasInputMasks,
      hasStepMask: p.hasStepMask,
      hasInitialStates: p.hasInitialStates,
    };
    work += steps * batch * gates * p.units * (p.units + features);
    features = p.units;
    xStride = ld;
    return l;
  });
  const d: GatedDims = { batch, steps, layers, slices: [[0, batch]] };
  // A share's job is a few calls per layer: a deep stack fits fewer shares in the job list.
  // Counted with the merged copies (see MergedSteps), the longest a stack's calls can take.
  const merged = { block: 1, width: 1, column: 0, reverse: false, zeroMask: 0 };
  const slots = Math.max(
    jobSlots(gatedForwardCalls(d, noBuffers(d), noScratch(d), 0, 1, [0, batch], merged)),
    jobSlots(gatedBackwardCalls(d, noBuffers(d), noGrads(d), 1, 1, [0, batch], merged)),
  );
  const maxShares = Math.min(Math.floor(CALL_INTS / stacks / slots), Math.floor(MAX_JOBS / stacks));
  // A masked stack's products gather each step's running rows of a share: in shares of 4 or 8
  // rows, a few rows a step and the tiles' 1-row tails. On the IMDB shape (2 threads,
  // alternating in one process, 16 rounds) the kernels took 22.9 ms a batch with shares down to
  // 8 rows, 22.2 with at least 16, 21.0 with 24 or 32; a small batch keeps a share per thread.
  const masked = plans.some((p) => p.hasStepMask);
  const minRows = masked ? Math.min(MASKED_SHARE_ROWS, Math.ceil(batch / getThreads())) : 4;
  d.slices = planSlices(batch, work, maxShares, minRows);
  return d;
}

function noBuffers(d: GatedDims): GatedSaved[] {
  return d.layers.map(() => ({
    ...{ x: 0, maskOut: 0, xNext: 0, win: 0, u: 0, g: 0 },
    ...{ h: 0, h0: 0, c0: 0, c: 0, tc: 0, m: 0, rmask: 0, imask: 0, stepMask: 0 },
  }));
}

function noScratch(d: GatedDims): GatedForwardScratch[] {
  return d.layers.map(() => ({
    ...{ bias: 0, biasRec: 0, step: 0, hm: 0, xm: 0 },
    ...{ rows: 0, packX: 0, packA: 0, packB: 0 },
  }));
}

function noGrads(d: GatedDims): GatedGradBlocks[] {
  return d.layers.map(() => ({
    ...{ dY: 0, ut: 0, wint: 0, dh: 0, dc: 0, dq: 0, dh0: 0 },
    ...{ dwin: 0, du: 0, db: 0, dh2: 0, dxTmp: 0, carry: 0, recH: 0, recC: 0 },
    ...{ rows: 0, packA: 0, packB: 0, packC: 0, packDx: 0 },
  }));
}
