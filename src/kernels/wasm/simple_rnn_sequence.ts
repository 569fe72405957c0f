/**
 * SimpleRNN layers as one WebAssembly call per pass: the input projection x·W + b, the
 * recurrence over every step, and in the backward pass every gradient (x, W, U, b, h0), for one
 * layer or for a stack of layers that each read every output step of the layer before. A
 * drop-in for `simpleRnnSequence` (same arguments, values and gradients) for the activations
 * tanh, sigmoid, relu and linear, that runs under any tfjs backend: the input is copied into
 * the kernels' memory once, batch-major as tfjs has it, and the outputs come back as new
 * tensors. What the backward pass needs stays in that memory (see buffers.ts for its lifetime).
 *
 * In a stack, the sequence between two layers never leaves the kernels' memory: the next
 * layer reads the states of the one before as its input, and its input gradient is written
 * where the layer before reads the gradient of its states. Each thread takes a share of the
 * batch through every layer in one job (rows are independent), so a stack costs one pass over
 * the threads forward, one backward and one for the weights' gradients, however many layers.
 */
import * as tf from '@tensorflow/tfjs';
import {
  type SimpleRnnSequenceOptions,
  type SimpleRnnSequenceResult,
  type SimpleRnnWeights,
  resultWithLazyState,
} from '../simple_rnn_reference';
import {
  RELEASED_MESSAGE,
  allocate,
  freeAll,
  keepForGradient,
  release,
  releaseFinishedTapes,
  tensorFromRows,
  writeRows,
  type Blocks,
  type KeptBuffers,
} from './buffers';
import type { StateTap } from '../state_taps';
import { checkSimpleRnnStack } from './simple_rnn_checks';
import { recordBytes, reportStateRecords } from './state_records';
import { runWeightGradJobs, writeStepMasks } from './stack_moves';
import { kernelRuntime, runJobs, type KernelRuntime } from './runtime';
import {
  type HeadGradBlocks,
  type HeadSaved,
  type SimpleRnnStackHead,
  headBackward,
  headDims,
  headForward,
  headGradTensors,
} from './stack_head';
import {
  type Dims,
  type LayerGradBlocks,
  type LayerSaved,
  type SimpleRnnStackLayer,
  type Subject,
  backwardCalls,
  forwardCalls,
  planDims,
} from './stack_plan';
import { weightGradJobs } from './stack_weight_grads';
import { tensorFrom, valuesOf } from './tensors';

export type { SimpleRnnStackLayer } from './stack_plan';

interface Saved {
  layers: LayerSaved[];
  head?: HeadSaved;
  kept: KeptBuffers;
}

/** One layer's tensors in the forward pass. */
interface LayerInputs {
  maskOut?: tf.Tensor;
  kernel: tf.Tensor;
  recurrentKernel: tf.Tensor;
  bias?: tf.Tensor;
  h0?: tf.Tensor;
  mask?: tf.Tensor;
  maskIn?: tf.Tensor;
  /** Keras's step mask [batch, steps]. */
  stepMask?: tf.Tensor;
}

/** Allocates `sizes` (see allocate) and records the blocks in `owned`, for one cleanup. */
function allocateOwned<const S extends readonly number[]>(
  rt: KernelRuntime,
  owned: number[],
  sizes: S,
): Blocks<S> {
  const blocks = allocate(rt, sizes);
  owned.push(...blocks);
  return blocks;
}

function forward(
  rt: KernelRuntime,
  d: Dims,
  x: tf.Tensor,
  inputs: readonly LayerInputs[],
  headInputs: { kernel: tf.Tensor; bias?: tf.Tensor } | undefined,
  keep: boolean,
): { value: tf.Tensor; saved: Saved | undefined } {
  const { batch, steps, layers } = d;
  const first = layers[0];
  const last = layers.at(-1);
  if (last === undefined) throw new Error(`${d.subject}: no layers.`);
  const owned: number[] = [];
  try {
    const [x0, xBatchMajor] = allocateOwned(rt, owned, [
      // 16 bytes past the end: the input-kernel gradient reads x 4 floats at a time.
      batch * steps * first.features * 4 + 16,
      batch * steps * first.features * 4,
    ]);
    const saved: LayerSaved[] = [];
    const layerBlocks: { bias: number; hm: number; ring: boolean }[] = [];
    let sequence = 0;
    const stepMasks = writeStepMasks(
      rt,
      inputs.map((t) => t.stepMask),
      owned,
    );
    layers.forEach((l, i) => {
      const row = l.ld * 4;
      const isLast = i === layers.length - 1;
      // Only the last layer's states can live in a ring of two: the others feed the next.
      const ring = isLast && !keep && !l.returnSequences;
      const [win, w, h0, mask, maskIn, p, h, bias, hm, maskOut, xNext] = allocateOwned(rt, owned, [
        l.features * row,
        l.units * row,
        batch * row,
        l.hasMask ? batch * row : 0,
        l.hasInputMask ? batch * l.ldf * 4 : 0,
        steps * batch * row,
        (ring ? 2 : steps) * batch * row,
        l.hasBias ? row : 0,
        l.hasMask ? 2 * batch * row : 0,
        l.hasOutputMask ? batch * steps * l.units * 4 : 0,
        l.hasOutputMask ? steps * batch * row : 0,
      ]);
      const before = saved.at(-1);
      const x = before === undefined ? x0 : before.xNext !== 0 ? before.xNext : before.h;
      saved.push({ x, maskOut, xNext, win, w, h0, mask, maskIn, p, h, stepMask: stepMasks[i] });
      layerBlocks.push({ bias, hm, ring });
      if (isLast && l.returnSequences) {
        // The batch-major copy of every state that tfjs gets back: each thread writes its own
        // rows once its steps are done.
        [sequence] = allocateOwned(rt, owned, [batch * steps * l.units * 4]);
      }
    });
    rt.heap.f32.set(valuesOf(x), xBatchMajor >> 2);
    layers.forEach((l, i) => {
      const s = saved[i];
      const blocks = layerBlocks[i];
      const t = inputs[i];
      if (t.maskIn !== undefined) {
        writeRows(rt, s.maskIn, valuesOf(t.maskIn), batch, l.features, l.ldf);
        rt.exports.maskInputs(xBatchMajor, batch, steps, l.features, s.maskIn, l.ldf);
      }
      writeRows(rt, s.win, valuesOf(t.kernel), l.features, l.units, l.ld);
      writeRows(rt, s.w, valuesOf(t.recurrentKernel), l.units, l.units, l.ld);
      if (t.bias !== undefined) writeRows(rt, blocks.bias, valuesOf(t.bias), 1, l.units, l.ld);
      if (t.h0 !== undefined) writeRows(rt, s.h0, valuesOf(t.h0), batch, l.units, l.ld);
      else rt.heap.f32.fill(0, s.h0 >> 2, (s.h0 >> 2) + batch * l.ld);
      if (t.mask !== undefined) writeRows(rt, s.mask, valuesOf(t.mask), batch, l.units, l.ld);
      if (t.maskOut !== undefined) rt.heap.f32.set(valuesOf(t.maskOut), s.maskOut >> 2);
    });
    runJobs(
      rt,
      d.slices.map((slice) => forwardCalls(d, saved, layerBlocks, xBatchMajor, sequence, slice)),
    );
    const lastBlocks = layerBlocks.at(-1);
    const lastSaved = saved.at(-1);
    if (lastBlocks === undefined || lastSaved === undefined)
      throw new Error(`${d.subject}: no layers.`);
    const row = last.ld * 4;
    const lastStep = lastBlocks.ring ? (steps - 1) & 1 : steps - 1;
    const lastStates = lastSaved.h + lastStep * batch * row;
    const head =
      d.head !== undefined && headInputs !== undefined
        ? headForward(rt, d.head, batch, lastStates, headInputs.kernel, headInputs.bias, owned)
        : undefined;
    const value: tf.Tensor =
      head !== undefined
        ? head.value
        : sequence !== 0
          ? tensorFrom<tf.Rank.R3>(
              rt.heap.f32.subarray(sequence >> 2, (sequence >> 2) + batch * steps * last.units),
              [batch, steps, last.units],
            )
          : tensorFromRows<tf.Rank.R2>(rt, lastStates, batch, last.units, last.ld, [
              batch,
              last.units,
            ]);
    const scratch = [xBatchMajor, sequence, ...layerBlocks.flatMap((b) => [b.bias, b.hm])];
    freeAll(rt, scratch);
    const keptBuffers = owned.filter((ptr) => !scratch.includes(ptr));
    owned.length = 0;
    if (!keep) {
      freeAll(rt, keptBuffers);
      return { value, saved: undefined };
    }
    return {
      value,
      saved: { layers: saved, head: head?.saved, kept: keepForGradient(keptBuffers) },
    };
  } catch (err) {
    freeAll(rt, owned);
    throw err;
  }
}

/** The gradients by x, then each layer's kernel, recurrent kernel, bias and h0 (when inputs). */
function backward(
  rt: KernelRuntime,
  d: Dims,
  s: Saved,
  dyTensor: tf.Tensor,
  taps: readonly (StateTap | undefined)[],
): tf.Tensor[] {
  if (s.kept.released) throw new Error(`${d.subject}: ${RELEASED_MESSAGE}`);
  const { batch, steps, layers } = d;
  const first = layers[0];
  const last = layers.at(-1);
  const owned: number[] = [];
  try {
    if (last === undefined) throw new Error(`${d.subject}: no layers.`);
    const [dyDense, dx] = allocateOwned(rt, owned, [
      last.returnSequences ? batch * steps * last.units * 4 : 0,
      batch * steps * first.ldf * 4,
    ]);
    const grads: LayerGradBlocks[] = layers.map((l, i) => {
      const row = l.ld * 4;
      // Every layer but the last gets the gradient of all of its states from the next one.
      const dyRows = i < layers.length - 1 || l.returnSequences ? steps * batch : batch;
      const [dY, wt, wint, dh0, dw, dwin, db, carry, rec] = allocateOwned(rt, owned, [
        dyRows * row,
        l.units * row,
        l.units * l.ldf * 4,
        // The initial state's gradient only where the layer was given one (0: not computed).
        l.hasInitialState ? batch * row : 0,
        l.ld * row,
        l.ldf * row,
        l.hasBias ? row : 0,
        l.hasStepMask ? batch * row : 0,
        recordBytes(taps[i], [steps, batch, l.ld]),
      ]);
      return { dY, wt, wint, dh0, dw, dwin, db, carry, rec };
    });
    const lastGrads = grads.at(-1);
    if (lastGrads === undefined) throw new Error(`${d.subject}: no layers.`);
    let headGrads: HeadGradBlocks | undefined;
    if (d.head !== undefined && s.head !== undefined) {
      // dy is the head's: it writes the last states' gradient.
      headGrads = headBackward(rt, d.head, batch, s.head, dyTensor, lastGrads.dY, owned);
    } else if (last.returnSequences) {
      // With returnSequences each thread puts its rows of dy time-major first (backwardCalls).
      rt.heap.f32.set(valuesOf(dyTensor), dyDense >> 2);
    } else {
      writeRows(rt, lastGrads.dY, valuesOf(dyTensor), batch, last.units, last.ld);
    }
    layers.forEach((l, i) => {
      const saved = s.layers[i];
      const g = grads[i];
      rt.exports.transposePacked(saved.w, l.units, l.units, l.ld, g.wt, l.ld);
      rt.exports.transposePacked(saved.win, l.features, l.units, l.ld, g.wint, l.ldf);
    });
    // BPTT and the inputs' gradients split the batch (rows are independent) ...
    runJobs(
      rt,
      d.slices.map((slice) => backwardCalls(d, s.layers, grads, dyDense, dx, slice)),
    );
    // ... then the weights' gradients split their rows, so that every sum runs in one order
    // whichever thread runs it.
    runWeightGradJobs(rt, weightGradJobs(d, s.layers, grads));
    reportStateRecords(
      rt,
      layers.map((l, i) => {
        const tap = taps[i];
        return tap && { tap, h: grads[i].rec, c: 0, units: l.units, ld: l.ld };
      }),
      steps,
      batch,
    );
    const out: tf.Tensor[] = [
      tensorFromRows<tf.Rank.R3>(rt, dx, batch * steps, first.features, first.ldf, [
        batch,
        steps,
        first.features,
      ]),
    ];
    layers.forEach((l, i) => {
      const g = grads[i];
      out.push(
        tensorFromRows<tf.Rank.R2>(rt, g.dwin, l.features, l.units, l.ld, [l.features, l.units]),
        tensorFromRows<tf.Rank.R2>(rt, g.dw, l.units, l.units, l.ld, [l.units, l.units]),
      );
      if (l.hasBias) {
        out.push(tensorFromRows<tf.Rank.R1>(rt, g.db, 1, l.units, l.ld, [l.units]));
      }
      if (l.hasInitialState) {
        out.push(tensorFromRows<tf.Rank.R2>(rt, g.dh0, batch, l.units, l.ld, [batch, l.units]));
      }
    });
    if (d.head !== undefined && headGrads !== undefined) {
      out.push(...headGradTensors(rt, d.head, headGrads));
    }
    return out;
  } finally {
    freeAll(rt, owned);
    release(rt, s.kept);
  }
}

/**
 * Runs SimpleRNN layers one after another over every step of `x` [batch, timesteps,
 * features]: each layer's h_t = act(x_t · W + h_{t-1} · U + b) with its own options (see
 * `simpleRnnSequence`), the next layer reading every state of the one before. Every layer but
 * the last must return sequences, and only the first may have an input mask. Returns the last
 * layer's output; with `head` (a Dense layer's kernel and bias, the last layer not returning
 * sequences), that Dense layer's x · kernel + bias of it instead (see stack_head.ts). Step
 * masks as in `wasmGatedStack` (the head reads the last states, which a masked step carries).
 * Differentiable with respect to x, every weight and every initial state; the masks are
 * constants. Throws when the kernels cannot load (see `wasmKernelAvailable`) or for an
 * activation other than tanh, sigmoid, relu and linear.
 */
export function wasmSimpleRnnStack(
  x: tf.Tensor3D,
  layers: readonly SimpleRnnStackLayer[],
  head?: SimpleRnnStackHead,
): tf.Tensor {
  return runStack('wasmSimpleRnnStack', x, layers, head);
}

function runStack(
  subject: Subject,
  x: tf.Tensor3D,
  layers: readonly SimpleRnnStackLayer[],
  head?: SimpleRnnStackHead,
): tf.Tensor {
  const rt = kernelRuntime();
  const units = checkSimpleRnnStack(subject, x, layers);
  const d = planDims(subject, x.shape, layers, units);
  if (head !== undefined) {
    d.head = headDims(
      subject,
      head,
      units.at(-1) ?? 0,
      layers.at(-1)?.options.returnSequences ?? false,
    );
  }
  releaseFinishedTapes(rt);
  // Without a tape nothing will ask for the gradient: keep nothing.
  const keep = tf.engine().isTapeOn();
  const taps = layers.map((layer) => layer.stateTap);
  const differentiable: tf.Tensor[] = [x];
  for (const { weights, options } of layers) {
    differentiable.push(weights.kernel, weights.recurrentKernel);
    if (weights.bias !== null) differentiable.push(weights.bias);
    if (options.initialState !== undefined) differentiable.push(options.initialState);
  }
  if (head !== undefined) {
    differentiable.push(head.kernel);
    if (head.bias !== null) differentiable.push(head.bias);
  }
  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const tensors = args.slice(0, differentiable.length) as tf.Tensor[];
    const [xs, ...rest] = tensors;
    const inputs = layers.map(({ weights, options, outputMask }): LayerInputs => {
      const [kernel, recurrentKernel] = rest.splice(0, 2) as [tf.Tensor, tf.Tensor];
      return {
        kernel,
        recurrentKernel,
        bias: weights.bias !== null ? rest.shift() : undefined,
        h0: options.initialState !== undefined ? rest.shift() : undefined,
        mask: options.recurrentMask,
        maskIn: options.inputMask,
        maskOut: outputMask,
        stepMask: options.stepMask,
      };
    });
    const headInputs =
      head === undefined
        ? undefined
        : {
            kernel: rest.shift() as tf.Tensor,
            bias: head.bias !== null ? rest.shift() : undefined,
          };
    const { value, saved } = forward(rt, d, xs, inputs, headInputs, keep);
    return {
      value,
      gradFunc: (dy: tf.Tensor) => {
        if (saved === undefined) throw new Error(`${subject}: ${RELEASED_MESSAGE}`);
        return backward(rt, d, saved, dy, taps);
      },
    };
  });
  return run(...differentiable);
}

/**
 * Runs the SimpleRNN layer's recurrence over every step of `x` [batch, timesteps, features]:
 * h_t = act(x_t · W + h_{t-1} · U + b), with the options of `simpleRnnSequence`. Differentiable
 * with respect to x, the weights and the initial state; the masks are constants. Throws when
 * the kernels cannot load (see `wasmKernelAvailable`) or for an activation other than tanh,
 * sigmoid, relu and linear.
 */
export function wasmSimpleRnnSequence(
  x: tf.Tensor3D,
  weights: SimpleRnnWeights,
  options: SimpleRnnSequenceOptions,
): SimpleRnnSequenceResult {
  const output = runStack('wasmSimpleRnnSequence', x, [{ weights, options }]);
  if (!options.returnSequences) return { output, state: output as tf.Tensor2D };
  return resultWithLazyState(output, () => lastStep(output as tf.Tensor3D));
}

/**
 * x[:, T - 1, :] of a [B, T, U] tensor, copied row by row: tf.slice costs ~24 ms a batch on
 * the cpu backend for the stock model's first layer.
 */
function lastStep(sequence: tf.Tensor3D): tf.Tensor2D {
  const [batch, steps, units] = sequence.shape;
  const pick = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const values = valuesOf(args[0] as tf.Tensor);
    const last = new Float32Array(batch * units);
    for (let b = 0; b < batch; b++) {
      const from = (b * steps + steps - 1) * units;
      for (let j = 0; j < units; j++) last[b * units + j] = values[from + j] ?? 0;
    }
    return {
      value: tf.tensor2d(last, [batch, units]),
      gradFunc: (dy: tf.Tensor) => {
        const g = valuesOf(dy);
        const full = new Float32Array(batch * steps * units);
        for (let b = 0; b < batch; b++) {
          const to = (b * steps + steps - 1) * units;
          for (let j = 0; j < units; j++) full[to + j] = g[b * units + j] ?? 0;
        }
        return tf.tensor3d(full, [batch, steps, units]);
      },
    };
  });
  return pick(sequence) as tf.Tensor2D;
}
