/**
 * The proof that tfjs-node works: a child `node` process in the project requires it, switches to
 * the `tensorflow` backend and checks one `tf.add`. A child process, because a binding that fails
 * to load (or crashes) must not take this script with it, and because Node caches a failed load.
 * This file holds the child's source and the reading of its output. Pure.
 */

export const PROBE_OK = 'TFJS_KERAS_RNN_PROBE_OK';
export const PROBE_ERROR = 'TFJS_KERAS_RNN_PROBE_ERROR';

/** Source for `node -e`, run with the project root as working folder. */
export const PROBE_SOURCE = `
const fail = (e) => {
  const msg = e instanceof Error ? e.message : String(e);
  process.stdout.write(${JSON.stringify(PROBE_ERROR)} + ' ' + JSON.stringify(msg.split('\\n')[0]) + '\\n');
  process.exit(1);
};
let tf;
try { tf = require('@tensorflow/tfjs-node'); } catch (e) { fail(e); }
(async () => {
  if (!(await tf.setBackend('tensorflow'))) throw new Error("backend 'tensorflow' did not initialize");
  const sum = Array.from(await tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).data());
  if (sum[0] !== 4 || sum[1] !== 6) throw new Error('tf.add([1, 2], [3, 4]) gave ' + JSON.stringify(sum));
  const info = { backend: tf.getBackend(), version: tf.version['tfjs-node'] };
  process.stdout.write(${JSON.stringify(PROBE_OK)} + ' ' + JSON.stringify(info) + '\\n');
})().catch(fail);
`;

export type ProbeResult =
  | { readonly ok: true; readonly backend: string; readonly version: string }
  | { readonly ok: false; readonly reason: string };

function parseJsonString(text: string): string | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

function parseInfo(text: string): { backend: string; version: string } | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const backend: unknown = Reflect.get(value, 'backend');
    const version: unknown = Reflect.get(value, 'version');
    if (typeof backend !== 'string' || typeof version !== 'string') return undefined;
    return { backend, version };
  } catch {
    return undefined;
  }
}

/** Reads the child's exit status and output into a verdict with a one-line reason. */
export function parseProbe(
  status: number | null,
  signal: string | null,
  stdout: string,
  stderr: string,
): ProbeResult {
  const lines = stdout.split('\n');
  const okLine = lines.find((l) => l.startsWith(`${PROBE_OK} `));
  if (status === 0 && okLine !== undefined) {
    const info = parseInfo(okLine.slice(PROBE_OK.length + 1));
    if (info !== undefined && info.backend === 'tensorflow') return { ok: true, ...info };
  }
  const errLine = lines.find((l) => l.startsWith(`${PROBE_ERROR} `));
  if (errLine !== undefined) {
    const msg = parseJsonString(errLine.slice(PROBE_ERROR.length + 1));
    if (msg !== undefined) return { ok: false, reason: msg.trim() };
  }
  if (signal !== null) return { ok: false, reason: `the test process was killed by ${signal}` };
  const lastErr = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .at(-1);
  return {
    ok: false,
    reason: lastErr ?? `the test process exited with status ${String(status)} and no message`,
  };
}

/** True when the reason says the package itself is missing (not one of its files). */
export function isNotInstalled(reason: string): boolean {
  return reason.startsWith("Cannot find module '@tensorflow/tfjs-node'");
}
