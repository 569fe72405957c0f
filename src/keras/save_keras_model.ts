/**
 * `model.save("m.keras")`: a Keras 3 `.keras` file that Python's `keras.models.load_model` opens
 * with the same layers, weights, compile arguments and optimizer state. As Keras writes it: a
 * zip of metadata.json, config.json and model.weights.h5, stored (not compressed), in that
 * order. The whole file is made in memory first, then written beside the target and renamed.
 */
import { zipSync } from 'fflate';
import type { Sequential } from '../models/sequential';
import { checkFileTarget, writeFileAtomically } from './file_target';
import { modelToKeras } from './model_to_keras';
import { kerasWeightsBytes } from './weights_file';

/** The Keras version whose format the file follows (metadata.json's `keras_version`). */
export const KERAS_FORMAT_VERSION = '3.15.1';

/** Keras's `date_saved`: local time as `2026-12-07@21:23:07`. */
function dateSaved(now: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const day = `${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}`;
  return `${day}@${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}`;
}

/** The bytes of the `.keras` file of the built `model`. */
export async function kerasFileBytes(subject: string, model: Sequential): Promise<Uint8Array> {
  const config = modelToKeras(subject, model);
  const weights = await kerasWeightsBytes(subject, model);
  const now = new Date();
  const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
  const stored = { level: 0 as const, mtime: now };
  return zipSync({
    'metadata.json': [
      json({ keras_version: KERAS_FORMAT_VERSION, date_saved: dateSaved(now) }),
      stored,
    ],
    'config.json': [json(config), stored],
    'model.weights.h5': [weights, stored],
  });
}

/** `model.save(file)` for a path ending in `.keras`: see Sequential.save. */
export async function saveKerasModel(
  subject: string,
  model: Sequential,
  file: string,
): Promise<void> {
  checkFileTarget(subject, file);
  await writeFileAtomically(subject, file, await kerasFileBytes(subject, model));
}
