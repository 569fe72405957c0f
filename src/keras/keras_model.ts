/**
 * What a rebuilt Keras model is (`KerasModel`), and the building steps that Sequential,
 * Functional and single-layer models share: building mapped layers, with or without their
 * initializers, and cleaning up when a build fails half way.
 */
import * as tf from '@tensorflow/tfjs';
import { withZeroInitializers } from '../layers/initializers';
import { optionKeys } from '../option_keys';
import { type JsonObject, KerasJsonError, errorMessage } from './keras_json';
import type { KerasDialect } from './keras_values';
import { type KerasLayerInfo, type KerasLayerSpec, buildLayer } from './layer_from_keras';

/** A layer of the rebuilt model, with the Keras class and name it came from. */
export interface KerasModelLayer {
  /** The Keras layer name. */
  readonly name: string;
  /** The Keras class name as written (`SimpleRNN`, `RNN`, `Dense`, ...). */
  readonly kerasClassName: string;
  /** The tfjs layer built for it. */
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
  /** The Keras version the JSON came from (its names and weight order). */
  readonly dialect: KerasDialect;
}

/** Options of `modelFromKeras`. */
export interface KerasModelOptions {
  /** Keras 3 or Keras 2 JSON. Default: from the document's `keras_version` (absent: Keras 3). */
  dialect?: KerasDialect;
  /**
   * Run the layers' initializers. False skips them (zeros instead) when Keras's weights are
   * loaded right after, which saves e.g. the orthogonal initializer's QR decompositions; the
   * layers keep their initializers. Default: true.
   */
  initializeWeights?: boolean;
}

/** The keys of KerasModelOptions. */
export const KERAS_MODEL_OPTIONS = optionKeys<KerasModelOptions>({
  dialect: true,
  initializeWeights: true,
});

/** Builds a mapped layer. */
export function buildMapped(spec: KerasLayerSpec, info: KerasLayerInfo): tf.layers.Layer {
  return buildLayer(spec, info);
}

/**
 * Runs `build` with the layers' initializers run, or (`initialize` false) with zeros instead,
 * the layers keeping their initializers (see withZeroInitializers).
 */
export function initializedIf<T>(initialize: boolean, build: () => T): T {
  return initialize ? build() : withZeroInitializers(build);
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
export function buildOrClean<T>(
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

export function layerName(raw: JsonObject, config: JsonObject): string | undefined {
  if (typeof raw.name === 'string') return raw.name;
  return typeof config.name === 'string' ? config.name : undefined;
}
