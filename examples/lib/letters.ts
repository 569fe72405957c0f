/**
 * What the three letter examples share: the predictions as a table, and the accuracy.
 */
import * as tf from '@tensorflow/tfjs';
import { type NextLetterSamples, decodeLetters } from 'tfjs-keras-rnn';

/**
 * Prints one line per sample, `abcd -> e   (expected e, p=0.97)`, then the accuracy, and returns
 * how many predictions were right. `probabilities` is the model's softmax output [samples, letters].
 */
export function printPredictions(
  samples: NextLetterSamples,
  probabilities: tf.Tensor,
  alphabet: string,
): number {
  const probs = probabilities.arraySync() as number[][];
  let right = 0;
  probs.forEach((p, i) => {
    const best = p.indexOf(Math.max(...p));
    const predicted = decodeLetters([best], alphabet);
    const expected = samples.targets[i] ?? '?';
    const ok = predicted === expected;
    if (ok) right++;
    console.log(
      `  ${samples.inputs[i] ?? '?'} -> ${predicted}   (expected ${expected}, p=${(p[best] ?? 0).toFixed(2)})${ok ? '' : '  WRONG'}`,
    );
  });
  const n = probs.length;
  console.log(`Accuracy: ${right}/${n} (${((100 * right) / n).toFixed(0)}%)`);
  return right;
}
