/**
 * Training steps of a SimpleRNN stack with a Dense head, kept in the kernels' memory: the
 * weights and Adam's two slots stay there between batches, and a batch runs the same kernel
 * calls as the stack op's forward and backward passes (stack_plan.ts), the head's as the Dense
 * op's (dense.ts), Dropout masks multiplied in as the op and tf.mul multiply them, and Adam's
 * step as `wasmAdamStepValues`: the same values in the same order. What it saves, against a
 * step through tfjs with those ops, is the tensors between them, the tape, the weights' copies
 * in and out and the per-variable optimizer calls: 1.6-1.9 ms of a ~14 ms stock batch of 64
 * on the wasm backend.
 *
 * The loss and its gradient are the caller's (`LossGradient`), on the head's output, and so
 * are the masks (`TrainerMasks`); the caller also writes the weights and slots in before the
 * first step (`write`) and reads them out wherever tfjs code must see them (`read`).
 */
import { ValueError } from '../../errors';
import type { AdamStepConstants } from '../../optimizers/adam_step_values';
import { type Blocks, allocate, freeAll, writeRows } from './buffers';
import { denseGradientRows, denseProductRows, type DenseRows } from './dense';
import { kernelRuntime, getThreads, runJobs, type KernelRuntime } from './runtime';
import { headDims, type HeadDims, type SimpleRnnStackHead } from './stack_head';
import {
  type Dims,
  type LayerGradBlocks,
  type LayerSaved,
  type SimpleRnnStackLayer,
  backwardCalls,
  forwardCalls,
  planDims,
} from './stack_plan';
import { weightGradJobs } from './stack_weight_grads';
import { MAX_JOBS, type KernelCall } from './pool';

const SUBJECT = 'WasmStackTrainer';

/**
 * The loss of a batch and its gradient by the head's output: `output` is [rows, units] row by
 * row (dense), `rows` the batch's sample indices; writes the gradient into `gradient` (same
 * layout) and returns the loss.
 */
export type LossGradient = (
  output: Float32Array,
  rows: Int32Array,
  gradient: Float32Array,
) => number;

/** Fills a training mask (0 or the kept elements' scale) for one step. */
export type MaskFill = (out: Float32Array) => void;

/** The Dropout masks of a step, as the layers draw them. */
export interface TrainerMasks {
  /**
   * Per layer of the stack, the mask of its output sequence before the next layer reads it
   * ([batch, steps, units], batch-major); null for none, and always for the last layer.
   */
  outputs: readonly (MaskFill | null)[];
  /** The mask of the last states before the head ([batch, units]); null for none. */
  head: MaskFill | null;
}

/** Where a trained variable and its gradient and slots are: `rows` rows of `n` of stride `ld`. */
interface ResidentVariable {
  w: number;
  g: number;
  m: number;
  v: number;
  rows: number;
  n: number;
  ld: number;
}

/** A batch size's sizes and job lists. */
interface Plan {
  dims: Dims;
  forward: KernelCall[][];
  backward: KernelCall[][];
  weightGrads: KernelCall[][][];
}

/** Which array of a variable `read` and `write` mean. */
export type ResidentPart = 'variable' | 'momentum' | 'velocity';

export class WasmStackTrainer {
  private readonly owned: number[] = [];
  /** The stack's layers as planned: with an output mask where `masks` has one. */
  private readonly layers: readonly (Omit<SimpleRnnStackLayer, 'outputMask'> & {
    outputMask?: MaskFill;
  })[];
  private readonly saved: LayerSaved[] = [];
  private readonly blocks: { bias: number; hm: number; ring: boolean }[] = [];
  private readonly grads: LayerGradBlocks[] = [];
  /** Every trained variable: each layer's kernel, recurrent kernel and bias, then the head's. */
  private readonly variables: ResidentVariable[] = [];
  /** By batch size and thread count: the sizes, and the job lists of the three passes. */
  private readonly plans = new Map<string, Plan>();
  private readonly head: HeadDims;
  private readonly xBatchMajor: number;
  private readonly headX: number;
  private readonly headW: number;
  private readonly headB: number;
  private readonly headOut: number;
  private readonly headDy: number;
  private readonly headDw: number;
  private readonly headDb: number;
  private readonly headMask: Float32Array;
  private readonly output: Float32Array;
  private readonly gradient: Float32Array;
  private disposed = false;

  /**
   * Buffers for batches of up to `maxBatch` sequences of `steps` steps through `layers` (as
   * `wasmSimpleRnnStack` takes them, without masks or initial states) and `head`. The weights
   * in `layers` and `head` give only the shapes: `write` the values before the first step.
   */
  constructor(
    layers: readonly SimpleRnnStackLayer[],
    private readonly masks: TrainerMasks,
    headWeights: SimpleRnnStackHead,
    private readonly steps: number,
    private readonly maxBatch: number,
    private readonly lossGradient: LossGradient,
    private readonly rt: KernelRuntime = kernelRuntime(),
  ) {
    const units = layers.map(({ weights }) => (weights.kernel.shape as readonly number[])[1] ?? 0);
    for (const { options, outputMask } of layers) {
      if (
        options.initialState !== undefined ||
        options.inputMask !== undefined ||
        options.recurrentMask !== undefined ||
        options.stepMask !== undefined ||
        outputMask !== undefined
      ) {
        // A step mask (Keras's masking) is not among `masks`: a masked model trains through the
        // stack op, which takes one.
        throw new ValueError(
          `${SUBJECT}: takes no mask tensors and no initial states (masks come from \`masks\`).`,
        );
      }
    }
    if (masks.outputs.length !== layers.length || masks.outputs.at(-1) !== null) {
      throw new ValueError(
        `${SUBJECT}: expected an output mask or null for each of the ${layers.length} layers, null for the last; received ${masks.outputs.length}.`,
      );
    }
    this.layers = layers.map((l, i) => ({ ...l, outputMask: masks.outputs[i] ?? undefined }));
    this.head = headDims(SUBJECT, headWeights, units.at(-1) ?? 0, false);
    const d = this.dimsOf(maxBatch);
    const first = d.layers[0];
    const h = this.head;
    try {
      // Zeroed (the initial states, the padding lanes, which the kernels keep zero) unless
      // every step writes all of it first (zeroing the stock model's ~7 MB of those took ~1 ms).
      const alloc = <const S extends readonly number[]>(sizes: S, zero = true): Blocks<S> => {
        const blocks = allocate(this.rt, sizes);
        this.owned.push(...blocks);
        if (zero) {
          blocks.forEach((ptr, i) => {
            if (ptr !== 0) this.rt.heap.f32.fill(0, ptr >> 2, (ptr >> 2) + (sizes[i] >> 2));
          });
        }
        return blocks;
      };
      const xBytes = maxBatch * steps * first.features * 4;
      // 16 bytes past x's end: the input-kernel gradient reads x 4 floats at a time.
      const [x0, xBatchMajor] = alloc([xBytes + 16, xBytes], false);
      this.rt.heap.f32.fill(0, (x0 + xBytes) >> 2, (x0 + xBytes + 16) >> 2);
      this.xBatchMajor = xBatchMajor;
      d.layers.forEach((l, i) => {
        const row = l.ld * 4;
        const isLast = i === d.layers.length - 1;
        const [win, w, bias, h0, wt, wint, dw, dwin, db] = alloc([
          l.features * row,
          l.units * row,
          l.hasBias ? row : 0,
          maxBatch * row,
          l.units * row,
          l.units * l.ldf * 4,
          l.ld * row,
          l.ldf * row,
          l.hasBias ? row : 0,
        ]);
        const [p, states, dY, maskOut, xNext] = alloc(
          [
            steps * maxBatch * row,
            steps * maxBatch * row,
            (isLast ? 1 : steps) * maxBatch * row,
            // The mask as tfjs would have it, and the states times it, which the next reads.
            l.hasOutputMask ? maxBatch * steps * l.units * 4 : 0,
            l.hasOutputMask ? steps * maxBatch * row : 0,
          ],
          false,
        );
        const before = this.saved.at(-1);
        this.saved.push({
          x: before === undefined ? x0 : before.xNext !== 0 ? before.xNext : before.h,
          maskOut,
          xNext,
          win,
          w,
          h0,
          mask: 0,
          maskIn: 0,
          p,
          h: states,
          stepMask: 0,
        });
        this.blocks.push({ bias, hm: 0, ring: false });
        this.grads.push({ dY, wt, wint, dh0: 0, dw, dwin, db, carry: 0, rec: 0 });
        this.variables.push(this.resident(win, dwin, l.features, l.units, l.ld, alloc));
        this.variables.push(this.resident(w, dw, l.units, l.units, l.ld, alloc));
        if (l.hasBias) this.variables.push(this.resident(bias, db, 1, l.units, l.ld, alloc));
      });
      [this.headX, this.headW, this.headB, this.headOut, this.headDy, this.headDw, this.headDb] =
        alloc([
          maxBatch * h.ldf * 4 + 16,
          h.features * h.ld * 4,
          h.hasBias ? h.ld * 4 : 0,
          maxBatch * h.ld * 4,
          maxBatch * h.ld * 4,
          h.ldf * h.ld * 4,
          h.hasBias ? h.ld * 4 : 0,
        ]);
      this.variables.push(this.resident(this.headW, this.headDw, h.features, h.units, h.ld, alloc));
      if (h.hasBias) {
        this.variables.push(this.resident(this.headB, this.headDb, 1, h.units, h.ld, alloc));
      }
    } catch (err) {
      freeAll(this.rt, this.owned);
      throw err;
    }
    this.headMask = new Float32Array(maxBatch * h.features);
    this.output = new Float32Array(maxBatch * h.units);
    this.gradient = new Float32Array(maxBatch * h.units);
  }

  /** Writes variable `i`'s values, momentum or velocity (dense, row by row). */
  write(i: number, part: ResidentPart, values: ArrayLike<number>): void {
    const v = this.variable(i);
    if (values.length !== v.rows * v.n) {
      throw new ValueError(
        `${SUBJECT}: variable ${i} has ${v.rows * v.n} values, received ${values.length}.`,
      );
    }
    writeRows(this.rt, this.partOf(v, part), values, v.rows, v.n, v.ld);
  }

  /** A dense copy of variable `i`'s values, momentum or velocity. */
  read(i: number, part: ResidentPart): Float32Array {
    const v = this.variable(i);
    const f32 = this.rt.heap.f32;
    const from = this.partOf(v, part) >> 2;
    if (v.n === v.ld) return f32.slice(from, from + v.rows * v.n);
    const out = new Float32Array(v.rows * v.n);
    for (let r = 0; r < v.rows; r++) {
      out.set(f32.subarray(from + r * v.ld, from + r * v.ld + v.n), r * v.n);
    }
    return out;
  }

  /**
   * One training step on the samples `rows` of `x` [samples, steps, features] (dense,
   * row-major): forward, the loss's gradient (`lossGradient` reads the labels of `rows`),
   * backward, then Adam with `adam` on every variable. Returns the loss.
   */
  step(x: ArrayLike<number>, rows: Int32Array, adam: AdamStepConstants): number {
    if (this.disposed) throw new Error(`${SUBJECT}: used after dispose().`);
    const batch = rows.length;
    if (batch < 1 || batch > this.maxBatch) {
      throw new ValueError(`${SUBJECT}: expected 1 to ${this.maxBatch} rows, received ${batch}.`);
    }
    const rt = this.rt;
    const { dims: d, forward, backward, weightGrads } = this.plan(batch);
    const first = d.layers[0];
    const last = d.layers[d.layers.length - 1];
    const h = this.head;
    const rowSize = this.steps * first.features;
    const xb = this.xBatchMajor >> 2;
    const f32 = rt.heap.f32;
    rows.forEach((r, b) => {
      f32.set(subarrayOf(x, r * rowSize, rowSize), xb + b * rowSize);
    });
    // This step's Dropout masks, each from its layer's generator.
    d.layers.forEach((l, i) => {
      const fill = this.masks.outputs[i];
      const at = this.saved[i].maskOut >> 2;
      if (fill !== null) fill(f32.subarray(at, at + batch * this.steps * l.units));
    });
    let headMask: Float32Array | undefined;
    if (this.masks.head !== null) {
      headMask = this.headMask.subarray(0, batch * h.features);
      this.masks.head(headMask);
    }
    runJobs(rt, forward);
    // The head on the last states, as headForward: a copy with zero padding, then x · w + b.
    const lastStates =
      (this.saved[this.saved.length - 1].h + (this.steps - 1) * batch * last.ld * 4) >> 2;
    const hx = this.headX >> 2;
    f32.copyWithin(hx, lastStates, lastStates + batch * h.ldf);
    if (h.ldf > h.features) {
      for (let r = 0; r < batch; r++)
        f32.fill(0, hx + r * h.ldf + h.features, hx + (r + 1) * h.ldf);
    }
    // A Dropout before the head: its input times the mask (each product rounded to float32,
    // as tf.mul).
    if (headMask !== undefined) multiplyRows(f32, hx, h.ldf, headMask, batch, h.features);
    const dense: DenseRows = { rows: batch, ...h };
    denseProductRows(rt, dense, this.headX, this.headW, this.headB, this.headOut);
    const output = this.output.subarray(0, batch * h.units);
    const gradient = this.gradient.subarray(0, batch * h.units);
    const out = this.headOut >> 2;
    for (let b = 0; b < batch; b++) {
      output.set(f32.subarray(out + b * h.ld, out + b * h.ld + h.units), b * h.units);
    }
    const loss = this.lossGradient(output, rows, gradient);
    writeRows(rt, this.headDy, gradient, batch, h.units, h.ld);
    const lastGrads = this.grads[this.grads.length - 1];
    denseGradientRows(
      rt,
      dense,
      this.headX,
      this.headW,
      this.headDy,
      lastGrads.dY,
      this.headDw,
      this.headDb,
    );
    // The Dropout's gradient: the mask times the head's input gradient.
    if (headMask !== undefined) {
      multiplyRows(f32, lastGrads.dY >> 2, h.ldf, headMask, batch, h.features);
    }
    d.layers.forEach((l, i) => {
      const s = this.saved[i];
      const g = this.grads[i];
      rt.exports.transposePacked(s.w, l.units, l.units, l.ld, g.wt, l.ld);
      rt.exports.transposePacked(s.win, l.features, l.units, l.ld, g.wint, l.ldf);
    });
    runJobs(rt, backward);
    for (const jobs of weightGrads) runJobs(rt, jobs);
    for (const v of this.variables) this.adamStep(v, adam);
    return loss;
  }

  /** Frees every buffer. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    freeAll(this.rt, this.owned);
    this.owned.length = 0;
  }

  /** Adam on the variable's real values only: its padding lanes stay zero. */
  private adamStep(v: ResidentVariable, a: AdamStepConstants): void {
    const step = this.rt.exports.adamStep;
    // Rows without padding are one call.
    const [calls, n] = v.n === v.ld ? [1, v.rows * v.n] : [v.rows, v.n];
    for (let r = 0; r < calls; r++) {
      const o = r * v.ld * 4;
      step(
        n,
        v.w + o,
        v.g + o,
        0,
        v.m + o,
        v.v + o,
        a.oneMinusBeta1,
        a.oneMinusBeta2,
        a.alpha,
        a.epsilon,
      );
    }
  }

  private resident(
    w: number,
    g: number,
    rows: number,
    n: number,
    ld: number,
    alloc: (sizes: readonly [number, number]) => Blocks<readonly [number, number]>,
  ): ResidentVariable {
    const [m, v] = alloc([rows * ld * 4, rows * ld * 4]);
    return { w, g, m, v, rows, n, ld };
  }

  private variable(i: number): ResidentVariable {
    const v = this.variables[i] as ResidentVariable | undefined;
    if (v === undefined) {
      throw new ValueError(`${SUBJECT}: no variable ${i}; there are ${this.variables.length}.`);
    }
    return v;
  }

  private partOf(v: ResidentVariable, part: ResidentPart): number {
    return part === 'variable' ? v.w : part === 'momentum' ? v.m : v.v;
  }

  /**
   * The stack's sizes and shares for a batch of `batch` at the current thread count, and the
   * passes' job lists: the same every step of that size (the buffers do not move).
   */
  private plan(batch: number): Plan {
    const key = `${batch}:${getThreads()}`;
    const known = this.plans.get(key);
    if (known !== undefined) return known;
    const d = this.dimsOf(batch);
    const jobs = weightGradJobs(d, this.saved, this.grads);
    const weightGrads: KernelCall[][][] = [];
    // Each job writes rows of its own: running them in several lists changes no sum.
    for (let j = 0; j < jobs.length; j += MAX_JOBS) weightGrads.push(jobs.slice(j, j + MAX_JOBS));
    const plan: Plan = {
      dims: d,
      forward: d.slices.map((slice) =>
        forwardCalls(d, this.saved, this.blocks, this.xBatchMajor, 0, slice),
      ),
      // dx 0: the data needs no gradient.
      backward: d.slices.map((slice) => backwardCalls(d, this.saved, this.grads, 0, 0, slice)),
      weightGrads,
    };
    this.plans.set(key, plan);
    return plan;
  }

  /** The stack's sizes and shares for a batch of `batch`, at the current thread count. */
  private dimsOf(batch: number): Dims {
    const units = this.layers.map(
      ({ weights }) => (weights.kernel.shape as readonly number[])[1] ?? 0,
    );
    const features =
      (this.layers[0]?.weights.kernel.shape as readonly number[] | undefined)?.[0] ?? 0;
    return planDims('wasmSimpleRnnStack', [batch, this.steps, features], this.layers, units);
  }
}

/** Multiplies `rows` rows of `n` floats at float offset `at` (row stride `ld`) by `mask`. */
function multiplyRows(
  f32: Float32Array,
  at: number,
  ld: number,
  mask: Float32Array,
  rows: number,
  n: number,
): void {
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) f32[at + r * ld + j] *= mask[r * n + j];
  }
}

/** `length` values of `values` from `start`: a view of a typed array, else a copy. */
function subarrayOf(values: ArrayLike<number>, start: number, length: number): ArrayLike<number> {
  if (values instanceof Float32Array) return values.subarray(start, start + length);
  return Array.prototype.slice.call(values, start, start + length) as number[];
}
