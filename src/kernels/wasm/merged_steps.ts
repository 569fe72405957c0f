/**
 * A Bidirectional layer's two directions written side by side into one output sequence by the
 * kernels (kernels-src/util.ts's stepsToMerged, and mergedToSteps for the gradient), instead of
 * tfjs ops over the whole sequence: see gated_sequence.ts's wasmMergedStacks.
 */
import type { KernelCall } from './pool';

/**
 * Where a stack's last layer writes its output steps in a sequence it shares with other stacks
 * (a Bidirectional layer's two directions side by side), and reads their gradient back.
 */
export interface MergedSteps {
  /** The merged [batch, steps, width] block (its gradient's in the backward pass). */
  block: number;
  width: number;
  /** This stack's first column. */
  column: number;
  /** Its steps reversed (a backward direction's, back in the input's order). */
  reverse: boolean;
  /** The step mask block whose zeros make zero output steps (0: none). */
  zeroMask: number;
}

/** The copy of a share's output steps into the merged sequence (see MergedSteps). */
export function toMerged(
  h: number,
  [batch, steps, n, ld]: [number, number, number, number],
  m: MergedSteps,
  [b0, nb]: [number, number],
): KernelCall {
  return {
    fn: 'stepsToMerged',
    args: [
      ...([h, steps, batch, n, ld, m.block, m.width, m.column, m.reverse ? 1 : 0] as const),
      ...([m.zeroMask, b0, b0 + nb] as const),
    ],
  };
}

/** The copy of a share's output gradient out of the merged sequence's (see MergedSteps). */
export function fromMerged(
  m: MergedSteps,
  [batch, steps, n, ld]: [number, number, number, number],
  dY: number,
  [b0, nb]: [number, number],
): KernelCall {
  return {
    fn: 'mergedToSteps',
    args: [
      ...([m.block, steps, batch, n, m.width, m.column, m.reverse ? 1 : 0, m.zeroMask] as const),
      ...([dY, ld, b0, b0 + nb] as const),
    ],
  };
}
