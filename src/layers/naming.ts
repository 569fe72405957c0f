/**
 * Keras-style default layer names: the first `SimpleRNN` is `simple_rnn`, the next
 * `simple_rnn_1`, and so on, counted per process as Keras counts them.
 */
const counters = new Map<string, number>();

/** `SimpleRNN` -> `simple_rnn`, `Dense` -> `dense`, `StackedRNN` -> `stacked_rnn`. */
export function snakeCaseName(className: string): string {
  return className
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** The next default name for a layer of class `className`. */
export function defaultLayerName(className: string): string {
  const base = snakeCaseName(className);
  const count = counters.get(base) ?? 0;
  counters.set(base, count + 1);
  return count === 0 ? base : `${base}_${count}`;
}

/** `SimpleRNN 'simple_rnn'`: how messages name a layer. */
export function describeLayer(layer: { getClassName(): string; name: string }): string {
  return `${layer.getClassName()} '${layer.name}'`;
}
