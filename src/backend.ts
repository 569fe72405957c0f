/**
 * Choosing the tfjs backend: `tensorflow` (libtensorflow through @tensorflow/tfjs-node),
 * `wasm` (@tensorflow/tfjs-backend-wasm, nothing native), or `cpu` (plain JavaScript).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { ValueError, formatNames } from './errors';

/** The backends `useBackend` can select. */
export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
/** A backend's name. */
export type BackendName = (typeof BACKEND_NAMES)[number];
/** What `useBackend` takes: a backend's name, or `auto`. */
export type BackendChoice = BackendName | 'auto';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', ...BACKEND_NAMES];

/** The environment variable that `useBackend()` and `useBackend('auto')` read first. */
export const BACKEND_ENV_VAR = 'TFJS_BACKEND';

let nativeLoadError: string | undefined;
let nativeLoaded = false;

/**
 * Loads @tensorflow/tfjs-node once, which registers the `tensorflow` backend with the same
 * tfjs-core this package uses. Returns why it could not be loaded, or undefined when it loaded.
 */
function loadNative(): string | undefined {
  if (nativeLoaded) return undefined;
  if (nativeLoadError !== undefined) return nativeLoadError;
  try {
    // A plain require: the package is optional, and jest's module system cannot run import().
    const load: (id: string) => unknown = require;
    load('@tensorflow/tfjs-node');
    nativeLoaded = true;
    return undefined;
  } catch (err) {
    // Not `instanceof Error`: errors from another realm (jest's module registry) fail that test.
    const message =
      typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string'
        ? err.message
        : String(err);
    nativeLoadError = message.split('\n')[0] || 'unknown error';
    return nativeLoadError;
  }
}

/** Throws unless `name` is one of `auto`, `tensorflow`, `wasm`, `cpu`. */
export function parseBackendChoice(name: string, source: string): BackendChoice {
  const known = BACKEND_CHOICES as readonly string[];
  if (!known.includes(name)) {
    throw new ValueError(
      `useBackend: unknown backend ${JSON.stringify(name)} (from ${source}). Known backends: ${formatNames(BACKEND_CHOICES)}.`,
    );
  }
  return name as BackendChoice;
}

/**
 * The process events whose handlers the wasm backend's Emscripten glue adds when it starts:
 * they rethrow every error from inside tf-backend-wasm.node.js, so that Node reports a user's
 * own mistake from that file, printing its 30 KB minified line first.
 */
const RETHROWING_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

type ProcessListener = (...args: unknown[]) => void;

/** The process as a plain event emitter: its typed overloads take one event name at a time. */
const emitter = process as unknown as {
  listeners(event: string): ProcessListener[];
  removeListener(event: string, listener: ProcessListener): unknown;
};

function listenersOf(): Map<string, ProcessListener[]> {
  return new Map(RETHROWING_EVENTS.map((event) => [event, emitter.listeners(event)]));
}

/**
 * Removes the handlers added since `before`: a user's error is then reported by Node as it would
 * be without this package (its message and stack, from the user's file). tfjs keeps its own list
 * of them for its dispose, which then removes nothing.
 */
function removeAddedListeners(before: Map<string, ProcessListener[]>): void {
  for (const event of RETHROWING_EVENTS) {
    const earlier = before.get(event) ?? [];
    for (const listener of emitter.listeners(event)) {
      if (!earlier.includes(listener)) emitter.removeListener(event, listener);
    }
  }
}

async function activate(name: BackendName): Promise<boolean> {
  if (name === 'tensorflow' && loadNative() !== undefined) return false;
  const before = name === 'wasm' ? listenersOf() : undefined;
  const ok = await tf.setBackend(name);
  if (ok) await tf.ready();
  if (before !== undefined) removeAddedListeners(before);
  return ok;
}

/**
 * Selects the backend every tensor op after it runs on, and returns its name.
 *
 * - `'auto'` (the default): the name in `TFJS_BACKEND` when that is set, otherwise `tensorflow`
 *   when @tensorflow/tfjs-node loads, else `wasm`, else `cpu`. It never throws for a missing or
 *   broken tfjs-node: it prints one warning line and falls back to wasm.
 * - `'tensorflow' | 'wasm' | 'cpu'`: exactly that backend, or an error saying why not.
 */
export async function useBackend(choice: string = 'auto'): Promise<BackendName> {
  let wanted = parseBackendChoice(choice, 'the argument');
  const fromEnv = process.env[BACKEND_ENV_VAR];
  if (wanted === 'auto' && fromEnv !== undefined && fromEnv !== '') {
    wanted = parseBackendChoice(fromEnv, `the environment variable ${BACKEND_ENV_VAR}`);
  }
  if (wanted !== 'auto') {
    if (wanted === 'tensorflow') {
      const why = loadNative();
      if (why !== undefined) {
        throw new ValueError(
          `useBackend: backend 'tensorflow' needs @tensorflow/tfjs-node, which did not load: ${why}. Run \`npx tfjs-keras-rnn setup-native\` to build it, or use 'wasm'.`,
        );
      }
    }
    if (!(await activate(wanted))) {
      throw new ValueError(`useBackend: backend '${wanted}' failed to initialize.`);
    }
    return wanted;
  }
  if (await activate('tensorflow')) return 'tensorflow';
  warnFallbackOnce();
  if (await activate('wasm')) return 'wasm';
  await activate('cpu');
  return 'cpu';
}

let fallbackWarned = false;

function warnFallbackOnce(): void {
  if (fallbackWarned || nativeLoadError === undefined) return;
  fallbackWarned = true;
  const reason = /Cannot find module '@tensorflow\/tfjs-node'/.test(nativeLoadError)
    ? 'is not installed'
    : `did not load (${nativeLoadError})`;
  console.warn(
    `tfjs-keras-rnn: @tensorflow/tfjs-node ${reason}; using wasm. \`npx tfjs-keras-rnn setup-native\` builds it.`,
  );
}

/** The name of the backend tensor ops run on now. */
export function backendName(): string {
  return tf.getBackend();
}
