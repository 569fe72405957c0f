/**
 * What every kernel stack op does around its layers' own kernels, whatever their kinds (the
 * SimpleRNN stack, simple_rnn_sequence.ts; the gated stack, gated_sequence.ts): the checks of a
 * layer's place in the stack, the moves of a share of the batch between tfjs's batch-major
 * layout and the kernels' time-major one, where a layer's input gradient goes, and the weight
 * jobs' runs.
 */
import { ValueError } from '../../errors';
import { allocate, checkShape } from './buffers';
import { MAX_JOBS, type KernelCall } from './pool';
import { runJobs, type KernelRuntime } from './runtime';
import { valuesOf } from './tensors';
import type * as tf from '@tensorflow/tfjs';

/**
 * Checks a layer's place in a stack of `count` layers: only the last may return its last state
 * alone, and only the others may have an output mask ([batch, steps, units]).
 */
export function checkStackPlace(
  subject: string,
  [i, count]: [number, number],
  returnSequences: boolean,
  outputMask: tf.Tensor | undefined,
  shape: [number, number, number],
): void {
  if (outputMask !== undefined) {
    if (i === count - 1) {
      throw new ValueError(
        `${subject}: the last layer of a stack takes no output mask (mask its output as a tensor).`,
      );
    }
    checkShape(subject, 'outputMask', outputMask, shape);
  }
  if (i < count - 1 && !returnSequences) {
    throw new ValueError(
      `${subject}: every layer of a stack but the last must return sequences (the next one reads every step).`,
    );
  }
}

/**
 * Copies the layers' step masks into the kernels' memory, each mask tensor once, as tfjs has it
 * ([batch, steps], batch-major: the kernels read a row's value at each step, whichever share of
 * the batch runs it), recording the blocks in `owned`: each layer's block, 0 for none. The
 * layers of a Sequential share one mask, so a stack takes one block.
 */
export function writeStepMasks(
  rt: KernelRuntime,
  masks: readonly (tf.Tensor | undefined)[],
  owned: number[],
): number[] {
  const blocks = new Map<tf.Tensor, number>();
  return masks.map((mask) => {
    if (mask === undefined) return 0;
    const known = blocks.get(mask);
    if (known !== undefined) return known;
    const [block] = allocate(rt, [mask.size * 4]);
    owned.push(block);
    rt.heap.f32.set(valuesOf(mask), block >> 2);
    blocks.set(mask, block);
    return block;
  });
}

/**
 * The call that copies a share's rows [b0, b0 + nb) of a batch-major [batch, steps, n] block
 * (dense) into a time-major [steps, batch, ld] one: tfjs's x or dy into the kernels' layout.
 */
export function toTimeMajor(
  src: number,
  [batch, steps, n]: [number, number, number],
  dst: number,
  ld: number,
  [b0, nb]: [number, number],
): KernelCall {
  return {
    fn: 'swapLeadingAxes',
    args: [src, batch, steps, n, n, dst, ld, b0, b0 + nb, 0, steps],
  };
}

/**
 * The call that copies a share's rows of a time-major [steps, batch, ld] block into a dense
 * batch-major [batch, steps, n] one: the last layer's states as tfjs gets them.
 */
export function toBatchMajor(
  src: number,
  [batch, steps, n]: [number, number, number],
  ld: number,
  dst: number,
  [b0, nb]: [number, number],
): KernelCall {
  return {
    fn: 'swapLeadingAxes',
    args: [src, steps, batch, n, ld, dst, n, 0, steps, b0, b0 + nb],
  };
}

/**
 * Where layer i's input gradient goes, and its row and step strides in floats: tfjs's
 * batch-major dx for the first layer, else the time-major gradient of the states of the layer
 * before, where its backward pass reads it.
 */
export function inputGradTarget(
  i: number,
  dx: number,
  dYBefore: number,
  [batch, steps, ldf]: [number, number, number],
): [number, number, number] {
  return i === 0 ? [dx, steps * ldf, ldf] : [dYBefore, ldf, batch * ldf];
}

/** Runs weight-gradient jobs, as many job lists as they take (each writes rows of its own). */
export function runWeightGradJobs(rt: KernelRuntime, jobs: readonly KernelCall[][]): void {
  // Running them in several lists changes no sum.
  for (let j = 0; j < jobs.length; j += MAX_JOBS) runJobs(rt, jobs.slice(j, j + MAX_JOBS));
}
