/**
 * Every Keras reference fixture in __tests__/fixtures/keras/ (found on disk, so new ones are
 * covered without editing this file): every forward case within the fixture's own atol, and
 * every `gradients`, `training`, `calls` and `gradient_flow` section replayed within its own
 * rtol / atol, on the wasm
 * and cpu backends (and tensorflow when TFJS_BACKEND=tensorflow). JSON only: no Python.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend';
import { type KerasFixture, fixtureTensor, readFixtureFile } from '../src/keras/fixture';
import { caseInputs, modelFromFixture } from '../src/keras/compare';
import { replayCalls } from '../src/keras/replay_calls';
import { replayGradientFlow } from '../src/keras/replay_gradient_flow';
import { replayGradients } from '../src/keras/replay_gradients';
import { replayTraining } from '../src/keras/replay_training';
import { fixtureBackends } from './helpers/tensors';

const FIXTURE_DIR = join(__dirname, 'fixtures', 'keras');
const files = readdirSync(FIXTURE_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

/** Every fixture file, read once; one that cannot be read fails its own test below. */
const fixtures = files.map((file) => {
  try {
    return { file, fixture: readFixtureFile(join(FIXTURE_DIR, file)), error: undefined };
  } catch (err) {
    return { file, fixture: undefined, error: err instanceof Error ? err : new Error(String(err)) };
  }
});
const cases = fixtures.flatMap(({ file, fixture }) =>
  fixture === undefined
    ? []
    : fixture.cases.map((c, index) => ({ file, fixture, index, caseName: c.name })),
);

/** The fixtures with a section, one entry per fixture. */
function withSection(section: string): { file: string; fixture: KerasFixture }[] {
  return fixtures.flatMap(({ file, fixture }) =>
    fixture?.sections.includes(section) === true ? [{ file, fixture }] : [],
  );
}
const gradientFixtures = withSection('gradients');
const trainingFixtures = withSection('training');
const callsFixtures = withSection('calls');
const flowFixtures = withSection('gradient_flow');

it.each(fixtures)('$file is a valid fixture', ({ error }) => {
  if (error !== undefined) throw error;
});

it('finds the fixtures', () => {
  expect(files.length).toBeGreaterThan(0);
  expect(cases.length).toBeGreaterThanOrEqual(files.length);
  expect(gradientFixtures.length).toBeGreaterThan(0);
  expect(trainingFixtures.length).toBeGreaterThan(0);
  expect(callsFixtures.length).toBeGreaterThan(0);
  expect(flowFixtures.length).toBeGreaterThan(0);
});

describe.each(fixtureBackends())('Keras fixtures on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(cases)('$file: case $caseName', ({ fixture, index }) => {
    const testCase = fixture.cases.at(index);
    if (testCase === undefined) throw new Error(`no case ${index}`);
    const before = tf.memory().numTensors;
    const built = modelFromFixture(fixture);
    try {
      tf.tidy(() => {
        const xs = caseInputs(built, testCase);
        const predicted = built.model.predict(xs.length === 1 ? xs[0] : xs);
        const outputs = Array.isArray(predicted) ? predicted : [predicted];
        expect(outputs).toHaveLength(testCase.outputs.length);
        testCase.outputs.forEach((expected, k) => {
          // The fixture's atol, no rtol: never looser than the fixture asks.
          expect(outputs[k]).toBeAllClose(fixtureTensor(expected), testCase.atol, 0);
        });
      });
    } finally {
      built.model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(gradientFixtures)('$file: gradients', ({ fixture }) => {
    const before = tf.memory().numTensors;
    const built = modelFromFixture(fixture);
    try {
      const result = replayGradients(fixture, built);
      expect(result.reason).toBeUndefined();
      expect(result.status).toBe('passed');
    } finally {
      built.model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(callsFixtures)('$file: calls', ({ fixture }) => {
    const before = tf.memory().numTensors;
    const built = modelFromFixture(fixture);
    try {
      const result = replayCalls(fixture, built);
      expect(result.reason).toBeUndefined();
      expect(result.status).toBe('passed');
    } finally {
      built.model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(flowFixtures)('$file: gradient_flow', async ({ fixture }) => {
    const built = modelFromFixture(fixture);
    const before = tf.memory().numTensors;
    try {
      const result = await replayGradientFlow(fixture, built);
      expect(result.reason).toBeUndefined();
      expect(result.status).toBe('passed');
    } finally {
      expect(tf.memory().numTensors).toBe(before);
      built.model.dispose();
    }
  });

  it.each(trainingFixtures)('$file: training', async ({ fixture }) => {
    const before = tf.memory().numTensors;
    const result = await replayTraining(fixture, modelFromFixture);
    expect(result.reason).toBeUndefined();
    expect(result.status).toBe('passed');
    expect(tf.memory().numTensors).toBe(before);
  });
});
