/**
 * The one message `setup:native` ends with when it cannot finish: what is missing, how to supply
 * it, and the state it left the project in. Pure.
 */

/** `usage`: a bad flag or variable, exit 2. `failure`: something missing or broken, exit 1. */
export type FailureKind = 'usage' | 'failure';

export class SetupError extends Error {
  constructor(
    /** What is missing or went wrong, as a clause: `no C++ compiler found`. */
    readonly what: string,
    /** How to supply it: `install g++ (apt-get install g++) or set CXX`. */
    readonly fix: string,
    readonly kind: FailureKind = 'failure',
  ) {
    super(`${what}. ${fix}`);
    this.name = 'SetupError';
  }
}

/** The state tfjs-node is in after a failed run, found by looking at it. */
export type LeftState = 'absent' | 'present-without-binding' | 'foreign-deps';

export function describeLeftState(state: LeftState): string {
  switch (state) {
    case 'absent':
      return "@tensorflow/tfjs-node is not installed; useBackend('auto') uses wasm.";
    case 'present-without-binding':
      return "@tensorflow/tfjs-node is installed without a native binding, as npm leaves it; useBackend('auto') uses wasm.";
    case 'foreign-deps':
      return "@tensorflow/tfjs-node's deps/ was not staged by setup:native and was left as it was; it does not load, so useBackend('auto') uses wasm.";
  }
}

/** The full failure text: `setup:native failed: <what>.`, then how to fix it, then the state. */
export function formatFailure(err: SetupError, state: LeftState | undefined): string {
  const lines = [`setup:native failed: ${err.what}.`, `  To fix: ${err.fix}.`];
  if (state !== undefined) lines.push(`  ${describeLeftState(state)}`);
  return lines.join('\n');
}

/** One thing the build needs that the machine lacks, and how to get it. */
export interface MissingTool {
  readonly name: string;
  readonly fix: string;
}

/** All the missing build tools in one error, so a user fixes them in one go. */
export function missingToolsError(missing: readonly MissingTool[]): SetupError {
  const names = missing.map((m) => m.name).join(', ');
  const fixes = missing.map((m) => m.fix).join('; ');
  return new SetupError(`building the binding needs ${names}, not found`, fixes);
}

/** Why the wheel could not be had, with every way to supply it. */
export function noWheelError(
  reason: string,
  env: { wheel: string; tfDir: string; python: string },
  tfVersion: string,
  pipPackage: string,
): SetupError {
  return new SetupError(
    `could not get the TensorFlow ${tfVersion} wheel (${reason})`,
    [
      `point ${env.wheel} at a ${pipPackage.replace('-', '_')}-${tfVersion}-*.whl file`,
      `or ${env.tfDir} at an installed TensorFlow ${tfVersion} (its site-packages/tensorflow folder)`,
      `or make \`python3 -m pip download ${pipPackage}==${tfVersion}\` work (${env.python} names another Python with pip)`,
    ].join(', '),
  );
}

/**
 * The line of a failed build log worth showing: a compiler or linker error, else make's failure,
 * else the first error node-gyp or node-pre-gyp reported, else the last line.
 */
export function summarizeBuildLog(log: string): string {
  const lines = log
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const patterns = [
    /\berror:|undefined reference|cannot find -l/,
    /: (No such file or directory|command not found)$/,
    /^make: \*\*\*/,
    /ERR! stack Error:/,
    /ERR! (?!stack|System|command|cwd|node -v|node-gyp -v|node-pre-gyp -v|not ok|\$npm)/,
  ];
  for (const pattern of patterns) {
    const hit = lines.find((l) => pattern.test(l));
    if (hit !== undefined) return hit;
  }
  return lines.at(-1) ?? 'no output';
}
