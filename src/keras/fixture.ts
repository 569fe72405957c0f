/**
 * Reading Keras reference fixtures (`shared/fixtures/FORMAT.md`, version 1): typed access and
 * validation of every part this package uses, with messages that say where a file is wrong.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { formatShape } from '../errors';
import {
  type JsonObject,
  type JsonValue,
  errorMessage,
  isJsonArray,
  isJsonObject,
  show,
} from './keras_json';

/** The `format` every fixture file declares. */
export const FIXTURE_FORMAT = 'keras-reference-fixture';
/** The version of the fixture format this reader knows. */
export const FIXTURE_VERSION = 1;

/** The optional sections FORMAT.md defines besides the forward cases. */
export const FIXTURE_SECTIONS = ['gradients', 'training', 'calls', 'gradient_flow'] as const;

const KNOWN_KEYS = new Set([
  'format',
  'version',
  'name',
  'description',
  'generator',
  'model',
  'layer',
  'input_shape',
  'weights',
  'cases',
  // The tolerance of the `calls` (FORMAT.md writes it beside them).
  'atol',
  ...FIXTURE_SECTIONS,
]);

/** A fixture that cannot be read: unreadable file, bad JSON, wrong format or version. */
export class FixtureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FixtureError';
  }
}

/** A fixture tensor's dtype. */
export type FixtureDtype = 'float32' | 'int32';

/** `{"shape": [2, 4, 5], "dtype": "float32", "data": [...]}`, data row-major. */
export interface FixtureTensor {
  /** Its shape. */
  readonly shape: readonly number[];
  /** Its dtype. */
  readonly dtype: FixtureDtype;
  /** Its values, row-major. */
  readonly data: readonly number[];
}

/** A weight: Keras's variable path, then a tensor. */
export interface FixtureWeight extends FixtureTensor {
  /** Keras's variable path, such as `sequential/simple_rnn/simple_rnn_cell/kernel`. */
  readonly name: string;
}

/** One forward case: inputs, what Keras computed, and the tolerance the fixture asks for. */
export interface FixtureCase {
  /** The case's name. */
  readonly name: string;
  /** The model's inputs. */
  readonly inputs: readonly FixtureTensor[];
  /** What Keras computed for them. */
  readonly outputs: readonly FixtureTensor[];
  /** The absolute tolerance the fixture asks for. */
  readonly atol: number;
}

/** A parsed fixture. `model` xor (`layer` and `inputShape`). */
export interface KerasFixture {
  /** The fixture's name (its file name without `.json`). */
  readonly name: string;
  /** What the fixture checks, in words. */
  readonly description: string | undefined;
  /** The generator's record: Keras and TensorFlow versions, script, seed. */
  readonly generator: JsonObject | undefined;
  /** `model.to_json()`, as Keras wrote it. */
  readonly model: JsonObject | undefined;
  /** `{"class_name": ..., "config": layer.get_config()}` of a layer fixture. */
  readonly layer: JsonObject | undefined;
  /** The layer fixture's input shape, batch axis first: `[null, 5, 3]`. */
  readonly inputShape: readonly (number | null)[] | undefined;
  /** The model's weights, in Keras's order. */
  readonly weights: readonly FixtureWeight[];
  /** The forward cases. */
  readonly cases: readonly FixtureCase[];
  /** The optional sections present (`gradients`, `training`), then any unknown top-level keys. */
  readonly sections: readonly string[];
  /** The whole document, for the sections this module does not type. */
  readonly raw: JsonObject;
}

function fail(path: string, expectation: string, received: unknown): never {
  throw new FixtureError(`${path}: expected ${expectation}, received ${show(received)}.`);
}

function readDims(path: string, value: JsonValue | undefined): number[] {
  if (!isJsonArray(value)) fail(path, 'a shape (a list of non-negative integers)', value);
  return value.map((d) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      fail(path, 'a shape (a list of non-negative integers)', value);
    }
    return d;
  });
}

/** Reads and checks a tensor: known dtype, shape, data length equal to the shape's size. */
export function readTensor(path: string, value: JsonValue | undefined): FixtureTensor {
  if (!isJsonObject(value)) fail(path, 'a tensor {"shape", "dtype", "data"}', value);
  const shape = readDims(`${path}.shape`, value.shape);
  const dtype = value.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'int32')
    fail(`${path}.dtype`, '"float32" or "int32"', dtype);
  const data = value.data;
  if (!isJsonArray(data)) fail(`${path}.data`, 'a list of numbers', data);
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) {
    throw new FixtureError(
      `${path}.data: expected ${size} values for shape ${formatShape(shape)}, received ${data.length}.`,
    );
  }
  const numbers = data.map((x, i) => {
    if (typeof x !== 'number') fail(`${path}.data[${i}]`, 'a number', x);
    if (dtype === 'int32' && !Number.isInteger(x)) fail(`${path}.data[${i}]`, 'an integer', x);
    return x;
  });
  return { shape, dtype, data: numbers };
}

function readTensors(path: string, value: JsonValue | undefined): FixtureTensor[] {
  if (!isJsonArray(value) || value.length === 0) fail(path, 'a non-empty list of tensors', value);
  return value.map((t, i) => readTensor(`${path}[${i}]`, t));
}

function readCase(path: string, value: JsonValue | undefined): FixtureCase {
  if (!isJsonObject(value)) fail(path, 'a case {"name", "inputs", "outputs", "atol"}', value);
  const name = value.name;
  if (typeof name !== 'string' || name === '') fail(`${path}.name`, 'a non-empty string', name);
  const atol = value.atol;
  if (typeof atol !== 'number' || !(atol >= 0)) fail(`${path}.atol`, 'a non-negative number', atol);
  return {
    name,
    inputs: readTensors(`${path}.inputs`, value.inputs),
    outputs: readTensors(`${path}.outputs`, value.outputs),
    atol,
  };
}

/**
 * Checks a parsed fixture document and returns its typed view. Throws a FixtureError naming
 * the first wrong part (`cases[0].outputs[1].data: expected 24 values ...`).
 */
export function parseFixture(value: unknown): KerasFixture {
  if (!isJsonObject(value)) fail('fixture', 'a JSON object', value);
  if (value.format !== FIXTURE_FORMAT) {
    fail('format', `"${FIXTURE_FORMAT}"`, value.format);
  }
  if (value.version !== FIXTURE_VERSION) {
    throw new FixtureError(
      `version: this reader knows version ${FIXTURE_VERSION} of the fixture format, received ${show(value.version)}.`,
    );
  }
  const name = value.name;
  if (typeof name !== 'string' || name === '') fail('name', 'a non-empty string', name);
  const description = typeof value.description === 'string' ? value.description : undefined;
  const generator = isJsonObject(value.generator) ? value.generator : undefined;

  const model = value.model;
  const layer = value.layer;
  if ((model === undefined) === (layer === undefined)) {
    throw new FixtureError('fixture: expected exactly one of "model" and "layer".');
  }
  if (model !== undefined && !isJsonObject(model)) fail('model', 'a Keras model object', model);
  if (layer !== undefined && !isJsonObject(layer)) fail('layer', 'a Keras layer object', layer);
  let inputShape: (number | null)[] | undefined;
  if (layer !== undefined) {
    const shape = value.input_shape;
    if (
      !isJsonArray(shape) ||
      shape.some((d) => d !== null && (typeof d !== 'number' || !Number.isInteger(d) || d < 0))
    ) {
      fail('input_shape', 'a shape with the batch axis, such as [null, 5, 3]', shape);
    }
    inputShape = shape as (number | null)[];
  }

  const weightValues = value.weights;
  if (!isJsonArray(weightValues)) fail('weights', 'a list of weights', weightValues);
  const weights = weightValues.map((w, i): FixtureWeight => {
    const path = `weights[${i}]`;
    if (!isJsonObject(w)) fail(path, 'a weight {"name", "shape", "dtype", "data"}', w);
    if (typeof w.name !== 'string') fail(`${path}.name`, 'a string', w.name);
    return { name: w.name, ...readTensor(path, w) };
  });

  // A fixture with `calls` may have no cases (FORMAT.md).
  const caseValues = value.cases ?? (value.calls === undefined ? undefined : []);
  if (!isJsonArray(caseValues) || (caseValues.length === 0 && value.calls === undefined)) {
    fail('cases', 'a non-empty list of cases', caseValues);
  }
  const cases = caseValues.map((c, i) => readCase(`cases[${i}]`, c));

  const sections = [
    ...FIXTURE_SECTIONS.filter((s) => value[s] !== undefined),
    ...Object.keys(value).filter((k) => !KNOWN_KEYS.has(k)),
  ];
  return {
    name,
    description,
    generator,
    model,
    layer,
    inputShape,
    weights,
    cases,
    sections,
    raw: value,
  };
}

/** Reads, parses and checks a fixture file. Throws a FixtureError naming the file's problem. */
export function readFixtureFile(path: string): KerasFixture {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new FixtureError(`cannot read ${path}: ${errorMessage(err)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new FixtureError(`${path} is not valid JSON: ${errorMessage(err)}`);
  }
  try {
    return parseFixture(value);
  } catch (err) {
    if (err instanceof FixtureError) throw new FixtureError(`${path}: ${err.message}`);
    throw err;
  }
}

/** A fixture tensor as a tfjs tensor of its dtype. */
export function fixtureTensor(t: FixtureTensor): tf.Tensor {
  return tf.tensor(t.data, [...t.shape], t.dtype);
}

/** The Keras version that wrote the fixture (`generator.keras`), if recorded. */
export function fixtureKerasVersion(fixture: KerasFixture): string | undefined {
  const v = fixture.generator?.keras;
  return typeof v === 'string' ? v : undefined;
}
