/**
 * Keras model JSON (`model.to_json()`) -> a tfjs model of this package's layers, and Keras's
 * weight list -> that model's variables.
 *
 * - `Sequential` (Keras 3 and Keras 2): input from the `InputLayer`, else from the first layer's
 *   `batch_input_shape` / `batch_shape` / `input_shape`, the model's `build_input_shape`, or the
 *   `build_config`s.
 * - `Functional` (and Keras 2's `Model`): any graph of single-input layers, shared layers and
 *   several inputs and outputs included; nodes in Keras 3's `{args, kwargs}` form or Keras 2's
 *   `[[name, node, tensor, kwargs]]` form.
 * - One layer with an input shape (a fixture's `layer` + `input_shape`).
 *
 * Weights follow Keras's `model.weights` order: layer by layer in Keras 3; trainable weights of
 * every layer before the frozen ones in Keras 2.
 */
import * as tf from '@tensorflow/tfjs';
import { formatShape } from '../errors';
import {
  ConfigReader,
  type JsonObject,
  type JsonValue,
  KerasJsonError,
  errorMessage,
  isJsonArray,
  isJsonObject,
  kerasObject,
  show,
} from './keras_json';
import { type KerasDialect, checkFloat32Policy, dialectOf, readShape } from './keras_values';
import { SimpleRNNCell } from '../layers/rnn/simple_rnn';
import {
  type KerasInputSpec,
  type KerasLayerInfo,
  type KerasLayerSpec,
  type KerasReadOptions,
  buildLayer,
  inputFromKeras,
  kerasLayerSpec,
} from './layer_from_keras';

/** A layer of the rebuilt model, with the Keras class and name it came from. */
export interface KerasModelLayer {
  /** The Keras layer name. */
  readonly name: string;
  /** The Keras class name as written (`SimpleRNN`, `RNN`, `Dense`, ...). */
  readonly kerasClassName: string;
  readonly layer: tf.layers.Layer;
}

/** A Keras model rebuilt from its JSON. Dispose it with `model.dispose()`. */
export interface KerasModel {
  /** The tfjs model of this package's layers (a `tf.Sequential` for a Keras Sequential). */
  readonly model: tf.LayersModel;
  /** The layers that are not inputs, in Keras's order. */
  readonly layers: readonly KerasModelLayer[];
  /** The dtype each input expects, in the model's input order. */
  readonly inputDtypes: readonly ('float32' | 'int32')[];
  readonly dialect: KerasDialect;
}

/** A weight's values as Keras lists them: variable path, shape, row-major data. */
export interface KerasWeightValues {
  readonly name?: string;
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

/** Options of `modelFromKeras`. */
export interface KerasModelOptions {
  /** Keras 3 or Keras 2 JSON. Default: from the document's `keras_version` (absent: Keras 3). */
  dialect?: KerasDialect;
  /**
   * Run the layers' initializers. False skips them (zeros instead) when Keras's weights are
   * loaded right after, which saves e.g. the orthogonal initializer's QR decompositions; the
   * layers' configs then report 'zeros'. Default: true.
   */
  initializeWeights?: boolean;
}

const ZEROS = 'zeros';

/** The spec with every initializer replaced by zeros (see `initializeWeights`). */
function withoutInitializers(spec: KerasLayerSpec): KerasLayerSpec {
  switch (spec.className) {
    case 'SimpleRNN':
      return {
        className: spec.className,
        args: {
          ...spec.args,
          kernelInitializer: ZEROS,
          recurrentInitializer: ZEROS,
          biasInitializer: ZEROS,
        },
      };
    case 'StackedRNN':
      return {
        className: spec.className,
        args: {
          ...spec.args,
          cells: spec.args.cells.map((cell) =>
            cell instanceof SimpleRNNCell || 'className' in cell
              ? cell
              : {
                  ...cell,
                  kernelInitializer: ZEROS,
                  recurrentInitializer: ZEROS,
                  biasInitializer: ZEROS,
                },
          ),
        },
      };
    case 'Dense':
      return {
        className: spec.className,
        args: { ...spec.args, kernelInitializer: ZEROS, biasInitializer: ZEROS },
      };
    case 'Embedding':
      return { className: spec.className, args: { ...spec.args, embeddingsInitializer: ZEROS } };
    case 'Dropout':
      return spec;
  }
}

/** Builds a mapped layer, with or without its initializers. */
function build(spec: KerasLayerSpec, info: KerasLayerInfo, initialize: boolean): tf.layers.Layer {
  return buildLayer(initialize ? spec : withoutInitializers(spec), info);
}

/** Disposes whatever weights `layers` already created; used when a build fails half way. */
function disposeLayerWeights(layers: readonly tf.layers.Layer[]): void {
  for (const layer of layers) {
    for (const weight of layer.weights) {
      try {
        weight.dispose();
      } catch {
        // Already disposed.
      }
    }
  }
}

/** Runs `build`; on failure disposes the layers' weights and rethrows, prefixed by `where`. */
function buildOrClean<T>(
  layers: () => readonly tf.layers.Layer[],
  where: string,
  build: () => T,
): T {
  try {
    return build();
  } catch (err) {
    disposeLayerWeights(layers());
    if (err instanceof KerasJsonError) throw err;
    throw new KerasJsonError(`${where}: ${errorMessage(err)}`);
  }
}

function layerName(raw: JsonObject, config: JsonObject): string | undefined {
  if (typeof raw.name === 'string') return raw.name;
  return typeof config.name === 'string' ? config.name : undefined;
}

/** The model object inside what a user may hand over: to_json(), tfjs model.json, h5 config. */
function unwrapModel(json: unknown): { model: unknown; kerasVersion: string | undefined } {
  let value: unknown = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json) as unknown;
    } catch (err) {
      throw new KerasJsonError(`Keras model: not valid JSON: ${errorMessage(err)}`);
    }
  }
  let kerasVersion: string | undefined;
  for (;;) {
    if (!isJsonObject(value)) break;
    if (typeof value.keras_version === 'string') kerasVersion = value.keras_version;
    const inner = value.modelTopology ?? value.model_config;
    if (inner === undefined || typeof value.class_name === 'string') break;
    value = inner;
  }
  // model.get_config() is the config without its {class_name, config} wrapper.
  if (isJsonObject(value) && value.class_name === undefined && isJsonArray(value.layers)) {
    const functional = value.input_layers !== undefined || value.output_layers !== undefined;
    value = { class_name: functional ? 'Functional' : 'Sequential', config: value };
  }
  return { model: value, kerasVersion };
}

/**
 * Rebuilds a Keras model from its JSON (`model.to_json()`, parsed or as text): a `Sequential`
 * or a `Functional` model. Throws a KerasJsonError that names the class and key of anything it
 * cannot map. The weights are initialized; load Keras's with `loadKerasWeights`.
 */
export function modelFromKeras(json: unknown, options: KerasModelOptions = {}): KerasModel {
  const { model, kerasVersion } = unwrapModel(json);
  const dialect = options.dialect ?? dialectOf(kerasVersion);
  // Keras 2.2 wrote a Sequential's config as the bare list of its layers.
  const normalized =
    isJsonObject(model) && model.class_name === 'Sequential' && isJsonArray(model.config)
      ? { ...model, config: { layers: model.config } }
      : model;
  const object = kerasObject('Keras model', normalized);
  switch (object.className) {
    case 'Sequential':
      return sequentialFromKeras(
        object.raw,
        object.config,
        dialect,
        options.initializeWeights ?? true,
      );
    case 'Functional':
    case 'Model':
      return functionalFromKeras(
        object.raw,
        object.config,
        dialect,
        options.initializeWeights ?? true,
      );
    default:
      throw new KerasJsonError(
        `Keras model: class '${object.className}' is not a model this package rebuilds; expected 'Sequential' or 'Functional' (a single layer needs an input shape: modelFromKerasLayer).`,
      );
  }
}

// ---------------------------------------------------------------------------------------------
// Sequential

function sequentialFromKeras(
  raw: JsonObject,
  config: JsonObject,
  dialect: KerasDialect,
  initialize: boolean,
): KerasModel {
  const reader = new ConfigReader(
    `Keras Sequential${typeof config.name === 'string' ? ` '${config.name}'` : ''}`,
    config,
  );
  const name = reader.optionalString('name');
  const trainable = reader.boolean('trainable', true);
  checkFloat32Policy(reader);
  const layerValues = reader.get('layers');
  if (!isJsonArray(layerValues) || layerValues.length === 0) {
    throw reader.error('layers', 'must be a non-empty list of layers');
  }
  const buildInputShape = reader.get('build_input_shape');
  reader.finish();

  let input: KerasInputSpec | undefined;
  const mapped: { info: KerasLayerInfo; spec: ReturnType<typeof kerasLayerSpec>['spec'] }[] = [];
  layerValues.forEach((value, i) => {
    const where = `Keras Sequential: layers[${i}]`;
    const object = kerasObject(where, value);
    if (object.className === 'InputLayer') {
      if (i !== 0) {
        throw new KerasJsonError(
          `${where}: an InputLayer may only be the first layer of a Sequential.`,
        );
      }
      input = inputFromKeras(value, { dialect, where });
      return;
    }
    mapped.push(kerasLayerSpec(value, { dialect, where }));
  });
  const first = mapped.at(0);
  if (first === undefined) {
    throw new KerasJsonError(`${reader.subject}: has an input but no layers.`);
  }
  if (input === undefined) {
    const shape =
      first.info.declaredBatchShape ??
      optionalShape(`${reader.subject}: \`build_input_shape\``, buildInputShape) ??
      buildConfigShape(raw, `${reader.subject}: \`build_config\``) ??
      buildConfigShape(
        firstLayerObject(layerValues),
        `${reader.subject}: layers[0] \`build_config\``,
      );
    if (shape === undefined) {
      throw new KerasJsonError(
        `${reader.subject}: no input shape: expected an InputLayer, a first layer with \`batch_input_shape\`, or a \`build_input_shape\`.`,
      );
    }
    input = {
      name: `${first.info.name}_input`,
      batchShape: shape,
      dtype: first.spec.className === 'Embedding' ? 'int32' : 'float32',
    };
  }
  const inputSpec = input;
  const layers: KerasModelLayer[] = [];
  const model = buildOrClean(
    () => layers.map((l) => l.layer),
    reader.subject,
    () => {
      const sequential = tf.sequential(name === undefined ? {} : { name });
      sequential.add(
        tf.layers.inputLayer({
          batchInputShape: inputSpec.batchShape,
          dtype: inputSpec.dtype,
          name: inputSpec.name,
        }),
      );
      for (const { spec, info } of mapped) {
        const layer = build(spec, info, initialize);
        layers.push({ name: info.name, kerasClassName: info.kerasClassName, layer });
        try {
          sequential.add(layer);
        } catch (err) {
          throw new KerasJsonError(
            `${reader.subject}: ${info.kerasClassName} '${info.name}': ${errorMessage(err)}`,
          );
        }
      }
      return sequential;
    },
  );
  if (!trainable) model.trainable = false;
  return { model, layers, inputDtypes: [inputSpec.dtype], dialect };
}

function firstLayerObject(layers: readonly JsonValue[]): JsonValue | undefined {
  return layers[0];
}

function optionalShape(where: string, value: JsonValue | undefined): (number | null)[] | undefined {
  return value === undefined || value === null ? undefined : readShape(where, value);
}

/** `build_config.input_shape`, which Keras 3 writes on built layers and models. */
function buildConfigShape(
  value: JsonValue | undefined,
  where: string,
): (number | null)[] | undefined {
  if (!isJsonObject(value) || !isJsonObject(value.build_config)) return undefined;
  return optionalShape(where, value.build_config.input_shape);
}

// ---------------------------------------------------------------------------------------------
// Functional

/** Where a layer's input comes from: the `tensor`-th output of `layer`'s `node`-th call. */
interface TensorRef {
  layer: string;
  node: number;
  tensor: number;
}

function isTensorRefArray(value: JsonValue): value is [string, number, number, ...JsonValue[]] {
  return (
    isJsonArray(value) &&
    (value.length === 3 || value.length === 4) &&
    typeof value[0] === 'string' &&
    typeof value[1] === 'number' &&
    typeof value[2] === 'number'
  );
}

/** Refuses call arguments that change the math: initial states, masks, training=True dropout. */
function checkCallKwargs(where: string, kwargs: JsonValue | undefined, stochastic: boolean): void {
  if (kwargs === undefined || kwargs === null) return;
  if (!isJsonObject(kwargs)) {
    throw new KerasJsonError(
      `${where}: expected the call's kwargs to be an object, received ${show(kwargs)}.`,
    );
  }
  for (const [key, value] of Object.entries(kwargs)) {
    if (value === undefined || value === null) continue;
    if (key === 'training') {
      if (value === false || !stochastic) continue;
      throw new KerasJsonError(
        `${where}: called with \`training: ${show(value)}\`, which keeps dropout on at inference; not supported.`,
      );
    }
    const why =
      key === 'initial_state'
        ? 'initial states are not supported'
        : key === 'mask'
          ? 'masks are not supported'
          : 'unknown call argument';
    throw new KerasJsonError(`${where}: called with \`${key}: ${show(value)}\`: ${why}.`);
  }
}

/** One inbound node, in Keras 3's `{args, kwargs}` or Keras 2's `[[name, node, tensor, kwargs]]` form. */
function readNode(where: string, node: JsonValue, stochastic: boolean): TensorRef {
  if (isJsonObject(node)) {
    const args = node.args;
    if (!isJsonArray(args) || args.length !== 1) {
      throw new KerasJsonError(
        `${where}: expected a call with one input tensor, received args ${show(args)}; layers with several inputs are not supported.`,
      );
    }
    let arg = args[0] ?? null;
    if (isJsonArray(arg) && arg.length === 1) arg = arg[0] ?? null;
    const history =
      isJsonObject(arg) && arg.class_name === '__keras_tensor__' && isJsonObject(arg.config)
        ? arg.config.keras_history
        : undefined;
    if (history === undefined || history === null || !isTensorRefArray(history)) {
      throw new KerasJsonError(
        `${where}: expected the input to be a Keras tensor with a \`keras_history\`, received ${show(arg)}.`,
      );
    }
    checkCallKwargs(where, node.kwargs, stochastic);
    return { layer: history[0], node: history[1], tensor: history[2] };
  }
  if (isJsonArray(node)) {
    const inputs = isTensorRefArray(node) ? [node] : node;
    const input = inputs.at(0);
    if (inputs.length !== 1 || input === undefined || !isTensorRefArray(input)) {
      throw new KerasJsonError(
        `${where}: expected one inbound tensor [layer, node, tensor, kwargs], received ${show(node)}; layers with several inputs are not supported.`,
      );
    }
    checkCallKwargs(where, input[3], stochastic);
    return { layer: input[0], node: input[1], tensor: input[2] };
  }
  throw new KerasJsonError(`${where}: unreadable inbound node ${show(node)}.`);
}

interface GraphLayer {
  name: string;
  info: KerasLayerInfo;
  layer: tf.layers.Layer;
  pending: TensorRef[];
}

function functionalFromKeras(
  raw: JsonObject,
  config: JsonObject,
  dialect: KerasDialect,
  initialize: boolean,
): KerasModel {
  const subject = `Keras ${typeof raw.class_name === 'string' ? raw.class_name : 'Functional'}${typeof config.name === 'string' ? ` '${config.name}'` : ''}`;
  const reader = new ConfigReader(subject, config);
  const name = reader.optionalString('name');
  const trainable = reader.boolean('trainable', true);
  checkFloat32Policy(reader);
  const layerValues = reader.get('layers');
  const inputLayers = reader.get('input_layers');
  const outputLayers = reader.get('output_layers');
  if (!isJsonArray(layerValues) || layerValues.length === 0) {
    throw reader.error('layers', 'must be a non-empty list of layers');
  }
  reader.finish();

  // Map every layer before creating any weights, so a refusal leaves nothing behind.
  const inputs = new Map<string, KerasInputSpec>();
  const mapped: {
    name: string;
    info: KerasLayerInfo;
    spec: ReturnType<typeof kerasLayerSpec>['spec'];
    nodes: TensorRef[];
  }[] = [];
  const names = new Set<string>();
  layerValues.forEach((value, i) => {
    const where = `${subject}: layers[${i}]`;
    const object = kerasObject(where, value);
    const lname = layerName(object.raw, object.config);
    if (lname === undefined) throw new KerasJsonError(`${where}: the layer has no name.`);
    if (names.has(lname)) throw new KerasJsonError(`${where}: two layers are named '${lname}'.`);
    names.add(lname);
    if (object.className === 'InputLayer') {
      inputs.set(lname, { ...inputFromKeras(value, { dialect, where }), name: lname });
      return;
    }
    const { spec, info } = kerasLayerSpec(value, { dialect, where } satisfies KerasReadOptions);
    const inbound = object.raw.inbound_nodes;
    if (!isJsonArray(inbound) || inbound.length === 0) {
      throw new KerasJsonError(
        `${where}: ${info.kerasClassName} '${lname}' has no \`inbound_nodes\`.`,
      );
    }
    const nodes = inbound.map((node, n) =>
      readNode(
        `${where} ${info.kerasClassName} '${lname}' inbound_nodes[${n}]`,
        node,
        info.stochastic,
      ),
    );
    mapped.push({ name: lname, info: { ...info, name: lname }, spec, nodes });
  });

  const built: GraphLayer[] = [];
  const model = buildOrClean(
    () => built.map((g) => g.layer),
    subject,
    () => {
      const outputs = new Map<string, tf.SymbolicTensor[][]>();
      const inputTensors = new Map<string, tf.SymbolicTensor>();
      for (const [lname, spec] of inputs) {
        const tensor = tf.input({ batchShape: spec.batchShape, dtype: spec.dtype, name: lname });
        inputTensors.set(lname, tensor);
        outputs.set(lname, [[tensor]]);
      }
      for (const m of mapped) {
        built.push({
          name: m.name,
          info: m.info,
          layer: build(m.spec, m.info, initialize),
          pending: [...m.nodes],
        });
        outputs.set(m.name, []);
      }
      const lookup = (ref: TensorRef): tf.SymbolicTensor | undefined =>
        outputs.get(ref.layer)?.[ref.node]?.[ref.tensor];
      // Call the layers in Keras's order, each node once its input exists (Keras does the same).
      for (;;) {
        let progress = false;
        let left = 0;
        for (const g of built) {
          for (;;) {
            const ref = g.pending.at(0);
            if (ref === undefined) break;
            const x = lookup(ref);
            if (x === undefined) break;
            let y: tf.SymbolicTensor | tf.SymbolicTensor[];
            try {
              y = g.layer.apply(x) as tf.SymbolicTensor | tf.SymbolicTensor[];
            } catch (err) {
              throw new KerasJsonError(
                `${subject}: ${g.info.kerasClassName} '${g.name}': ${errorMessage(err)}`,
              );
            }
            outputs.get(g.name)?.push(Array.isArray(y) ? y : [y]);
            g.pending.shift();
            progress = true;
          }
          left += g.pending.length;
        }
        if (left === 0) break;
        if (!progress) {
          const stuck = built.find((g) => g.pending.length > 0);
          const ref = stuck?.pending[0];
          throw new KerasJsonError(
            `${subject}: layer '${stuck?.name ?? '?'}' reads output ${ref?.tensor ?? '?'} of call ${ref?.node ?? '?'} of layer '${ref?.layer ?? '?'}', which does not exist.`,
          );
        }
      }
      const resolve = (what: string, value: JsonValue | undefined): tf.SymbolicTensor[] => {
        if (value === undefined || value === null) {
          throw new KerasJsonError(`${subject}: \`${what}\` is missing.`);
        }
        if (isTensorRefArray(value)) {
          const tensor = lookup({ layer: value[0], node: value[1], tensor: value[2] });
          if (tensor === undefined) {
            throw new KerasJsonError(
              `${subject}: \`${what}\` names ${show(value)}, which does not exist.`,
            );
          }
          return [tensor];
        }
        if (isJsonArray(value)) return value.flatMap((v) => resolve(what, v));
        if (isJsonObject(value)) {
          // Keras flattens a dict of inputs or outputs in sorted key order.
          return Object.keys(value)
            .sort()
            .flatMap((k) => resolve(what, value[k]));
        }
        throw new KerasJsonError(`${subject}: \`${what}\`: unreadable ${show(value)}.`);
      };
      const modelInputs = resolve('input_layers', inputLayers);
      const modelOutputs = resolve('output_layers', outputLayers);
      for (const x of modelInputs) {
        if (![...inputTensors.values()].includes(x)) {
          throw new KerasJsonError(`${subject}: \`input_layers\` must name InputLayers.`);
        }
      }
      return tf.model({
        inputs: modelInputs,
        outputs: modelOutputs,
        ...(name === undefined ? {} : { name }),
      });
    },
  );
  if (!trainable) model.trainable = false;
  const dtypeOf = new Map([...inputs].map(([n, s]) => [n, s.dtype]));
  return {
    model,
    layers: built.map((g) => ({
      name: g.name,
      kerasClassName: g.info.kerasClassName,
      layer: g.layer,
    })),
    inputDtypes: model.inputLayers.map((l) => dtypeOf.get(l.name) ?? 'float32'),
    dialect,
  };
}

// ---------------------------------------------------------------------------------------------
// One layer

/** Options of `modelFromKerasLayer`. */
export interface KerasLayerModelOptions extends KerasModelOptions {
  /** The input's dtype. Default: 'int32' for an Embedding, else 'float32'. */
  inputDtype?: 'float32' | 'int32';
}

/**
 * A model of one Keras layer (`{"class_name": ..., "config": layer.get_config()}`) applied to an
 * input of `batchShape` (`[null, 5, 3]`); all of the layer's outputs (with `return_state`, the
 * output then the states) are the model's outputs.
 */
export function modelFromKerasLayer(
  json: unknown,
  batchShape: readonly (number | null)[],
  options: KerasLayerModelOptions = {},
): KerasModel {
  const dialect = options.dialect ?? dialectOf(undefined);
  const { spec, info } = kerasLayerSpec(json, { dialect, where: 'Keras layer' });
  const dtype = options.inputDtype ?? (spec.className === 'Embedding' ? 'int32' : 'float32');
  const layer = buildLayer(spec, info);
  const model = buildOrClean(
    () => [layer],
    `Keras ${info.kerasClassName} '${info.name}'`,
    () => {
      const input = tf.input({ batchShape: [...batchShape], dtype, name: `${info.name}_input` });
      const output = layer.apply(input) as tf.SymbolicTensor | tf.SymbolicTensor[];
      return tf.model({ inputs: input, outputs: output, name: `${info.name}_model` });
    },
  );
  return {
    model,
    layers: [{ name: info.name, kerasClassName: info.kerasClassName, layer }],
    inputDtypes: [dtype],
    dialect,
  };
}

// ---------------------------------------------------------------------------------------------
// Weights

/** One variable of the model in Keras's `model.weights` order, with the layer that owns it. */
export interface KerasWeightSlot {
  readonly variable: tf.LayerVariable;
  readonly owner: KerasModelLayer;
}

/** The model's variables in Keras's `model.weights` order. */
export function kerasWeightOrder(model: KerasModel): KerasWeightSlot[] {
  const slots = (pick: (layer: tf.layers.Layer) => tf.LayerVariable[]): KerasWeightSlot[] =>
    model.layers.flatMap((owner) => pick(owner.layer).map((variable) => ({ variable, owner })));
  if (model.dialect.legacy) {
    // Keras 2's model.weights is trainable_weights + non_trainable_weights.
    return [...slots((l) => l.trainableWeights), ...slots((l) => l.nonTrainableWeights)];
  }
  // Keras 3's model.weights goes layer by layer.
  return slots((l) => l.weights);
}

function slotName(slot: KerasWeightSlot): string {
  return `${slot.owner.kerasClassName} '${slot.owner.name}' weight '${slot.variable.originalName}'`;
}

/**
 * Sets the model's weights from Keras's list (`model.weights` order and layouts). Every shape is
 * checked before any value is written; a mismatch names the weight.
 */
export function loadKerasWeights(model: KerasModel, weights: readonly KerasWeightValues[]): void {
  const slots = kerasWeightOrder(model);
  const label = (i: number): string => {
    const name = weights.at(i)?.name;
    return name === undefined ? `weight ${i}` : `weight ${i} '${name}'`;
  };
  if (slots.length !== weights.length) {
    const unfilled = slots.at(weights.length);
    const extra =
      weights.length > slots.length
        ? `; the first without a place is ${label(slots.length)}`
        : unfilled === undefined
          ? ''
          : `; the first without values is ${slotName(unfilled)}`;
    throw new KerasJsonError(
      `Keras weights: the model has ${slots.length} weights, ${weights.length} were given${extra}.`,
    );
  }
  const pairs = slots.map((slot, i) => ({ slot, w: weights[i] }));
  pairs.forEach(({ slot, w }, i) => {
    const expected = slot.variable.shape;
    const same = w.shape.length === expected.length && w.shape.every((d, k) => d === expected[k]);
    if (!same) {
      throw new KerasJsonError(
        `Keras weights: ${label(i)} has shape ${formatShape(w.shape)}, but ${slotName(slot)} has shape ${formatShape(expected)}.`,
      );
    }
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (w.data.length !== size) {
      throw new KerasJsonError(
        `Keras weights: ${label(i)} has ${w.data.length} values for shape ${formatShape(w.shape)} (${size} expected).`,
      );
    }
  });
  tf.tidy(() => {
    for (const { slot, w } of pairs) {
      slot.variable.write(tf.tensor(Array.from(w.data), [...w.shape], slot.variable.dtype));
    }
  });
}
