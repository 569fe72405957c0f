/**
 * Replays a fixture's `calls` section (FORMAT.md): ordered calls on one model instance, in
 * inference mode, a stateful model's states carrying over from one call to the next as Keras's
 * do, with `reset_states` resetting every stateful layer between some of them.
 */
import * as tf from '@tensorflow/tfjs';
import { Bidirectional } from '../layers/rnn/bidirectional';
import { RNN } from '../layers/rnn/rnn';
import { type KerasFixture, fixtureTensor } from './fixture';
import { errorMessage } from './keras_json';
import type { KerasModel } from './keras_model';
import { modelInput } from './replay_gradients';
import { type CallsSection, type SectionResult, compareTensor, readCallsSection } from './sections';

/** Resets the states of every stateful layer of the model (Keras's `layer.reset_state()`). */
function resetStatefulLayers(built: KerasModel): void {
  for (const { layer } of built.layers) {
    if ((layer instanceof RNN || layer instanceof Bidirectional) && layer.stateful) {
      layer.resetStates();
    }
  }
}

function result(status: SectionResult['status'], worst: number, reason?: string): SectionResult {
  return { section: 'calls', status, worst, reason };
}

/** Runs the calls in order from zero states and compares each output with Keras's. */
export function replayCalls(fixture: KerasFixture, built: KerasModel): SectionResult {
  let section: CallsSection;
  try {
    section = readCallsSection(fixture);
  } catch (err) {
    return result('failed', Number.NaN, errorMessage(err));
  }
  // The forward cases may have run on this model before: start from zero states, as Keras's
  // fresh model did.
  resetStatefulLayers(built);
  let worst = 0;
  for (const [i, call] of section.calls.entries()) {
    if (call.kind === 'reset') {
      resetStatefulLayers(built);
      continue;
    }
    let reason: string | undefined;
    try {
      tf.tidy(() => {
        const x = modelInput(built, fixtureTensor(call.input));
        const output = built.model.predict(x, { batchSize: Math.max(1, x.shape[0] ?? 1) });
        if (Array.isArray(output)) {
          reason = `calls[${i}]: the model gives ${output.length} outputs, Keras gave one`;
          return;
        }
        const compared = compareTensor(`calls[${i}] output`, output, call.output, 0, section.atol);
        worst = Math.max(worst, compared.worst);
        reason = compared.reason;
      });
    } catch (err) {
      reason = `calls[${i}]: running the model failed: ${errorMessage(err)}`;
    }
    if (reason !== undefined) return result('failed', worst, reason);
  }
  return result('passed', worst);
}
