/**
 * Replaying a fixture's `gradients` section: the loss of the fixture's `x` and `y` under the
 * fixture's weights, reduced as Keras reduces it (the models' own loss resolution), and its
 * gradient with respect to every trainable weight in Keras's `model.trainable_weights` order,
 * compared with Keras's within the section's `rtol` / `atol`.
 */
import * as tf from '@tensorflow/tfjs';
import { registeredVariable, runLayers } from '../models/forward';
import { getLoss } from '../models/losses';
import { outputLoss } from '../models/masked_reduction';
import type { ForwardResult } from '../models/training';
import { fixtureTensor, type KerasFixture } from './fixture';
import { errorMessage } from './keras_json';
import type { KerasModel } from './keras_model';
import { kerasWeightOrder } from './keras_weights';
import {
  type GradientsSection,
  type SectionResult,
  compareTensor,
  describeMismatch,
  readGradientsSection,
  toleranceRatio,
} from './sections';

/** The fixture's input as the model takes it (an Embedding's ids as int32). */
export function modelInput(built: KerasModel, t: tf.Tensor): tf.Tensor {
  const dtype = built.inputDtypes[0] ?? t.dtype;
  return t.dtype === dtype ? t : tf.cast(t, dtype);
}

/**
 * The forward pass in inference mode. For a Sequential model it goes through the models' own
 * `runLayers`, which also gives the logits of a final sigmoid/softmax Dense: Keras's TensorFlow
 * backend computes crossentropies from those.
 */
export function forwardForLoss(built: KerasModel, x: tf.Tensor): ForwardResult {
  if (built.model instanceof tf.Sequential) {
    return runLayers(
      built.layers.map((l) => l.layer),
      x,
      false,
      true,
    );
  }
  // Porting note: a Functional model's logits are not reached, so its crossentropies compute
  // from the clipped probabilities; they differ from Keras's only where the output saturates.
  const output = built.model.apply(x, { training: false });
  const outputs = Array.isArray(output) ? output : [output];
  const [only] = outputs;
  if (outputs.length !== 1 || !(only instanceof tf.Tensor)) {
    throw new Error(`the model has ${outputs.length} outputs; a gradients section needs one`);
  }
  return { output: only };
}

function result(status: SectionResult['status'], worst: number, reason?: string): SectionResult {
  return { section: 'gradients', status, worst, reason };
}

/** Compares the loss and each gradient (in the section's order) with Keras's. */
function compareGradients(
  section: GradientsSection,
  value: tf.Scalar,
  grads: readonly (tf.Tensor | undefined)[],
): SectionResult {
  const { rtol, atol } = section;
  const lossValue = value.dataSync()[0];
  let worst = toleranceRatio(lossValue, section.lossValue, rtol, atol);
  if (worst > 1) {
    return result(
      'failed',
      worst,
      `gradients: loss ${describeMismatch(lossValue, section.lossValue, rtol, atol)}`,
    );
  }
  for (const [i, want] of section.grads.entries()) {
    const got = grads[i];
    if (got === undefined) {
      return result('failed', Number.NaN, `gradients: no gradient reaches '${want.name}'`);
    }
    const compared = compareTensor(`gradients: '${want.name}'`, got, want, rtol, atol);
    worst = Math.max(worst, compared.worst);
    if (compared.reason !== undefined) return result('failed', worst, compared.reason);
  }
  return result('passed', worst);
}

/**
 * Replays the `gradients` section on a model rebuilt from the fixture with its weights loaded
 * (`modelFromFixture`). Never throws: a bad section or a failing computation is a failure with
 * its reason. Leaves no tensors behind.
 */
export function replayGradients(fixture: KerasFixture, built: KerasModel): SectionResult {
  let section: GradientsSection;
  try {
    section = readGradientsSection(fixture);
  } catch (err) {
    return result('failed', Number.NaN, errorMessage(err));
  }
  // Keras's trainable_weights: the trainable entries of model.weights, in the same order.
  const slots = kerasWeightOrder(built);
  const trainable = slots.filter((s) => s.variable.trainable);
  const index = new Map(fixture.weights.map((w, i) => [w.name, i]));
  const targets: tf.LayerVariable[] = [];
  for (const grad of section.grads) {
    const k = index.get(grad.name);
    const slot = k === undefined ? undefined : slots[k];
    if (slot === undefined) {
      return result(
        'failed',
        Number.NaN,
        `gradients: '${grad.name}' is not a weight of the fixture`,
      );
    }
    if (!slot.variable.trainable) {
      return result('failed', Number.NaN, `gradients: '${grad.name}' is not trainable here`);
    }
    targets.push(slot.variable);
  }
  if (targets.length !== trainable.length) {
    return result(
      'failed',
      Number.NaN,
      `gradients: the model has ${trainable.length} trainable weights, the section gives ${targets.length} gradients`,
    );
  }
  try {
    const loss = getLoss({ name: section.loss, fromLogits: section.fromLogits }, 'gradients');
    let outcome = result('failed', Number.NaN, 'gradients: no result');
    tf.tidy(() => {
      const x = modelInput(built, fixtureTensor(section.x));
      const y = fixtureTensor(section.y);
      const variables = targets.map((w) => registeredVariable(w));
      const { value, grads } = tf.variableGrads(() => {
        const forward = forwardForLoss(built, x);
        return outputLoss(loss, y, forward);
      }, variables);
      outcome = compareGradients(
        section,
        value,
        variables.map((v) => grads[v.name]),
      );
    });
    return outcome;
  } catch (err) {
    return result('failed', Number.NaN, `gradients: computing them failed: ${errorMessage(err)}`);
  }
}
