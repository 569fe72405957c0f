/**
 * The kernel calls of one share of the batch in each pass over a stack of recurrent layers of
 * any kinds (see gated_plan.ts): forward over every layer, first to last; backward from the last,
 * each layer followed by its input's gradient.
 */
import type {
  GatedDims,
  GatedForwardScratch,
  GatedGradBlocks,
  GatedLayerDims,
  GatedSaved,
} from './gated_plan';
import type { KernelCall } from './pool';
import { type MergedSteps, fromMerged, toMerged } from './merged_steps';
import { inputGradTarget, toBatchMajor, toTimeMajor } from './stack_moves';

function forwardCall(
  d: GatedDims,
  l: GatedLayerDims,
  s: GatedSaved,
  f: GatedForwardScratch,
  [b0, nb]: [number, number],
): KernelCall {
  const { batch, steps } = d;
  const gb = l.goBackwards ? 1 : 0;
  if (l.kind === 'SimpleRNN') {
    // P is in G; its recurrent dropout mask (one) in rmask, h ⊙ mask through hm.
    return {
      fn: 'simpleRnnForward',
      args: [
        ...([l.act, steps, batch, l.units, l.ld, b0, nb, gb, 0, s.g, s.u, s.h0] as const),
        ...([s.rmask, s.h, f.hm, 0, l.xStride, s.x, s.win, 0, s.stepMask] as const),
      ],
    };
  }
  if (l.kind === 'LSTM') {
    return {
      fn: 'lstmForward',
      args: [
        l.act,
        l.recurrentAct,
        steps,
        batch,
        l.units,
        l.ld,
        b0,
        nb,
        gb,
        s.g,
        s.u,
        // Implementation 1 adds the bias to x · W (see projectionCalls).
        l.implementation === 2 ? f.bias : 0,
        s.h0,
        s.c0,
        f.step,
        s.h,
        s.c,
        s.tc,
        s.rmask,
        f.hm,
        s.stepMask,
        f.rows,
        f.packA,
        f.packB,
      ],
    };
  }
  return {
    fn: 'gruForward',
    args: [
      l.act,
      l.recurrentAct,
      steps,
      batch,
      l.units,
      l.ld,
      b0,
      nb,
      gb,
      l.resetAfter ? 1 : 0,
      s.g,
      s.u,
      f.biasRec,
      s.h0,
      s.m,
      f.step,
      s.h,
      s.rmask,
      f.hm,
      s.stepMask,
    ],
  };
}

/**
 * A layer's input projection x · W (+ bias) over every step: one product for every gate, or
 * with implementation 1's input masks one per gate, over x ⊙ m_k. LSTM's implementation 2 sums
 * x · W + h · U first, then the bias (Keras's order): its bias goes to the forward pass instead.
 */
function projectionCalls(
  d: GatedDims,
  l: GatedLayerDims,
  s: GatedSaved,
  f: GatedForwardScratch,
  [b0, nb]: [number, number],
): KernelCall[] {
  const { batch, steps } = d;
  const { features, ld, ldf, gl } = l;
  const bias = l.kind !== 'LSTM' || l.implementation === 1 ? f.bias : 0;
  if (!l.hasInputMasks) {
    const args = [
      steps,
      batch,
      features,
      l.xStride,
      gl,
      gl,
      b0,
      nb,
      s.x,
      s.win,
      bias,
      s.g,
    ] as const;
    // With a step mask, over each step's running rows only.
    return [
      l.hasStepMask
        ? { fn: 'projectRunning', args: [...args, s.stepMask, f.rows, f.packX, f.packA] }
        : { fn: 'project', args },
    ];
  }
  return Array.from({ length: l.gates }, (_, k): KernelCall[] => {
    const block = k * ld * 4;
    const mask = s.imask + k * batch * ldf * 4;
    return [
      {
        fn: 'maskSteps',
        args: [s.x, f.xm, mask, steps, batch, features, l.xStride, ldf, b0, nb],
      },
      {
        fn: 'project',
        args: [
          steps,
          batch,
          features,
          features,
          ld,
          gl,
          b0,
          nb,
          f.xm,
          s.win + block,
          bias !== 0 ? bias + block : 0,
          s.g + block,
        ],
      },
    ];
  }).flat();
}

/**
 * The calls of one share of the forward pass: every layer, first to last; the last one's
 * output steps into `sequence` (batch-major), or with `merged` into a shared sequence.
 */
export function gatedForwardCalls(
  d: GatedDims,
  s: readonly GatedSaved[],
  f: readonly GatedForwardScratch[],
  xBatchMajor: number,
  sequence: number,
  [b0, nb]: [number, number],
  merged?: MergedSteps,
): KernelCall[] {
  const { batch, steps } = d;
  const first = d.layers[0];
  // The kernels read x time-major: each step's rows contiguous.
  const calls: KernelCall[] = [
    toTimeMajor(xBatchMajor, [batch, steps, first.features], s[0].x, first.features, [b0, nb]),
  ];
  d.layers.forEach((l, i) => {
    const saved = s[i];
    const scratch = f[i];
    calls.push(
      ...projectionCalls(d, l, saved, scratch, [b0, nb]),
      forwardCall(d, l, saved, scratch, [b0, nb]),
    );
    if (l.hasOutputMask) {
      calls.push({
        fn: 'multiplySequenceMask',
        args: [saved.h, saved.xNext, saved.maskOut, steps, batch, l.units, l.ld, b0, b0 + nb],
      });
    }
  });
  const last = d.layers.at(-1);
  const lastSaved = s.at(-1);
  if (last !== undefined && lastSaved !== undefined) {
    if (merged !== undefined) {
      calls.push(toMerged(lastSaved.h, [batch, steps, last.units, last.ld], merged, [b0, nb]));
    } else if (sequence !== 0) {
      calls.push(
        toBatchMajor(lastSaved.h, [batch, steps, last.units], last.ld, sequence, [b0, nb]),
      );
    }
  }
  return calls;
}

function backwardCall(
  d: GatedDims,
  l: GatedLayerDims,
  s: GatedSaved,
  g: GatedGradBlocks,
  [b0, nb]: [number, number],
): KernelCall {
  const { batch, steps } = d;
  const gb = l.goBackwards ? 1 : 0;
  const rs = l.returnSequences ? 1 : 0;
  if (l.kind === 'SimpleRNN') {
    return {
      fn: 'simpleRnnBackward',
      args: [
        ...([l.act, steps, batch, l.units, l.ld, b0, nb, gb, rs, g.dY, g.ut, s.rmask] as const),
        ...([s.h, s.g, g.dh0, s.stepMask, g.carry, g.recH] as const),
      ],
    };
  }
  if (l.kind === 'LSTM') {
    return {
      fn: 'lstmBackward',
      args: [
        l.act,
        l.recurrentAct,
        steps,
        batch,
        l.ld,
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
        g.dh0,
        s.rmask,
        g.dh2,
        s.stepMask,
        g.carry,
        g.rows,
        g.packA,
        g.packB,
        g.packC,
        g.recH,
        g.recC,
      ],
    };
  }
  return {
    fn: 'gruBackward',
    args: [
      l.act,
      l.recurrentAct,
      steps,
      batch,
      l.ld,
      b0,
      nb,
      gb,
      rs,
      l.resetAfter ? 1 : 0,
      g.dY,
      g.ut,
      s.g,
      s.m,
      s.h,
      s.h0,
      g.dh,
      g.dc,
      g.dq,
      g.dh0,
      s.rmask,
      // h ⊙ r_h (reset before) is read before the gate-by-gate sums write dH2: one scratch.
      g.dh2,
      g.dh2,
      s.stepMask,
      g.carry,
      g.recH,
    ],
  };
}

/**
 * A layer's input gradient dx = dz · Wᵀ (over each step's running rows with a step mask), or
 * with implementation 1's input masks Σ_k (dz_k · W_kᵀ) ⊙ m_k; `dest` is where it goes, with
 * its row and step strides in floats.
 */
function inputGradCall(
  { batch, steps }: GatedDims,
  l: GatedLayerDims,
  s: GatedSaved,
  g: GatedGradBlocks,
  [b0, nb]: [number, number],
  [dest, rowStride, stepStride]: [number, number, number],
): KernelCall {
  if (l.hasInputMasks) {
    return {
      fn: 'gateInputGrad',
      args: [
        ...([steps, batch, l.ldf, l.ld, l.gates, b0, nb, s.g, g.wint, s.imask] as const),
        ...([dest, rowStride, stepStride, g.dxTmp] as const),
      ],
    };
  }
  // A SimpleRNN's sums run over its units, as in its own stack.
  const k = l.kind === 'SimpleRNN' ? l.units : l.gl;
  const head = [steps, batch, l.ldf, k, l.gl, b0, nb, s.g, g.wint] as const;
  if (l.hasStepMask) {
    return {
      fn: 'projectInputGradRunning',
      args: [...head, dest, rowStride, stepStride, s.stepMask, g.rows, g.packA, g.packDx],
    };
  }
  return { fn: 'projectInputGrad', args: [...head, 0, dest, rowStride, stepStride] };
}

/**
 * The calls of one share of the backward pass: every layer, last to first, each followed by
 * its input's gradient (tfjs's batch-major dx for the first layer, else the gradient of the
 * layer before's states, time-major, times its output mask when it has one).
 */
export function gatedBackwardCalls(
  d: GatedDims,
  s: readonly GatedSaved[],
  g: readonly GatedGradBlocks[],
  dyDense: number,
  dx: number,
  [b0, nb]: [number, number],
  merged?: MergedSteps,
): KernelCall[] {
  const { batch, steps } = d;
  const calls: KernelCall[] = [];
  const last = d.layers.at(-1);
  const lastGrads = g.at(-1);
  if (last !== undefined && lastGrads !== undefined) {
    if (merged !== undefined) {
      calls.push(fromMerged(merged, [batch, steps, last.units, last.ld], lastGrads.dY, [b0, nb]));
    } else if (dyDense !== 0) {
      calls.push(toTimeMajor(dyDense, [batch, steps, last.units], lastGrads.dY, last.ld, [b0, nb]));
    }
  }
  for (let i = d.layers.length - 1; i >= 0; i--) {
    const l = d.layers[i];
    const [dest, rowStride, stepStride] = inputGradTarget(i, dx, g[i - 1]?.dY ?? 0, [
      batch,
      steps,
      l.ldf,
    ]);
    calls.push(
      backwardCall(d, l, s[i], g[i], [b0, nb]),
      inputGradCall(d, l, s[i], g[i], [b0, nb], [dest, rowStride, stepStride]),
    );
    const before = d.layers[i - 1] as GatedLayerDims | undefined;
    if (before?.hasOutputMask === true) {
      // The layer before's output went through its mask: so does the gradient of its states.
      const dY = g[i - 1].dY;
      calls.push({
        fn: 'multiplySequenceMask',
        args: [dY, dY, s[i - 1].maskOut, steps, batch, before.units, before.ld, b0, b0 + nb],
      });
    }
  }
  return calls;
}
