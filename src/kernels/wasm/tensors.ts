/**
 * Tensor values in and out of the kernels' memory with as few copies as the backend allows.
 *
 * On the tfjs wasm backend a tensor's values sit in that backend's own WebAssembly memory: they
 * are read from there directly (no `dataSync` copy), and a new tensor made from a view of the
 * kernels' memory is copied by the backend at once. The other backends get `dataSync` and a
 * copy (the cpu and tensorflow backends keep the array they are given).
 */
import * as tf from '@tensorflow/tfjs';

interface WasmBackendLike {
  dataIdMap: {
    has(dataId: object): boolean;
    get(dataId: object): { memoryOffset?: number | null } | undefined;
  };
  wasm: { HEAPU8: Uint8Array };
  refCount(dataId: object): number;
}

function wasmBackendView(t: tf.Tensor): Float32Array | undefined {
  if (t.dtype !== 'float32' || tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as unknown as Partial<WasmBackendLike>;
  const map = backend.dataIdMap;
  const heap = backend.wasm?.HEAPU8;
  if (map === undefined || heap === undefined || !map.has(t.dataId)) return undefined;
  const offset = map.get(t.dataId)?.memoryOffset;
  if (typeof offset !== 'number') return undefined;
  return new Float32Array(heap.buffer, heap.byteOffset + offset, t.size);
}

/**
 * The values of `t`: a view into the tfjs wasm backend's memory where it can, else
 * `dataSync()`. Use it at once: the next tfjs call may move that memory.
 */
export function valuesOf(t: tf.Tensor): ArrayLike<number> {
  return wasmBackendView(t) ?? t.dataSync();
}

/**
 * Writes `values` over the values of `t` in the tfjs wasm backend's memory, when `t` is a
 * float32 tensor there that nothing else shares (the backend's reference count of its data is
 * 1: no other tensor, clone or reshape holds it); returns whether it did. Cheaper than making
 * a tensor and assigning it to a variable. Only for values no tfjs kernel keeps a derived copy
 * of: the backend's matMul caches packed weights by tensor, so never a layer's weights.
 */
export function overwriteInWasmBackend(t: tf.Tensor, values: Float32Array): boolean {
  if (values.length !== t.size) return false;
  const view = wasmBackendView(t);
  if (view === undefined) return false;
  const backend = tf.backend() as unknown as WasmBackendLike;
  if (backend.refCount(t.dataId) !== 1) return false;
  view.set(values);
  return true;
}

/** A new float32 tensor of `values`, a view into the kernels' memory (copied here or by tfjs). */
export function tensorFrom<R extends tf.Rank>(
  values: Float32Array,
  shape: tf.ShapeMap[R],
): tf.Tensor<R> {
  // The wasm backend copies the values into its own memory at once; the others keep the array.
  const own = tf.getBackend() === 'wasm' ? values : values.slice();
  return tf.tensor<R>(own, shape, 'float32');
}

/**
 * The rows `rows` of `t` (indices along its first axis, each in range), copied in JavaScript
 * straight out of the tfjs wasm backend's memory: for a stock batch ~6x cheaper than that
 * backend's gather and ~1.5x than its slice (which reads the whole tensor). undefined where
 * there is no such view (other backends, other dtypes): use tf.gather or tf.slice there.
 */
export function copyRowsFromWasmBackend(t: tf.Tensor, rows: Int32Array): tf.Tensor | undefined {
  const view = wasmBackendView(t);
  if (view === undefined) return undefined;
  const [, ...rowShape] = t.shape;
  const rowSize = rowShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(rows.length * rowSize);
  for (let i = 0; i < rows.length; i++) {
    // A loop, not set(subarray(...)): a subarray object per row costs more than its copy for
    // rows of tens of values (reversing a [64, 80, 64] sequence's steps took 3.2 ms with them,
    // 2.0 ms with the loop).
    const from = rows[i] * rowSize;
    const to = i * rowSize;
    for (let j = 0; j < rowSize; j++) out[to + j] = view[from + j];
  }
  return tf.tensor(out, [rows.length, ...rowShape], 'float32');
}
