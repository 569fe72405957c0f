/**
 * Shared test helpers: backend selection and the tensor-leak check.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend, type BackendName } from '../../src/backend';

/** The backend a test file runs on by default: TFJS_BACKEND, else wasm. */
export async function useTestBackend(name?: BackendName): Promise<BackendName> {
  const chosen = name ?? (process.env.TFJS_BACKEND as BackendName | undefined) ?? 'wasm';
  return useBackend(chosen);
}

/** The backends that fixture tests run on: wasm and cpu always, tensorflow when it loads. */
export function fixtureBackends(): BackendName[] {
  const env = process.env.TFJS_BACKEND;
  if (env === 'tensorflow') return ['tensorflow', 'wasm', 'cpu'];
  return ['wasm', 'cpu'];
}

/**
 * Runs `fn` and throws if it leaves more tensors allocated than before, naming how many.
 * The result of `fn` (if a tensor or tensors) is disposed before counting.
 */
export async function expectNoLeak<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const after = tf.memory().numTensors;
  if (after !== before) {
    throw new Error(`leaked ${after - before} tensors (before ${before}, after ${after})`);
  }
  return result;
}
