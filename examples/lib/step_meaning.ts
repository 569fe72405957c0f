/**
 * The course's "semantic meaning" of the hidden states: h_1 holds what the model makes of 'a',
 * h_2 of 'ab', ..., h_T of the whole input. Passing each h_t through the trained Dense(softmax)
 * head shows that meaning as a guess of the next letter, which sharpens toward the prediction as
 * t grows.
 */
import * as tf from '@tensorflow/tfjs';
import { type NextLetterSamples, type Sequential, stepStates } from 'tfjs-keras-rnn';

/** Every step's state and what the head makes of it. */
export interface StepPredictions {
  /** h_t of the first recurrent layer: [steps][samples][units]. */
  h: number[][][];
  /** The head's softmax on h_t: [steps][samples][letters]. */
  probabilities: number[][][];
}

/**
 * The states h_t of the model's first recurrent layer and the head's softmax on each. The model
 * is a recurrent layer followed by its Dense head (model.layers[1]); `x` is its input. Frees
 * every tensor it makes.
 */
export function stepPredictions(model: Sequential, x: tf.Tensor): StepPredictions {
  const head = model.layers.at(1);
  if (head === undefined) {
    throw new Error(
      `stepPredictions: expected a recurrent layer and a Dense head, received ${model.layers.length} layer.`,
    );
  }
  const states = stepStates(model, x);
  try {
    const first = states.layers.at(0);
    if (first === undefined) {
      throw new Error('stepPredictions: expected a recurrent layer, received none.');
    }
    const [samples, steps, units] = first.h.shape;
    const result: StepPredictions = { h: [], probabilities: [] };
    for (let t = 0; t < steps; t++) {
      const [h, probabilities] = tf.tidy(() => {
        const ht = first.h.slice([0, t, 0], [samples, 1, units]).reshape([samples, units]);
        return [ht, head.apply(ht) as tf.Tensor];
      });
      result.h.push(h.arraySync() as number[][]);
      result.probabilities.push(probabilities.arraySync() as number[][]);
      tf.dispose([h, probabilities]);
    }
    return result;
  } finally {
    states.dispose();
  }
}

/**
 * Prints, for sample `detailed` (default 0, "abcd"), one line per step: the letters read so
 * far, h_t, the head's probability of the target letter, the L2 distance of its softmax to the
 * target's one-hot and its best guess; then one line per other sample with the target's
 * probability at each step.
 */
export function printStepMeanings(
  samples: NextLetterSamples,
  steps: StepPredictions,
  alphabet: string,
  detailed = 0,
): void {
  const perStep = steps.probabilities;
  const input = samples.inputs[detailed] ?? '';
  const target = samples.y[detailed] ?? 0;
  console.log(
    `\nWhat each h_t means (the course's semantic meaning): the trained Dense softmax on h_1..h_${perStep.length}`,
  );
  console.log(
    `  (the head was trained on h_${perStep.length} only; the earlier states are read with the same head)`,
  );
  console.log(`  ${input} -> ${samples.targets[detailed] ?? '?'}:`);
  const hWidth = formatState(steps.h[0]?.[detailed] ?? []).length;
  console.log(
    `    step  read    ${'h_t'.padEnd(hWidth)}  P(${alphabet[target] ?? '?'})  |softmax - one-hot|  best guess`,
  );
  perStep.forEach((probs, t) => {
    const p = probs[detailed] ?? [];
    const distance = Math.sqrt(p.reduce((s, v, k) => s + (v - (k === target ? 1 : 0)) ** 2, 0));
    const best = p.indexOf(Math.max(...p));
    console.log(
      `    h${t + 1}    ${input.slice(0, t + 1).padEnd(6)}  ${formatState(steps.h[t]?.[detailed] ?? []).padEnd(hWidth)}  ${(p[target] ?? 0).toFixed(2)}   ${distance.toFixed(2).padStart(18)}  ${alphabet[best] ?? '?'}`,
    );
  });
  console.log(`  P(target) at h1..h${perStep.length} for the others:`);
  samples.inputs.forEach((text, i) => {
    if (i === detailed) return;
    const letter = samples.y[i] ?? 0;
    const row = perStep.map((probs) => (probs[i]?.[letter] ?? 0).toFixed(2)).join(' ');
    console.log(`    ${text} -> ${samples.targets[i] ?? '?'}:  ${row}`);
  });
}

/** `[ 0.12 -0.98  0.50]`: a state's values with two decimals in columns. */
function formatState(h: readonly number[]): string {
  return `[${h.map((v) => v.toFixed(2).padStart(6)).join(' ')}]`;
}
