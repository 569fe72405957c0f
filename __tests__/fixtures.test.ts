/**
 * Every Keras reference fixture in __tests__/fixtures/keras/ (found on disk, so new ones are
 * covered without editing this file), every forward case, on the wasm and cpu backends (and
 * tensorflow when TFJS_BACKEND=tensorflow), within the fixture's own atol. JSON only: no Python.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend';
import { fixtureTensor, readFixtureFile } from '../src/keras/fixture';
import { modelFromFixture } from '../src/keras/compare';
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

it.each(fixtures)('$file is a valid fixture', ({ error }) => {
  if (error !== undefined) throw error;
});

it('finds the fixtures', () => {
  expect(files.length).toBeGreaterThan(0);
  expect(cases.length).toBeGreaterThanOrEqual(files.length);
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
        const xs = testCase.inputs.map((t, i) => {
          const x = fixtureTensor(t);
          const dtype = built.inputDtypes[i] ?? x.dtype;
          return x.dtype === dtype ? x : tf.cast(x, dtype);
        });
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
});
