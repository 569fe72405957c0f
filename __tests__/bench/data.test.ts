import { describe, expect, it } from '@jest/globals';
import { IMDB, benchArrays } from '../../bench/data';
import { MODEL_NAMES } from '../../bench/protocol';

describe('benchArrays', () => {
  it.each(MODEL_NAMES.map((m) => [m]))(
    '%s: the same numbers every call, one row per sample',
    (model) => {
      const a = benchArrays(model, 32);
      const b = benchArrays(model, 32);
      expect(a.x.values).toEqual(b.x.values);
      expect(a.y.values).toEqual(b.y.values);
      expect(a.x.shape[0]).toBe(32);
      expect(a.y.shape[0]).toBe(32);
      expect(a.x.values.length).toBe(a.x.shape.reduce((p, n) => p * n, 1));
      expect(a.y.values.length).toBe(a.y.shape.reduce((p, n) => p * n, 1));
    },
  );

  describe('imdb', () => {
    const samples = 256;
    const { x, y } = benchArrays('imdb', samples);
    const rows = Array.from({ length: samples }, (_, i) =>
      Array.from(x.values.subarray(i * IMDB.steps, (i + 1) * IMDB.steps)),
    );

    it('has word ids [samples, 80] for Keras as int32, labels [samples, 1]', () => {
      expect(x.shape).toEqual([samples, IMDB.steps]);
      expect(x.dtype).toBe('int32');
      expect(y.shape).toEqual([samples, 1]);
      expect(new Set(y.values)).toEqual(new Set([0, 1]));
    });

    it('pads each review with 0 on the right, after 10 to 80 ids in [1, 5000)', () => {
      const lengths = rows.map((row) => {
        const length = row.indexOf(0) === -1 ? row.length : row.indexOf(0);
        expect(row.slice(length).every((id) => id === 0)).toBe(true);
        for (const id of row.slice(0, length)) {
          expect(Number.isInteger(id) && id >= 1 && id < IMDB.vocabulary).toBe(true);
        }
        return length;
      });
      expect(Math.min(...lengths)).toBeGreaterThanOrEqual(IMDB.minLength);
      expect(Math.max(...lengths)).toBeLessThanOrEqual(IMDB.steps);
      // Spread over the range, not all one length.
      expect(new Set(lengths).size).toBeGreaterThan(30);
    });
  });
});
