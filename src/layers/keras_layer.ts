/**
 * KerasLayer: the base of this package's layers. Its `apply` refuses keyword arguments the
 * layer does not take, before anything runs: tfjs passes `training` and, after one of its
 * masking layers, `mask`; anything else would be dropped without a word (tfjs keeps the kwargs
 * of a symbolic call but never passes them on). Its `fromConfig` hands the constructor the
 * layer's config without the `customObjects` key that tfjs's deserializer adds to it, so that
 * the constructor's check of its options sees only the layer's own.
 */
import * as tf from '@tensorflow/tfjs';
import type { OptionKeys } from '../option_keys';
import { type Kwargs, LAYER_CALL_ARGS, type LayerCallArgs } from './layer_args';

type ApplyInputs = Parameters<tf.layers.Layer['apply']>[0];
type ApplyOutputs = ReturnType<tf.layers.Layer['apply']>;

/** A tfjs layer whose `apply` checks its keyword arguments. */
export abstract class KerasLayer extends tf.layers.Layer {
  /** The keyword arguments `apply` takes. Default: `training` (a mask is refused). */
  protected callArgs(): OptionKeys<LayerCallArgs> {
    return LAYER_CALL_ARGS;
  }

  /** Builds a layer from its `getConfig()`, as tfjs's deserializer does. */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const { customObjects: _customObjects, ...own } = config;
    return new cls(own);
  }

  /**
   * True while tfjs's `apply` runs. Its eager `apply` asks a masking layer for a mask to attach
   * to the output tensor, where nothing disposes it; masks here flow through the model's loop
   * and tfjs's graph executor instead, which ask `computeMask` outside `apply`.
   */
  protected applying = false;

  override apply(inputs: ApplyInputs, kwargs?: Kwargs): ApplyOutputs {
    this.callArgs().check(`${this.getClassName()} '${this.name}'`, kwargs, 'call argument');
    this.applying = true;
    try {
      return super.apply(inputs, kwargs);
    } finally {
      this.applying = false;
    }
  }
}
