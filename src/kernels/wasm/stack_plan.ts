/**
 * The plan of a SimpleRNN stack's passes in the kernels' module: each layer's sizes and options
 * as the kernels take them, the batch's shares, and the kernel calls of each pass (forward over
 * every layer, backward from the last; the weights' gradients are stack_weight_grads.ts's),
 * given where the buffers are. The op (simple_rnn_sequence.ts) and the training step that keeps
 * its weights in the kernels' memory (stack_trainer.ts) run the same calls.
 */
import type { StateTap } from '../state_taps';
import type * as tf from '@tensorflow/tfjs';
import type { SimpleRnnSequenceOptions, SimpleRnnWeights } from '../simple_rnn_reference';
import { activationCode, padded, planSlices } from './buffers';
import { inputGradTarget, toBatchMajor, toTimeMajor } from './stack_moves';
import { CALL_INTS, jobSlots, type KernelCall } from './pool';
import type { HeadDims } from './stack_head';

/** What errors name: the function the caller called. */
export type Subject = 'wasmSimpleRnnStack' | 'wasmSimpleRnnSequence';

/** Inputs of fewer features than this get their projection in the forward epilogue. */
export const FUSED_PROJECTION_BELOW = 4;

/** One layer of a stack: its weights and its options. */
export interface SimpleRnnStackLayer {
  weights: SimpleRnnWeights;
  options: SimpleRnnSequenceOptions;
  /**
   * Multiplies this layer's output sequence element by element before the next layer reads it
   * (a Dropout layer between the two, already scaled): [batch, timesteps, units]. Not on the
   * last layer.
   */
  outputMask?: tf.Tensor;
  /** Where its backward pass reports the gradients of its states (see state_taps.ts). */
  stateTap?: StateTap;
}

/** One layer's sizes and options, as the kernels take them. */
export interface LayerDims {
  features: number;
  units: number;
  /** x's row stride in floats: the first layer's dense copy, else the ld of the layer before. */
  xStride: number;
  /** Row strides in floats: features and units rounded up to a multiple of 4. */
  ldf: number;
  ld: number;
  act: number;
  goBackwards: boolean;
  returnSequences: boolean;
  hasBias: boolean;
  hasInitialState: boolean;
  hasMask: boolean;
  hasInputMask: boolean;
  hasOutputMask: boolean;
  /** Keras's step mask: masked steps keep the state (the backward pass takes a scratch). */
  hasStepMask: boolean;
  /** Few features: the projection is computed in the forward epilogue. */
  fusedProjection: boolean;
}

export interface Dims {
  subject: Subject;
  batch: number;
  steps: number;
  layers: LayerDims[];
  /** [first row, rows] of each share of the batch. */
  slices: [number, number][];
  /** A Dense layer on the last state, in the same op (see stack_head.ts). */
  head?: HeadDims;
}

/** Byte offsets of what one layer's forward pass keeps for its gradient (0 = none). */
export interface LayerSaved {
  /**
   * The input, time-major: the first layer's own copy (input mask applied), else the H before
   * (times the output mask of the layer before, in a copy, when it has one).
   */
  x: number;
  /** The output mask, batch-major and dense, as tfjs has it. */
  maskOut: number;
  /** The next layer's input when this layer has an output mask: H times the mask. */
  xNext: number;
  win: number;
  w: number;
  h0: number;
  mask: number;
  maskIn: number;
  /** P, then dP. */
  p: number;
  h: number;
  /** The step mask [B, T] as tfjs has it, one block for the layers that share a mask tensor. */
  stepMask: number;
}

/** The calls of one share of the forward pass: every layer, first to last. */
export function forwardCalls(
  d: Dims,
  s: readonly LayerSaved[],
  layerBlocks: readonly { bias: number; hm: number; ring: boolean }[],
  xBatchMajor: number,
  sequence: number,
  [b0, nb]: [number, number],
): KernelCall[] {
  const { batch, steps } = d;
  const first = d.layers[0];
  const firstSaved = s[0];
  // The kernels read x time-major: each step's rows contiguous.
  const calls: KernelCall[] = [
    toTimeMajor(xBatchMajor, [batch, steps, first.features], firstSaved.x, first.features, [
      b0,
      nb,
    ]),
  ];
  d.layers.forEach((l, i) => {
    const saved = s[i];
    const blocks = layerBlocks[i];
    if (!l.fusedProjection) {
      calls.push({
        fn: 'project',
        args: [
          steps,
          batch,
          l.features,
          l.xStride,
          l.ld,
          l.ld,
          b0,
          nb,
          saved.x,
          saved.win,
          blocks.bias,
          saved.p,
        ],
      });
    }
    calls.push({
      fn: 'simpleRnnForward',
      args: [
        l.act,
        steps,
        batch,
        l.units,
        l.ld,
        b0,
        nb,
        l.goBackwards ? 1 : 0,
        blocks.ring ? 1 : 0,
        saved.p,
        saved.w,
        saved.h0,
        saved.mask,
        saved.h,
        blocks.hm,
        // With few features the forward pass computes the projection in its epilogue: writing
        // P and reading it back cost more than the products (stock's first layer, one feature).
        l.fusedProjection ? l.features : 0,
        l.xStride,
        saved.x,
        saved.win,
        blocks.bias,
        saved.stepMask,
      ],
    });
    if (l.hasOutputMask) {
      calls.push({
        fn: 'multiplySequenceMask',
        args: [saved.h, saved.xNext, saved.maskOut, steps, batch, l.units, l.ld, b0, b0 + nb],
      });
    }
  });
  const last = d.layers.at(-1);
  const lastSaved = s.at(-1);
  if (sequence !== 0 && last !== undefined && lastSaved !== undefined) {
    calls.push(toBatchMajor(lastSaved.h, [batch, steps, last.units], last.ld, sequence, [b0, nb]));
  }
  return calls;
}

/** One layer's buffers in the backward pass. */
export interface LayerGradBlocks {
  /** The gradient of every state (or of the last), time-major: [T, B, ld] (or [B, ld]). */
  dY: number;
  wt: number;
  wint: number;
  dh0: number;
  dw: number;
  dwin: number;
  db: number;
  /** [B, ld] scratch with a step mask: the gradient that passes a masked step. */
  carry: number;
  /** [T, B, ld] in processing order, when gradientFlow records the layer (else 0): see rec. */
  rec: number;
}

/** The calls of one share of the backward pass: every layer, last to first. */
export function backwardCalls(
  d: Dims,
  s: readonly LayerSaved[],
  g: readonly LayerGradBlocks[],
  dyDense: number,
  dx: number,
  [b0, nb]: [number, number],
): KernelCall[] {
  const { batch, steps } = d;
  const calls: KernelCall[] = [];
  const last = d.layers.at(-1);
  const lastGrads = g.at(-1);
  if (dyDense !== 0 && last !== undefined && lastGrads !== undefined) {
    calls.push(toTimeMajor(dyDense, [batch, steps, last.units], lastGrads.dY, last.ld, [b0, nb]));
  }
  for (let i = d.layers.length - 1; i >= 0; i--) {
    const l = d.layers[i];
    const saved = s[i];
    const grads = g[i];
    // The input's gradient: tfjs's batch-major dx for the first layer, else the gradient of
    // the layer before's states, time-major where its backward pass reads it.
    const [dest, rowStride, stepStride] = inputGradTarget(i, dx, g[i - 1]?.dY ?? 0, [
      batch,
      steps,
      l.ldf,
    ]);
    calls.push({
      fn: 'simpleRnnBackward',
      args: [
        l.act,
        steps,
        batch,
        l.units,
        l.ld,
        b0,
        nb,
        l.goBackwards ? 1 : 0,
        l.returnSequences ? 1 : 0,
        grads.dY,
        grads.wt,
        saved.mask,
        saved.h,
        saved.p,
        grads.dh0,
        saved.stepMask,
        grads.carry,
        grads.rec,
      ],
    });
    // dx 0: the first layer's input needs no gradient (training data).
    if (dest !== 0) {
      calls.push({
        fn: 'projectInputGrad',
        args: [
          steps,
          batch,
          l.ldf,
          l.units,
          l.ld,
          b0,
          nb,
          saved.p,
          grads.wint,
          saved.maskIn,
          dest,
          rowStride,
          stepStride,
        ],
      });
    }
    const previous = d.layers[i - 1] as LayerDims | undefined;
    if (previous?.hasOutputMask === true) {
      // The layer before's output went through its mask: so does the gradient of its states.
      const prev = g[i - 1];
      calls.push({
        fn: 'multiplySequenceMask',
        args: [
          prev.dY,
          prev.dY,
          s[i - 1].maskOut,
          steps,
          batch,
          previous.units,
          previous.ld,
          b0,
          b0 + nb,
        ],
      });
    }
  }
  return calls;
}

/**
 * Job-list slots of one share's job, by the stack's shape: which layers fuse their projection or
 * mask their output, and whether the last returns sequences (the calls' arguments are fixed).
 */
const slotsByShape = new Map<string, number>();

/** The most job-list slots one share's job takes in either pass over the batch. */
export function shareSlots(d: Dims): number {
  const last = d.layers.at(-1);
  const perLayer = d.layers.map(
    (l) => `${l.fusedProjection ? 'f' : 'p'}${l.hasOutputMask ? 'm' : ''}`,
  );
  const shape = `${perLayer.join('')}${last?.returnSequences === true ? 's' : ''}`;
  const known = slotsByShape.get(shape);
  if (known !== undefined) return known;
  const none: LayerSaved[] = d.layers.map(() => ({
    x: 0,
    maskOut: 0,
    xNext: 0,
    win: 0,
    w: 0,
    h0: 0,
    mask: 0,
    maskIn: 0,
    p: 0,
    h: 0,
    stepMask: 0,
  }));
  const blocks = d.layers.map(() => ({ bias: 0, hm: 0, ring: false }));
  const grads = d.layers.map(() => ({
    dY: 0,
    wt: 0,
    wint: 0,
    dh0: 0,
    dw: 0,
    dwin: 0,
    db: 0,
    carry: 0,
    rec: 0,
  }));
  const whole: [number, number] = [0, d.batch];
  const slots = Math.max(
    jobSlots(forwardCalls(d, none, blocks, 0, 1, whole)),
    jobSlots(backwardCalls(d, none, grads, 1, 1, whole)),
  );
  slotsByShape.set(shape, slots);
  return slots;
}

/** The sizes of every layer, and the batch's shares for jobs that fit the job list. */
export function planDims(
  subject: Subject,
  [batch, steps, inputFeatures]: readonly [number, number, number],
  // Only whether a layer has an output mask matters here, not the mask.
  layers: readonly (Omit<SimpleRnnStackLayer, 'outputMask'> & { outputMask?: unknown })[],
  units: number[],
): Dims {
  let features = inputFeatures;
  let xStride = inputFeatures;
  let work = 0;
  const dims = layers.map(({ weights, options }, i): LayerDims => {
    const u = units[i] ?? 0;
    const l: LayerDims = {
      features,
      units: u,
      xStride,
      ldf: padded(features),
      ld: padded(u),
      act: activationCode(subject, options.activation),
      goBackwards: options.goBackwards,
      returnSequences: options.returnSequences,
      hasBias: weights.bias !== null,
      hasInitialState: options.initialState !== undefined,
      hasMask: options.recurrentMask !== undefined,
      hasInputMask: options.inputMask !== undefined,
      hasOutputMask: layers[i].outputMask !== undefined,
      hasStepMask: options.stepMask !== undefined,
      fusedProjection: features < FUSED_PROJECTION_BELOW,
    };
    work += steps * batch * u * (u + features);
    features = u;
    xStride = l.ld;
    return l;
  });
  const d: Dims = { subject, batch, steps, layers: dims, slices: [[0, batch]] };
  // A share's job is a call per layer and pass: a deep stack fits fewer shares in the job list.
  const slots = shareSlots(d);
  d.slices = planSlices(batch, work, Math.floor(CALL_INTS / slots));
  return d;
}
