import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FixtureError, parseFixture, readFixtureFile } from '../../src/keras/fixture';
import type { JsonObject } from '../../src/keras/keras_json';

const FIXTURES = join(__dirname, '..', 'fixtures', 'keras');

function load(name: string): JsonObject {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as JsonObject;
}

describe('reading fixtures', () => {
  it('types a model fixture', () => {
    const fixture = readFixtureFile(join(FIXTURES, 'stacked_cells_rnn_seq.json'));
    expect(fixture.name).toBe('stacked_cells_rnn_seq');
    expect(fixture.model?.class_name).toBe('Sequential');
    expect(fixture.layer).toBeUndefined();
    expect(fixture.weights.map((w) => w.shape)).toEqual([[3, 4], [4, 4], [4], [4, 5], [5, 5], [5]]);
    expect(fixture.cases[0]?.outputs[0]?.shape).toEqual([2, 4, 5]);
    expect(fixture.sections).toEqual(['gradients']);
  });

  it('types a layer fixture', () => {
    const fixture = readFixtureFile(join(FIXTURES, 'layer_simple_rnn_return_state.json'));
    expect(fixture.layer?.class_name).toBe('SimpleRNN');
    expect(fixture.inputShape).toEqual([null, 5, 3]);
    expect(fixture.cases[0]?.outputs).toHaveLength(2);
  });

  const base = () => load('simple_rnn_b1_t1.json');
  const firstCase = (doc: JsonObject): JsonObject => (doc.cases as JsonObject[])[0];

  it.each<[string, (doc: JsonObject) => unknown, RegExp]>([
    ['not an object', () => [1, 2], /fixture: expected a JSON object/],
    [
      'another format',
      (d) => ({ ...d, format: 'something-else' }),
      /format: expected "keras-reference-fixture", received "something-else"/,
    ],
    [
      'version 2',
      (d) => ({ ...d, version: 2 }),
      /version: this reader knows version 1 of the fixture format, received 2/,
    ],
    ['no name', (d) => ({ ...d, name: '' }), /name: expected a non-empty string/],
    [
      'both model and layer',
      (d) => ({ ...d, layer: d.model }),
      /expected exactly one of "model" and "layer"/,
    ],
    [
      'a layer without input_shape',
      (d) => ({ ...d, model: undefined, layer: d.model }),
      /input_shape: expected a shape with the batch axis/,
    ],
    ['no cases', (d) => ({ ...d, cases: [] }), /cases: expected a non-empty list of cases/],
    [
      'a short weight',
      (d) => ({
        ...d,
        weights: (d.weights as JsonObject[]).map((w, i) =>
          i === 0 ? { ...w, data: (w.data as number[]).slice(1) } : w,
        ),
      }),
      /weights\[0\]\.data: expected 12 values for shape \[3, 4\], received 11/,
    ],
    [
      'a case without atol',
      (d) => ({ ...d, cases: [{ ...firstCase(d), atol: undefined }] }),
      /cases\[0\]\.atol: expected a non-negative number/,
    ],
    [
      'a bfloat16 output',
      (d) => ({
        ...d,
        cases: [{ ...firstCase(d), outputs: [{ shape: [1], dtype: 'bfloat16', data: [0] }] }],
      }),
      /cases\[0\]\.outputs\[0\]\.dtype: expected "float32" or "int32", received "bfloat16"/,
    ],
    [
      'a string in the data',
      (d) => ({
        ...d,
        cases: [{ ...firstCase(d), outputs: [{ shape: [1], dtype: 'float32', data: ['NaN'] }] }],
      }),
      /cases\[0\]\.outputs\[0\]\.data\[0\]: expected a number, received "NaN"/,
    ],
  ])('refuses %s', (_what, edit, message) => {
    const doc = edit(base());
    expect(() => parseFixture(doc)).toThrow(FixtureError);
    expect(() => parseFixture(doc)).toThrow(message);
  });

  it('lists unknown top-level sections so that they are reported, not ignored', () => {
    expect(parseFixture({ ...base(), saliency: {} }).sections).toEqual(['saliency']);
  });

  it.each<[string, string, RegExp]>([
    [
      'a missing file',
      join(FIXTURES, 'does_not_exist.json'),
      /cannot read .*does_not_exist\.json: ENOENT/,
    ],
    ['a directory', FIXTURES, /cannot read .*keras: EISDIR/],
  ])('names %s', (_what, path, message) => {
    expect(() => readFixtureFile(path)).toThrow(message);
  });
});
