import {
  COURSE_LETTERS,
  decodeLetters,
  encodeLetters,
  nextLetterSamples,
} from '../../src/data/letters';

describe('letters', () => {
  it('encodes and decodes letters of the course alphabet', () => {
    expect(COURSE_LETTERS).toBe('abcde');
    expect(encodeLetters('bad')).toEqual([1, 0, 3]);
    expect(decodeLetters([1, 0, 3])).toBe('bad');
    expect(decodeLetters(new Int32Array([4, 4]))).toBe('ee');
    expect(encodeLetters('xyx', 'xyz')).toEqual([0, 1, 0]);
    expect(encodeLetters('')).toEqual([]);
  });

  it('builds the one-step samples a->b ... e->a', () => {
    const s = nextLetterSamples(1);
    expect(s.inputs).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(s.targets).toEqual(['b', 'c', 'd', 'e', 'a']);
    expect(s.x).toEqual([[0], [1], [2], [3], [4]]);
    expect(s.y).toEqual([1, 2, 3, 4, 0]);
  });

  it('builds the four-step samples abcd->e ... eabc->d', () => {
    const s = nextLetterSamples(4);
    expect(s.inputs).toEqual(['abcd', 'bcde', 'cdea', 'deab', 'eabc']);
    expect(s.targets).toEqual(['e', 'a', 'b', 'c', 'd']);
    expect(s.x[2]).toEqual([2, 3, 4, 0]);
    expect(s.y).toEqual([4, 0, 1, 2, 3]);
  });

  it('wraps round a short alphabet more than once', () => {
    expect(nextLetterSamples(5, 'xy').inputs).toEqual(['xyxyx', 'yxyxy']);
  });

  it.each([
    [
      'a letter outside the alphabet',
      () => encodeLetters('abz'),
      /'z' at position 2 of "abz" is not in the alphabet "abcde"/,
    ],
    [
      'an empty alphabet',
      () => encodeLetters('a', ''),
      /expected the alphabet to be a non-empty string/,
    ],
    [
      'a repeated letter',
      () => nextLetterSamples(1, 'abca'),
      /distinct characters, received "abca" with 'a' twice/,
    ],
    [
      'an index out of range',
      () => decodeLetters([0, 5]),
      /expected indices from 0 to 4, received 5 at position 1/,
    ],
    ['a negative index', () => decodeLetters([-1]), /received -1 at position 0/],
    ['a fractional index', () => decodeLetters([1.5]), /received 1.5 at position 0/],
    [
      'zero steps',
      () => nextLetterSamples(0),
      /nextLetterSamples: expected `steps` to be a positive integer, received 0/,
    ],
    [
      'a non-string text',
      () => encodeLetters(3 as unknown as string),
      /encodeLetters: expected a string, received 3/,
    ],
  ])('rejects %s', (_what, call, message) => {
    expect(call).toThrow(message);
  });
});
