import { describe, expect, it } from '@jest/globals';
import { type CellPoint, gridPoints, inputShape } from '../../bench/grid/points';
import {
  DEFAULT_TARGETS,
  KERAS_COST,
  OURS_COST,
  epochSecondsOf,
  epochsPerCall,
  forwardMacsPerSample,
  planPoint,
  pointSecondsOf,
} from '../../bench/grid/sizing';

const cell = (over: Partial<CellPoint> = {}): CellPoint => ({
  kind: 'cell',
  cell: 'LSTM',
  units: 256,
  batch: 64,
  steps: 100,
  features: 1,
  ...over,
});

describe('forwardMacsPerSample', () => {
  it('counts every gate: steps x gates x units x (features + units + 1)', () => {
    expect(forwardMacsPerSample(cell({ cell: 'SimpleRNN', units: 4, steps: 2, features: 3 }))).toBe(
      2 * 1 * 4 * (3 + 4 + 1),
    );
    expect(forwardMacsPerSample(cell({ cell: 'LSTM', units: 4, steps: 2, features: 3 }))).toBe(
      2 * 4 * 4 * 8,
    );
    expect(forwardMacsPerSample(cell({ cell: 'GRU', units: 4, steps: 2, features: 3 }))).toBe(
      2 * 3 * 4 * 8,
    );
  });

  it("adds the tagger's Dense at every step", () => {
    expect(forwardMacsPerSample({ kind: 'tagger', batch: 64 })).toBe(
      30 * 64 * (8 + 64 + 1) + 30 * 64 * 8,
    );
  });
});

describe('epochsPerCall', () => {
  it.each([
    // Both long enough: one epoch.
    [{ ours: 0.6, keras: 0.8 }, 1],
    // The slower at 0.25 s: two epochs make its call 0.5 s.
    [{ ours: 0.2, keras: 0.25 }, 2],
    // The faster at 20 ms needs 8 epochs for 0.15 s; the slower then takes 8 x 0.24 s < 2.5 s.
    [{ ours: 0.02, keras: 0.24 }, 8],
    // ...but not past the slower's budget of 2.5 s: 10 x 0.25.
    [{ ours: 0.01, keras: 0.25 }, 10],
    // An epoch longer than the budget still runs once.
    [{ ours: 3, keras: 4 }, 1],
  ])('%j -> %d', (epochs, expected) => {
    expect(epochsPerCall(epochs)).toBe(expected);
  });

  it('runs one epoch when a measurement is missing or zero', () => {
    expect(epochsPerCall({ ours: 0, keras: 1 })).toBe(1);
    expect(epochsPerCall({ ours: Number.NaN, keras: 1 })).toBe(1);
  });
});

describe('planPoint', () => {
  it('gives every point whole batches, at least one, and at most maxInputNumbers inputs', () => {
    for (const point of gridPoints(true)) {
      const plan = planPoint(point, 3);
      expect(plan.samples % point.batch).toBe(0);
      expect(plan.samples).toBeGreaterThanOrEqual(point.batch);
      expect(plan.epochsPerRound).toBeGreaterThanOrEqual(1);
      expect(plan.rounds).toBe(3);
      const { steps, features } = inputShape(point);
      if (plan.samples > point.batch) {
        expect(plan.samples * steps * features).toBeLessThanOrEqual(
          DEFAULT_TARGETS.maxInputNumbers,
        );
      }
    }
  });

  it("sizes the slower side's estimated epoch between the target and its limit", () => {
    const point = cell({ cell: 'SimpleRNN', units: 32, steps: 20 });
    const plan = planPoint(point, 3);
    const slow = Math.max(
      epochSecondsOf(point, plan.samples, KERAS_COST),
      epochSecondsOf(point, plan.samples, OURS_COST),
    );
    expect(slow).toBeGreaterThanOrEqual(DEFAULT_TARGETS.slowEpochSeconds);
    expect(slow).toBeLessThanOrEqual(DEFAULT_TARGETS.maxSlowEpochSeconds);
  });

  it('gives a heavy point a single batch when one already exceeds the target', () => {
    expect(planPoint(cell({ units: 512, batch: 256 }), 3).samples).toBe(256);
  });
});

describe('pointSecondsOf', () => {
  it('grows with the rounds and the data', () => {
    const point = cell();
    const plan = planPoint(point, 3);
    expect(pointSecondsOf(point, { ...plan, rounds: 5 })).toBeGreaterThan(
      pointSecondsOf(point, plan),
    );
    expect(pointSecondsOf(point, { ...plan, samples: plan.samples * 2 })).toBeGreaterThan(
      pointSecondsOf(point, plan),
    );
  });

  it('expects the reduced grid in about 10 minutes and the full one in under an hour', () => {
    const total = (full: boolean): number =>
      gridPoints(full).reduce((s, p) => s + pointSecondsOf(p, planPoint(p, 3)), 0);
    expect(total(false) / 60).toBeGreaterThan(5);
    expect(total(false) / 60).toBeLessThan(15);
    expect(total(true) / 60).toBeLessThan(60);
  });
});
