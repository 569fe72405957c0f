/**
 * Letters as class indices, and the course's "predict the next letter" samples:
 *
 *   steps 1:  a -> b, b -> c, c -> d, d -> e, e -> a
 *   steps 4:  abcd -> e, bcde -> a, cdea -> b, deab -> c, eabc -> d
 *
 * The indices go to `tf.oneHot(indices, alphabet.length)` for one-hot input, or straight to an
 * `Embedding`; the targets are sparse labels for `sparse_categorical_crossentropy`.
 */
import { ValueError, checkPositiveInteger } from '../errors';

/** The course's alphabet. */
export const COURSE_LETTERS = 'abcde';

/** Throws unless `alphabet` is a non-empty string of distinct characters; returns them. */
function alphabetChars(subject: string, alphabet: unknown): string[] {
  if (typeof alphabet !== 'string' || alphabet.length === 0) {
    throw new ValueError(
      `${subject}: expected the alphabet to be a non-empty string such as 'abcde', received ${JSON.stringify(alphabet)}.`,
    );
  }
  const chars = Array.from(alphabet);
  const seen = new Set<string>();
  for (const c of chars) {
    if (seen.has(c)) {
      throw new ValueError(
        `${subject}: expected the alphabet to have distinct characters, received ${JSON.stringify(alphabet)} with '${c}' twice.`,
      );
    }
    seen.add(c);
  }
  return chars;
}

/** The index of every character of `text` in `alphabet`: `encodeLetters('bad', 'abcde')` is [1, 0, 3]. */
export function encodeLetters(text: string, alphabet: string = COURSE_LETTERS): number[] {
  const chars = alphabetChars('encodeLetters', alphabet);
  if (typeof text !== 'string') {
    throw new ValueError(`encodeLetters: expected a string, received ${JSON.stringify(text)}.`);
  }
  return Array.from(text, (c, i) => {
    const index = chars.indexOf(c);
    if (index < 0) {
      throw new ValueError(
        `encodeLetters: '${c}' at position ${i} of ${JSON.stringify(text)} is not in the alphabet ${JSON.stringify(alphabet)}.`,
      );
    }
    return index;
  });
}

/** The characters at `indices` of `alphabet`: `decodeLetters([1, 0, 3], 'abcde')` is 'bad'. */
export function decodeLetters(
  indices: ArrayLike<number>,
  alphabet: string = COURSE_LETTERS,
): string {
  const chars = alphabetChars('decodeLetters', alphabet);
  return Array.from(indices, (index, i) => {
    const c = Number.isInteger(index) ? chars[index] : undefined;
    if (c === undefined) {
      throw new ValueError(
        `decodeLetters: expected indices from 0 to ${chars.length - 1}, received ${index} at position ${i}.`,
      );
    }
    return c;
  }).join('');
}

/** The samples of the "next letter" task. */
export interface NextLetterSamples {
  /** Each input as text: `['abcd', 'bcde', ...]`. */
  inputs: string[];
  /** The letter after each input: `['e', 'a', ...]`. */
  targets: string[];
  /** The inputs as letter indices, [samples, steps]. */
  x: number[][];
  /** The targets as letter indices (sparse labels), [samples]. */
  y: number[];
}

/**
 * One sample per letter of `alphabet`: `steps` letters starting there, read round the alphabet,
 * and the letter after them. `nextLetterSamples(4)` gives `abcd -> e`, `bcde -> a`, ...,
 * `eabc -> d`.
 */
export function nextLetterSamples(
  steps: number,
  alphabet: string = COURSE_LETTERS,
): NextLetterSamples {
  checkPositiveInteger('nextLetterSamples', 'steps', steps);
  const chars = alphabetChars('nextLetterSamples', alphabet);
  const n = chars.length;
  const samples: NextLetterSamples = { inputs: [], targets: [], x: [], y: [] };
  for (let start = 0; start < n; start++) {
    const x = Array.from({ length: steps }, (_, j) => (start + j) % n);
    const y = (start + steps) % n;
    samples.x.push(x);
    samples.y.push(y);
    samples.inputs.push(decodeLetters(x, alphabet));
    samples.targets.push(decodeLetters([y], alphabet));
  }
  return samples;
}
