/**
 * Every public entry point that takes an options object refuses a key it does not know: with
 * the nearest known key for a typo, the camelCase name for Keras's snake_case, and always
 * before it does any work.
 */
import * as tf from '@tensorflow/tfjs';
import { SimpleRNN } from '../../src';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';
import { ENTRY_POINT_ROWS as rows, attempt, withModel } from './entry_points';

beforeAll(async () => {
  await useTestBackend();
});

describe('every public options object', () => {
  it.each(rows)('%s: the valid call passes', async (_subject, point) => {
    await expectNoLeak(async () => {
      await point.call({});
    });
  });

  it.each(rows)('%s: refuses an unknown key, listing the known ones', async (_s, point) => {
    const key = point.unknown ?? 'fooBar';
    await expect(attempt(point, { [key]: 1 })).rejects.toThrow(
      new RegExp(`^${point.subject}: unknown (option|call argument|hook|key) \`${key}\`\\. Known `),
    );
  });

  it.each(rows)('%s: refuses a typo, naming the key it means', async (_s, point) => {
    const [typo, meant] = point.typo;
    await expect(attempt(point, { [typo]: 1 })).rejects.toThrow(
      new RegExp(
        `^${point.subject}: unknown \\w+( \\w+)? \`${typo}\`; did you mean \`${meant}\`\\?`,
      ),
    );
  });

  it.each(rows.filter(([, p]) => p.snake !== null))(
    "%s: refuses Keras's snake_case, giving the camelCase name",
    async (_s, point) => {
      const [snake, camel] = point.snake ?? ['', ''];
      await expect(attempt(point, { [snake]: 1 })).rejects.toThrow(
        new RegExp(
          `^${point.subject}: unknown \\w+( \\w+)? \`${snake}\`: \`${snake}\` is \`${camel}\` here`,
        ),
      );
    },
  );

  it('refuses before any work: no tensor, no weights, no layer name taken', async () => {
    const before = new SimpleRNN({ units: 1 }).name;
    await expectNoLeak(() => {
      expect(() => new SimpleRNN({ units: 2, returnSequence: true } as never)).toThrow(
        /unknown option `returnSequence`/,
      );
    });
    const after = new SimpleRNN({ units: 1 }).name;
    const count = (name: string): number => Number(/_(\d+)$/.exec(name)?.[1] ?? 0);
    expect(count(after)).toBe(count(before) + 1);
  });

  it('a refused fit, evaluate or predict leaves the weights, the output and the tensors alone', async () => {
    await withModel(async ({ model, x, y }) => {
      const weights = model.getWeights();
      const lines: string[] = [];
      const stream = { write: (t: string) => lines.push(t) };
      await expectNoLeak(async () => {
        await expect(model.fit(x, y, { stream, batch_size: 2 } as never)).rejects.toThrow(
          /batch_size/,
        );
        await expect(model.evaluate(x, y, { stream, steps: 1 } as never)).rejects.toThrow(/steps/);
        expect(() => model.predict(x, { stream, bachSize: 2 } as never)).toThrow(/bachSize/);
      });
      expect(lines).toEqual([]);
      const after = model.getWeights();
      after.forEach((w, i) => {
        expect(w).toBeAllClose(weights[i] ?? tf.scalar(0), 0);
      });
      tf.dispose([...weights, ...after]);
    });
  });

  it('a refused compile keeps the previous one', async () => {
    await withModel(async ({ model, x, y }) => {
      expect(() => {
        model.compile({ optimizer: 'adam', loss: 'mse', lossWeights: [1] } as never);
      }).toThrow(/`lossWeights` is not supported yet/);
      expect(model.optimizer?.getClassName()).toBe('SGD');
      await model.fit(x, y, { verbose: 0 });
    });
  });
});
