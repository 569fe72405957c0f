/**
 * Replaying a fixture's `gradient_flow` section: `gradientFlow` on the fixture's model, x and y,
 * with the section's loss, against Keras's cells unrolled under a `tf.GradientTape` (see
 * FORMAT.md): the loss, then each recurrent layer's name, step norms and (LSTM) cell norms,
 * within the section's relative tolerance.
 */
import * as tf from '@tensorflow/tfjs';
import { gradientFlow } from '../introspect/gradient_flow';
import type { LayerGradientFlow } from '../introspect/types';
import { Sequential } from '../models/sequential';
import { fixtureTensor, type KerasFixture } from './fixture';
import { errorMessage } from './keras_json';
import type { KerasModel } from './keras_model';
import { modelInput } from './replay_gradients';
import {
  type GradientFlowLayer,
  type SectionResult,
  describeMismatch,
  readGradientFlowSection,
  toleranceRatio,
} from './sections';

function result(status: SectionResult['status'], worst: number, reason?: string): SectionResult {
  return { section: 'gradient_flow', status, worst, reason };
}

/** The worst ratio of `got` to Keras's `want` and the first mismatch beyond tolerance. */
function compareNorms(
  what: string,
  got: readonly number[] | undefined,
  want: readonly number[],
  rtol: number,
): { worst: number; reason?: string } {
  if (got?.length !== want.length) {
    return {
      worst: Infinity,
      reason: `${what}: ${got?.length ?? 'no'} steps, Keras has ${want.length}`,
    };
  }
  let worst = 0;
  for (const [t, w] of want.entries()) {
    const g = got[t] ?? Number.NaN;
    const ratio = toleranceRatio(g, w, rtol, 0);
    worst = Math.max(worst, ratio);
    if (ratio > 1) return { worst, reason: `${what}[${t}]: ${describeMismatch(g, w, rtol, 0)}` };
  }
  return { worst };
}

/** Compares one layer's entry with Keras's. */
function compareLayer(
  got: LayerGradientFlow | undefined,
  want: GradientFlowLayer,
  rtol: number,
): { worst: number; reason?: string } {
  if (got?.layer !== want.layer) {
    return {
      worst: Infinity,
      reason: `expected layer '${want.layer}', got ${got === undefined ? 'none' : `'${got.layer}'`}`,
    };
  }
  const steps = compareNorms(`${want.layer} stepNorms`, got.stepNorms, want.stepNorms, rtol);
  if (steps.reason !== undefined || want.cellNorms === undefined) return steps;
  const cells = compareNorms(`${want.layer} cellNorms`, got.cellNorms, want.cellNorms, rtol);
  return { worst: Math.max(steps.worst, cells.worst), reason: cells.reason };
}

/**
 * Runs `gradientFlow` on the fixture's model (a Sequential: a Functional one is skipped) and
 * compares it with the fixture's section. The model compiled here is `built`'s; the caller
 * disposes `built.model`.
 */
export async function replayGradientFlow(
  fixture: KerasFixture,
  built: KerasModel,
): Promise<SectionResult> {
  if (!(built.model instanceof tf.Sequential)) {
    return result('skipped', Number.NaN, 'gradient_flow is read on Sequential models only');
  }
  const owned: tf.Tensor[] = [];
  let model: Sequential | undefined;
  try {
    const section = readGradientFlowSection(fixture);
    const x = fixtureTensor(section.x);
    owned.push(x);
    const xs = modelInput(built, x);
    if (xs !== x) owned.push(xs);
    const y = fixtureTensor(section.y);
    owned.push(y);
    // The optimizer is never used: gradientFlow takes no step.
    model = Sequential.adopt(built.model, { optimizer: 'sgd', loss: section.loss });
    const flow = await gradientFlow(model, xs, y);
    const { rtol } = section;
    let worst = toleranceRatio(flow.loss, section.lossValue, rtol, 0);
    if (worst > 1) {
      return result(
        'failed',
        worst,
        `gradient_flow loss: ${describeMismatch(flow.loss, section.lossValue, rtol, 0)}`,
      );
    }
    if (flow.layers.length !== section.layers.length) {
      const names = flow.layers.map((l) => l.layer).join(', ');
      return result(
        'failed',
        Infinity,
        `gradient_flow: ${flow.layers.length} layers (${names}), Keras has ${section.layers.length}`,
      );
    }
    for (const [i, want] of section.layers.entries()) {
      const compared = compareLayer(flow.layers[i], want, rtol);
      worst = Math.max(worst, compared.worst);
      if (compared.reason !== undefined) {
        return result('failed', worst, `gradient_flow ${compared.reason}`);
      }
    }
    return result('passed', worst);
  } catch (err) {
    return result('failed', Infinity, `gradient_flow: ${errorMessage(err)}`);
  } finally {
    tf.dispose(owned);
    // The model itself is built's (the caller disposes it); its optimizer is this replay's.
    model?.optimizer?.dispose();
  }
}
