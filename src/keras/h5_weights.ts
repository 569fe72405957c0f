/**
 * The float datasets of an HDF5 file held in memory (a `.keras` archive's model.weights.h5), read
 * with h5wasm in its own in-memory file system: path -> shape and values.
 */
import { KerasJsonError, errorMessage } from './keras_json';

/** One dataset: its shape and its values, row-major. */
export interface H5Dataset {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

type H5Module = typeof import('h5wasm');

let loading: Promise<H5Module> | undefined;

/** h5wasm's browser build (in-memory files), loaded once; an ES module, hence import(). */
async function h5wasm(): Promise<H5Module> {
  loading ??= import('h5wasm').then(async (h5) => {
    await h5.ready;
    return h5;
  });
  return loading;
}

let fileCount = 0;

/** An HDF5 file's datasets by path, and its groups' attributes (JSON values) by group path. */
export interface H5Tree {
  readonly datasets: Map<string, H5Dataset>;
  /** Attributes by group path ('' for the root): name -> value. */
  readonly attributes: Map<string, Map<string, unknown>>;
}

/**
 * Every dataset under the file's root, by path ('layers/dense/vars/0'), as float32. `label`
 * names the file in errors. A dataset of another type than float or integer is refused.
 */
export async function readH5Datasets(
  bytes: Uint8Array,
  label: string,
): Promise<Map<string, H5Dataset>> {
  return (await readH5Tree(bytes, label)).datasets;
}

/** The datasets (as readH5Datasets) and the groups' attributes of an HDF5 file in memory. */
export async function readH5Tree(bytes: Uint8Array, label: string): Promise<H5Tree> {
  const h5 = await h5wasm();
  const { FS } = await h5.ready;
  const name = `weights_${++fileCount}.h5`;
  FS.writeFile(name, bytes);
  let file: InstanceType<H5Module['File']> | undefined;
  try {
    try {
      file = new h5.File(name, 'r');
    } catch (err) {
      throw new KerasJsonError(`${label}: not an HDF5 file (${errorMessage(err)}).`);
    }
    const datasets = new Map<string, H5Dataset>();
    const attributes = new Map<string, Map<string, unknown>>();
    const visit = (group: InstanceType<H5Module['Group']>, path: string): void => {
      const attrs = Object.entries(group.attrs);
      if (attrs.length > 0) {
        attributes.set(path, new Map(attrs.map(([key, attr]) => [key, attr.json_value])));
      }
      for (const key of group.keys()) {
        const child = group.get(key);
        const childPath = path === '' ? key : `${path}/${key}`;
        if (child instanceof h5.Group) {
          visit(child, childPath);
        } else if (child instanceof h5.Dataset) {
          const value = child.value;
          if (typeof value === 'number' || typeof value === 'bigint') {
            datasets.set(childPath, { shape: [], data: Float32Array.of(Number(value)) });
            continue;
          }
          if (!ArrayBuffer.isView(value) || value instanceof DataView) {
            throw new KerasJsonError(
              `${label}: dataset '${childPath}' holds ${JSON.stringify(child.dtype)} values; expected numbers.`,
            );
          }
          const data = Float32Array.from(value as ArrayLike<number | bigint>, Number);
          datasets.set(childPath, { shape: [...(child.shape ?? [])], data });
        }
      }
    };
    visit(file, '');
    return { datasets, attributes };
  } finally {
    file?.close();
    FS.unlink(name);
  }
}

/** A group to create, with its `name` attribute (Keras's `vars` groups carry the owner's name). */
export interface H5GroupToWrite {
  readonly path: string;
  readonly name?: string;
}

/** A dataset to write: float32 values, or an int64 count (Keras's optimizer iterations). */
export interface H5DatasetToWrite {
  readonly path: string;
  readonly shape: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

/**
 * An HDF5 file of these groups (created in order, parents first) and datasets, as bytes: built
 * in h5wasm's in-memory file system, so that the caller writes it to disk in one piece.
 */
export async function writeH5(
  groups: readonly H5GroupToWrite[],
  datasets: readonly H5DatasetToWrite[],
): Promise<Uint8Array> {
  const h5 = await h5wasm();
  const { FS } = await h5.ready;
  const name = `weights_${++fileCount}.h5`;
  try {
    const file = new h5.File(name, 'w');
    try {
      for (const group of groups) {
        const created = file.create_group(group.path);
        if (group.name !== undefined) created.create_attribute('name', group.name);
      }
      for (const d of datasets) {
        const cut = d.path.lastIndexOf('/');
        const parent = cut < 0 ? file : file.get(d.path.slice(0, cut));
        if (!(parent instanceof h5.Group)) throw new Error(`no group for '${d.path}'`);
        parent.create_dataset({
          name: d.path.slice(cut + 1),
          data: d.data,
          shape: [...d.shape],
          dtype: d.data instanceof BigInt64Array ? '<q' : '<f',
        });
      }
    } finally {
      file.close();
    }
    return FS.readFile(name);
  } finally {
    if (FS.analyzePath(name).exists) FS.unlink(name);
  }
}
