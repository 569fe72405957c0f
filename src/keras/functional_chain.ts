/**
 * A Keras 3 Functional model that is a plain chain (one input, each layer called once on the
 * previous layer's output, the last layer the output) as the Sequential config of the same
 * layers, so that `loadKerasModel` gives a `Sequential`. Any other Functional model is refused,
 * naming what makes it more than a chain.
 */
import {
  type JsonObject,
  type JsonValue,
  KerasJsonError,
  isJsonArray,
  isJsonObject,
  show,
} from './keras_json';

/** `["dense", 0, 0]` (or `[["dense", 0, 0]]`) -> `dense`; undefined for anything else. */
function onlyLayer(value: JsonValue | undefined): string | undefined {
  const entry = isJsonArray(value) && isJsonArray(value[0]) ? value : [value];
  if (entry.length !== 1 || !isJsonArray(entry[0])) return undefined;
  const [name, node, index] = entry[0];
  return typeof name === 'string' && node === 0 && index === 0 ? name : undefined;
}

/** The name of the layer whose output `arg` is (a serialized Keras tensor). */
function historyOf(arg: JsonValue): string | undefined {
  if (!isJsonObject(arg) || !isJsonObject(arg.config)) return undefined;
  const history = arg.config.keras_history;
  return isJsonArray(history) && typeof history[0] === 'string' ? history[0] : undefined;
}

/** Why layer `layer` is not called once on `previous`'s output alone, or undefined when it is. */
function notChained(layer: JsonObject, previous: string): string | undefined {
  const name = show(layer.name);
  const nodes = layer.inbound_nodes;
  if (!isJsonArray(nodes) || nodes.length !== 1) {
    return `layer ${name} is called ${isJsonArray(nodes) ? nodes.length : 0} times`;
  }
  // Keras 2's form: [[["dense", 0, 0, {kwargs}]]], one list of inbound tensors per call.
  if (isJsonArray(nodes[0])) {
    const inbound = nodes[0];
    const [source, node, index, kwargs] = isJsonArray(inbound[0]) ? inbound[0] : [];
    const ok = inbound.length === 1 && source === previous && node === 0 && index === 0;
    if (!ok) return `layer ${name} does not take exactly the output of '${previous}'`;
    const keys = Object.keys(isJsonObject(kwargs) ? kwargs : {}).filter((k) => k !== 'training');
    return keys.length > 0 ? `layer ${name} is called with ${keys.join(', ')}` : undefined;
  }
  if (!isJsonObject(nodes[0])) return `layer ${name} has an inbound node of an unknown form`;
  const { args, kwargs } = nodes[0];
  if (!isJsonArray(args) || args.length !== 1 || historyOf(args[0] ?? null) !== previous) {
    return `layer ${name} does not take exactly the output of '${previous}'`;
  }
  const extra = Object.entries(isJsonObject(kwargs) ? kwargs : {}).filter(
    ([key, value]) =>
      key !== 'training' &&
      !(key === 'mask' && (value === null || historyOf(value ?? null) === previous)),
  );
  if (extra.length > 0) return `layer ${name} is called with ${extra.map(([k]) => k).join(', ')}`;
  return undefined;
}

/**
 * The Sequential form of a Functional model's config (`{"class_name": "Functional", "config":
 * {...}}`) when it is a plain chain; throws a KerasJsonError naming why when it is not.
 */
export function functionalChainAsSequential(where: string, model: JsonObject): JsonObject {
  const config = isJsonObject(model.config) ? model.config : {};
  const layers = isJsonArray(config.layers) ? config.layers.filter(isJsonObject) : [];
  const input = onlyLayer(config.input_layers);
  const output = onlyLayer(config.output_layers);
  const refuse = (why: string): KerasJsonError =>
    new KerasJsonError(
      `${where}: holds a Functional model that is not a plain chain (${why}); only Sequential models and Functional chains load yet.`,
    );
  if (input === undefined) throw refuse('it has several inputs');
  if (output === undefined) throw refuse('it has several outputs');
  const first = layers.at(0);
  if (first?.class_name !== 'InputLayer' || first.name !== input) {
    throw refuse(`its first layer is not its input '${input}'`);
  }
  for (let i = 1; i < layers.length; i++) {
    const previous = layers[i - 1].name;
    const why = notChained(layers[i], typeof previous === 'string' ? previous : '');
    if (why !== undefined) throw refuse(why);
  }
  if (layers.at(-1)?.name !== output) throw refuse(`its last layer is not its output '${output}'`);
  const { layers: _layers, input_layers: _in, output_layers: _out, ...rest } = config;
  return {
    ...model,
    module: 'keras',
    class_name: 'Sequential',
    registered_name: null,
    config: {
      ...rest,
      layers: layers.map(({ inbound_nodes: _nodes, ...layer }) => layer),
    },
  };
}
