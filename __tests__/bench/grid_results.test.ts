import { describe, expect, it } from '@jest/globals';
import { formatGrid, formatPlan, summarizeGrid } from '../../bench/grid/results';
import { gridResults, gruPoint as cell, pointResult as point } from './grid_fixture';

describe('completePoint', () => {
  const p = point(
    cell(32),
    [
      [300, 900],
      [200, 1000],
      [400, 800],
    ],
    [
      [100, 500],
      [100, 400],
      [200, 600],
    ],
  );

  it("takes each side's medians over its rounds", () => {
    expect(p.ours.train?.median).toBe(300);
    expect(p.keras.train?.median).toBe(100);
    expect(p.ours.predict?.median).toBe(900);
    expect(p.keras.predict?.median).toBe(500);
  });

  it('gives ours / Keras of the medians, and of each round', () => {
    expect(p.ratio?.train).toBeCloseTo(3);
    expect(p.ratio?.predict).toBeCloseTo(1.8);
    expect(p.ratio?.trainByRound).toEqual({ median: 2, min: 2, max: 3 });
  });

  it('labels the point', () => {
    expect(p.label).toBe('GRU(32) · batch 64 · 20x1');
  });

  it('has no ratio when a side has no rounds', () => {
    const failed = point(cell(256), [[100, 100]], [], 'setup: boom');
    expect(failed.ratio).toBeNull();
  });
});

describe('summarizeGrid', () => {
  const points = [
    point(cell(32), [[300, 300]], [[100, 100]]),
    point(cell(128), [[90, 200]], [[100, 100]]),
    point(cell(256), [[50, 80]], [[100, 100]]),
    point({ kind: 'tagger', batch: 64 }, [[150, 150]], [[100, 100]]),
    point(cell(512), [[100, 100]], [], 'round 1: the Keras worker exited'),
  ];
  const summary = summarizeGrid(points);

  it('takes the median, min and max of the points that have ratios', () => {
    expect(summary.points).toBe(4);
    expect(summary.train).toEqual({ median: 1.2, min: 0.5, max: 3 });
    expect(summary.predict?.median).toBeCloseTo(1.75);
    expect(summary.predict?.min).toBeCloseTo(0.8);
  });

  it('lists the points below 1x, and the failures with their reasons', () => {
    expect(summary.trainBelowOne).toEqual([
      'GRU(128) · batch 64 · 20x1',
      'GRU(256) · batch 64 · 20x1',
    ]);
    expect(summary.predictBelowOne).toEqual(['GRU(256) · batch 64 · 20x1']);
    expect(summary.failed).toEqual([
      'GRU(512) · batch 64 · 20x1: round 1: the Keras worker exited',
    ]);
  });

  it('is empty without points', () => {
    expect(summarizeGrid([])).toEqual({
      points: 0,
      train: null,
      predict: null,
      trainBelowOne: [],
      predictBelowOne: [],
      failed: [],
    });
  });

  it('prints a line per point and the summary', () => {
    const results = gridResults(points);
    const text = formatGrid(results);
    expect(text).toMatch(/GRU\(32\) · batch 64 · 20x1 +640 +300 +100 +3\.00x/);
    expect(text).toMatch(/over 4 points: training median 1\.20x \(0\.50x-3\.00x\)/);
    expect(text).toMatch(/training below 1x: GRU\(128\) · batch 64 · 20x1; GRU\(256\)/);
    expect(text).toMatch(/FAILED GRU\(512\)/);
  });
});

describe('formatPlan', () => {
  it('lists each point and the expected total', () => {
    const text = formatPlan(
      [
        {
          point: cell(32),
          plan: { samples: 640, epochsPerRound: 2, rounds: 3 },
          estimatedSeconds: 30,
        },
        {
          point: cell(256),
          plan: { samples: 64, epochsPerRound: 1, rounds: 3 },
          estimatedSeconds: 60,
        },
      ],
      'full',
    );
    expect(text).toMatch(/GRU\(32\) · batch 64 · 20x1 +640 +2 +3 +30 s/);
    expect(text).toMatch(/full grid: 2 points, expected 1\.5 min/);
  });
});
