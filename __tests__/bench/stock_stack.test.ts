/**
 * The stock pass's products, as bench:ceiling times them through TensorFlow, are the same
 * multiply-adds the kernels' pass is counted by.
 */
import { STOCK_KINDS, stockStackMacs, stockStackProducts } from '../../bench/stock_stack';

describe('stockStackProducts', () => {
  it.each(STOCK_KINDS)('adds up to stockStackMacs for %s', (kind) => {
    const macs = stockStackProducts(kind).reduce((sum, p) => sum + p.m * p.k * p.n * p.count, 0);
    expect(macs).toBe(stockStackMacs(kind));
    expect(stockStackMacs(kind)).toBeGreaterThan(0);
  });

  it('has one recurrent product a step, forward and backward, for each layer', () => {
    const perStep = stockStackProducts('LSTM').filter((p) => p.count > 1);
    expect(perStep.map((p) => [p.m, p.k, p.n, p.count])).toEqual([
      [64, 80, 320, 60],
      [64, 320, 80, 60],
      [64, 100, 400, 60],
      [64, 400, 100, 60],
    ]);
  });
});
