/**
 * Replaying a fixture's `training` section: the fixture's model as this package's `Sequential`,
 * from the fixture's weights, compiled with Keras's optimizer (from its `get_config()`), loss and
 * metrics, trained by `fit` with Keras's batch size and epochs and `shuffle: false`; then every
 * per-epoch history value and every final weight is compared with Keras's within the section's
 * `rtol` / `atol`.
 */
import * as tf from '@tensorflow/tfjs';
import { Sequential } from '../models/sequential';
import { kerasOptimizer } from '../optimizers/factory';
import type { KerasOptimizer } from '../optimizers/optimizer';
import { fixtureTensor, type KerasFixture } from './fixture';
import { errorMessage } from './keras_json';
import type { KerasModel } from './keras_model';
import { kerasWeightOrder } from './keras_weights';
import { modelInput } from './replay_gradients';
import {
  type SectionResult,
  type TrainingSection,
  compareTensor,
  describeMismatch,
  readTrainingSection,
  toleranceRatio,
} from './sections';

function result(status: SectionResult['status'], worst: number, reason?: string): SectionResult {
  return { section: 'training', status, worst, reason };
}

/** Compares the per-epoch history, key by key, with Keras's (the same keys, no more). */
function compareHistory(
  section: TrainingSection,
  history: Readonly<Partial<Record<string, readonly number[]>>>,
): SectionResult {
  const { rtol, atol } = section;
  let worst = 0;
  // Keras's history has the loss and every metric, and nothing else: neither has this one.
  const extra = Object.keys(history).filter((key) => !(key in section.history));
  if (extra.length > 0) {
    return result(
      'failed',
      Number.NaN,
      `training: the history has ${extra.map((k) => `'${k}'`).join(', ')}, which Keras's does not (it has ${Object.keys(section.history).join(', ')})`,
    );
  }
  for (const [key, want] of Object.entries(section.history)) {
    const got = history[key];
    if (got === undefined) {
      return result(
        'failed',
        Number.NaN,
        `training: the history has no '${key}' (it has ${Object.keys(history).join(', ') || 'nothing'})`,
      );
    }
    if (got.length !== want.length) {
      return result(
        'failed',
        Number.NaN,
        `training: history '${key}' has ${got.length} epochs, Keras's ${want.length}`,
      );
    }
    for (const [epoch, value] of want.entries()) {
      const ours = got[epoch] ?? Number.NaN;
      const ratio = toleranceRatio(ours, value, rtol, atol);
      worst = Math.max(worst, ratio);
      if (ratio > 1) {
        return result(
          'failed',
          worst,
          `training: history '${key}' epoch ${epoch + 1}: ${describeMismatch(ours, value, rtol, atol)}`,
        );
      }
    }
  }
  return result('passed', worst);
}

/** Compares every final weight (by Keras's variable path) with Keras's. */
function compareFinalWeights(
  fixture: KerasFixture,
  section: TrainingSection,
  built: KerasModel,
): SectionResult {
  const slots = kerasWeightOrder(built);
  const index = new Map(fixture.weights.map((w, i) => [w.name, i]));
  let worst = 0;
  for (const want of section.finalWeights) {
    const k = index.get(want.name);
    const slot = k === undefined ? undefined : slots[k];
    if (slot === undefined) {
      return result(
        'failed',
        Number.NaN,
        `training: final weight '${want.name}' is not a weight of the fixture`,
      );
    }
    const compared = compareTensor(
      `training: final weight '${want.name}'`,
      slot.variable.read(),
      want,
      section.rtol,
      section.atol,
    );
    worst = Math.max(worst, compared.worst);
    if (compared.reason !== undefined) return result('failed', worst, compared.reason);
  }
  return result('passed', worst);
}

/**
 * Replays the `training` section. `rebuild` gives a fresh model with the fixture's weights
 * (`modelFromFixture`); its layers become a `Sequential`'s. Sequential Keras models only:
 * others are skipped with the reason. Never throws; leaves no tensors behind.
 */
export async function replayTraining(
  fixture: KerasFixture,
  rebuild: (fixture: KerasFixture) => KerasModel,
): Promise<SectionResult> {
  let section: TrainingSection;
  try {
    section = readTrainingSection(fixture);
  } catch (err) {
    return result('failed', Number.NaN, errorMessage(err));
  }
  const className = fixture.model?.class_name;
  if (className !== 'Sequential') {
    return result(
      'skipped',
      Number.NaN,
      `training replays Sequential models; this fixture has ${fixture.model === undefined ? 'a single layer' : `a ${typeof className === 'string' ? className : 'non-Sequential'} model`}`,
    );
  }
  if (section.shuffle) {
    return result(
      'skipped',
      Number.NaN,
      'training with shuffle: true cannot be replayed (Keras drew the order from its own RNG)',
    );
  }
  let optimizer: KerasOptimizer;
  try {
    optimizer = kerasOptimizer(
      section.optimizer.className,
      section.optimizer.config,
      'training.compile.optimizer',
    );
  } catch (err) {
    return result('failed', Number.NaN, `training: ${errorMessage(err)}`);
  }
  let built: KerasModel | undefined;
  let model: Sequential | undefined;
  const owned: tf.Tensor[] = [];
  try {
    built = rebuild(fixture);
    model = new Sequential(built.layers.map((l) => l.layer));
    model.compile({
      optimizer,
      loss: { name: section.loss, fromLogits: section.fromLogits },
      metrics: [...section.metrics],
    });
    const xRaw = fixtureTensor(section.x);
    owned.push(xRaw);
    const x = modelInput(built, xRaw);
    if (x !== xRaw) owned.push(x);
    const y = fixtureTensor(section.y);
    owned.push(y);
    const { history } = await model.fit(x, y, {
      batchSize: section.batchSize,
      epochs: section.epochs,
      shuffle: false,
      verbose: 0,
    });
    const fromHistory = compareHistory(section, history);
    if (fromHistory.status !== 'passed') return fromHistory;
    const fromWeights = compareFinalWeights(fixture, section, built);
    if (fromWeights.status !== 'passed') return fromWeights;
    return result('passed', Math.max(fromHistory.worst, fromWeights.worst));
  } catch (err) {
    return result('failed', Number.NaN, `training: fit failed: ${errorMessage(err)}`);
  } finally {
    tf.dispose(owned);
    model?.dispose();
    built?.model.dispose();
    optimizer.dispose();
  }
}
