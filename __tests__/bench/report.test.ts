import { describe, expect, it } from '@jest/globals';
import {
  type ContenderResult,
  type Round,
  emptyContender,
  ratios,
  summarizeContender,
} from '../../bench/report';

function round(trainSamplesPerSecond: number): Round {
  return {
    idleWaits: [],
    trainSamplesPerSecond,
    predictSamplesPerSecond: 1000,
    fitSeconds: 1,
    epochSeconds: [1],
    tensorsAfterEpoch: [],
    loss: [0.1],
  };
}

function contender(rates: readonly number[]): ContenderResult {
  const c = emptyContender();
  c.rounds = rates.map(round);
  summarizeContender(c, false);
  return c;
}

describe('bench ratios', () => {
  it('pairs the rounds: each round of ours divided by the same round of the other', () => {
    // The machine's speed drifts: both slow in round 2, both fast in round 3.
    const r = ratios({ ours: contender([300, 150, 600]), keras: contender([200, 120, 300]) });
    const k = r.keras;
    expect(k?.trainByRound).toEqual({ median: 1.5, min: 1.25, max: 2 });
    // The ratio of the medians mixes rounds: 300 / 200.
    expect(k?.train).toBe(1.5);
  });

  it('differs from the ratio of the medians when the conditions drift', () => {
    // Medians 200 and 100; round by round 100/90, 200/190 and 400/100.
    const r = ratios({ ours: contender([100, 200, 400]), keras: contender([90, 190, 100]) });
    expect(r.keras?.train).toBeCloseTo(2);
    expect(r.keras?.trainByRound?.median).toBeCloseTo(100 / 90);
    expect(r.keras?.trainByRound?.max).toBeCloseTo(4);
  });

  it('pairs only the rounds both ran (a contender that failed has fewer)', () => {
    const r = ratios({ ours: contender([200, 300, 400]), keras: contender([100]) });
    expect(r.keras?.trainByRound).toEqual({ median: 2, min: 2, max: 2 });
  });

  it('has no paired ratio when a contender has no rounds', () => {
    const r = ratios({ ours: contender([200]), keras: contender([]) });
    expect(r.keras?.trainByRound).toBeNull();
    expect(r.ours).toBeUndefined();
  });
});
