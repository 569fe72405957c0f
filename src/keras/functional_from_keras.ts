/**
 * A Keras `Functional` model (Keras 2's `Model` too) -> a `tf.LayersModel` of this package's
 * layers: any graph of single-input layers, shared layers and several inputs and outputs
 * included, with inbound nodes in Keras 3's `{args, kwargs}` form or Keras 2's
 * `[[name, node, tensor, kwargs]]` form. Call arguments that change the math are refused.
 */
import * as tf from '@tensorflow/tfjs';
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
import { type KerasModel, buildMapped, buildOrClean, layerName } from './keras_model';
import { type KerasDialect, checkFloat32Policy } from './keras_values';
import {
  type KerasInputSpec,
  type KerasLayerInfo,
  type KerasReadOptions,
  inputFromKeras,
  kerasLayerSpec,
} from './layer_from_keras';

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

export function functionalFromKeras(
  raw: JsonObject,
  config: JsonObject,
  dialect: KerasDialect,
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
          layer: buildMapped(m.spec, m.info),
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
