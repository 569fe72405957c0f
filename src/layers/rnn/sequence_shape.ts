/**
 * The checks and messages for the `[samples, timesteps, features]` input of recurrent layers.
 */
import { ValueError, formatShape } from '../../errors';

const LAYOUT_HELP =
  'Two samples of one step of three features are [2, 1, 3]; one sample of four steps of two features is [1, 4, 2].';

/** The message for recurrent input of the wrong rank, with how to reshape it. */
export function sequenceRankMessage(subject: string, shape: readonly (number | null)[]): string {
  let hint = '';
  if (shape.length === 2) {
    const [samples, width] = shape;
    const s = samples ?? 'samples';
    const w = width ?? 'features';
    hint = ` To feed each row as one step of ${w} features, reshape to [${s}, 1, ${w}]; as ${w} steps of one feature, to [${s}, ${w}, 1] (x.reshape(...) or tf.expandDims).`;
  }
  return `${subject}: expected input of rank 3 [samples, timesteps, features], received shape ${formatShape(shape)}. ${LAYOUT_HELP}${hint}`;
}

/**
 * Throws unless `shape` is `[samples, timesteps, features]` with at least one step and, when
 * given, `features` features per step.
 */
export function checkSequenceShape(
  subject: string,
  shape: readonly (number | null)[],
  features?: number | null,
): void {
  if (shape.length !== 3) throw new ValueError(sequenceRankMessage(subject, shape));
  if (shape[1] === 0) {
    throw new ValueError(
      `${subject}: expected at least one time step, received shape ${formatShape(shape)}.`,
    );
  }
  if (features != null && shape[2] != null && shape[2] !== features) {
    throw new ValueError(
      `${subject}: expected ${features} features per step (the last axis of [samples, timesteps, features]), as the layer's weights were built for, received shape ${formatShape(shape)}.`,
    );
  }
}
