/**
 * The one table of the kernels' module's exports: every function kernels-src/index.ts exports,
 * with its parameters in order (pointers are byte offsets, counts and strides int32) and what it
 * returns. The TypeScript side's types come from it (`KernelExports`, each call's arity), the
 * module is checked against it when it loads (each export's parameter count), and
 * __tests__/kernels/wasm/signatures.test.ts checks it against the AssemblyScript source
 * (names and order), so the two sides cannot drift apart.
 */

/** One export: its parameters in order, and whether it returns an int32 (else nothing). */
interface KernelSignature {
  readonly params: readonly string[];
  readonly returns: 'void' | 'i32';
}

// The recurrences' stepMask: Keras's step mask [batch, steps] as tfjs has it (0 where a step is
// masked; a pointer of 0: none); carry: a [batch, ld] scratch of the backward pass with it.
// The backward passes' rec (recH, recC): where to record the whole gradient of every step's state,
// [steps, batch, ld] in processing order (for gradientFlow); 0: none.
export const KERNEL_SIGNATURES = {
  simpleRnnForward: {
    // features > 0: the projection is computed in the epilogue from x, win and bias (no P);
    // xStride: x's row stride in floats.
    params: [
      'act',
      'steps',
      'batch',
      'units',
      'ld',
      'b0',
      'nb',
      'goBackwards',
      'ring',
      'p',
      'w',
      'h0',
      'mask',
      'h',
      'hm',
      'features',
      'xStride',
      'x',
      'win',
      'bias',
      'stepMask',
    ],
    returns: 'void',
  },
  simpleRnnBackward: {
    params: [
      'act',
      'steps',
      'batch',
      'units',
      'ld',
      'b0',
      'nb',
      'goBackwards',
      'returnSequences',
      'dy',
      'wt',
      'mask',
      'h',
      'dp',
      'dh0',
      'stepMask',
      'carry',
      'rec',
    ],
    returns: 'void',
  },

  project: {
    // x · Win + bias over n columns; xStride, stride: row strides in floats (x's; Win's, P's and
    // the bias's).
    params: [
      'steps',
      'batch',
      'features',
      'xStride',
      'n',
      'stride',
      'b0',
      'nb',
      'x',
      'win',
      'bias',
      'p',
    ],
    returns: 'void',
  },
  projectInputGrad: {
    // k: dP's width (the inner dimension); ld: dP's row stride in floats; dxRowStride,
    // dxStepStride: dx's strides in floats, sample to sample and step to step.
    params: [
      'steps',
      'batch',
      'ldf',
      'k',
      'ld',
      'b0',
      'nb',
      'dp',
      'wint',
      'maskIn',
      'dx',
      'dxRowStride',
      'dxStepStride',
    ],
    returns: 'void',
  },
  weightGrad: {
    // Strides in floats; previous: step s reads the states of step s - 1 (x0 before the first,
    // 0: zeros); m: a mask of x's rows (0: none); dTimeOrder: d is in the input's time order;
    // db: the bias gradient, summed alongside when not 0.
    params: [
      'steps',
      'batch',
      'goBackwards',
      'i0',
      'ni',
      'n',
      'x',
      'xStride',
      'previous',
      'x0',
      'm',
      'mStride',
      'd',
      'dStride',
      'dTimeOrder',
      'c',
      'cStride',
      'db',
    ],
    returns: 'void',
  },
  // The same three over each step's running rows (a step mask's unmasked ones): rows, an i32
  // [batch] list; pack*: [batch, ...] scratch (see kernels-src/running_rows.ts). inputOrder: x
  // and d are both in the input's time order (an input weight's gradient).
  projectRunning: {
    params: [
      'steps',
      'batch',
      'features',
      'xStride',
      'n',
      'stride',
      'b0',
      'nb',
      'x',
      'win',
      'bias',
      'p',
      'stepMask',
      'rows',
      'packX',
      'packP',
    ],
    returns: 'void',
  },
  projectInputGradRunning: {
    params: [
      'steps',
      'batch',
      'ldf',
      'k',
      'ld',
      'b0',
      'nb',
      'dp',
      'wint',
      'dx',
      'dxRowStride',
      'dxStepStride',
      'stepMask',
      'rows',
      'packD',
      'packDx',
    ],
    returns: 'void',
  },
  weightGradRunning: {
    params: [
      'steps',
      'batch',
      'goBackwards',
      'i0',
      'ni',
      'n',
      'x',
      'xStride',
      'previous',
      'x0',
      'd',
      'dStride',
      'dTimeOrder',
      'c',
      'cStride',
      'db',
      'stepMask',
      'inputOrder',
      'rows',
      'packX',
      'packD',
    ],
    returns: 'void',
  },
  // With a step mask (and no recurrent dropout) the LSTM's products run over each step's running
  // rows: rows [batch] i32, pack* scratch, forward [batch, 4 ld] and [batch, ld], backward
  // [batch, 4 ld] and two [batch, ld].
  lstmForward: {
    params: [
      'act',
      'recurrentAct',
      'steps',
      'batch',
      'units',
      'ld',
      'b0',
      'nb',
      'goBackwards',
      'g',
      'u',
      'bias',
      'h0',
      'c0',
      'z',
      'h',
      'c',
      'tc',
      'rmask',
      'hm',
      'stepMask',
      'rows',
      'packA',
      'packB',
    ],
    returns: 'void',
  },
  lstmBackward: {
    params: [
      'act',
      'recurrentAct',
      'steps',
      'batch',
      'ld',
      'b0',
      'nb',
      'goBackwards',
      'returnSequences',
      'dy',
      'ut',
      'g',
      'c',
      'tc',
      'c0',
      'dh',
      'dc',
      'dh0',
      'rmask',
      'dh2',
      'stepMask',
      'carry',
      'rows',
      'packA',
      'packB',
      'packC',
      'recH',
      'recC',
    ],
    returns: 'void',
  },
  gruForward: {
    params: [
      'act',
      'recurrentAct',
      'steps',
      'batch',
      'units',
      'ld',
      'b0',
      'nb',
      'goBackwards',
      'resetAfter',
      'g',
      'u',
      'biasRec',
      'h0',
      'm',
      'q',
      'h',
      'rmask',
      'hm',
      'stepMask',
    ],
    returns: 'void',
  },
  gruBackward: {
    params: [
      'act',
      'recurrentAct',
      'steps',
      'batch',
      'ld',
      'b0',
      'nb',
      'goBackwards',
      'returnSequences',
      'resetAfter',
      'dy',
      'ut',
      'g',
      'm',
      'h',
      'h0',
      'dh',
      'dPrev',
      'dq',
      'dh0',
      'rmask',
      'hm',
      'dh2',
      'stepMask',
      'carry',
      'recH',
    ],
    returns: 'void',
  },

  maskSteps: {
    params: ['x', 'out', 'm', 'steps', 'batch', 'features', 'xStride', 'mStride', 'b0', 'nb'],
    returns: 'void',
  },
  gateInputGrad: {
    // dxRowStride, dxStepStride: dx's strides in floats (see projectInputGrad).
    params: [
      'steps',
      'batch',
      'ldf',
      'ld',
      'gates',
      'b0',
      'nb',
      'dz',
      'wint',
      'imask',
      'dx',
      'dxRowStride',
      'dxStepStride',
      'tmp',
    ],
    returns: 'void',
  },
  swapLeadingAxes: {
    params: ['src', 'outer', 'inner', 'n', 'srcLd', 'dst', 'dstLd', 'i0', 'i1', 'j0', 'j1'],
    returns: 'void',
  },
  multiplySequenceMask: {
    params: ['a', 'out', 'm', 'steps', 'batch', 'n', 'ld', 'b0', 'b1'],
    returns: 'void',
  },
  maskInputs: {
    params: ['x', 'batch', 'steps', 'features', 'm', 'mLd'],
    returns: 'void',
  },
  // A Bidirectional layer's directions side by side in one [batch, steps, width] sequence (see
  // kernels-src/util.ts): this stack's n columns from `column`, reversed or not, zeros where
  // stepMask is 0 (0: none).
  stepsToMerged: {
    params: [
      'h',
      'steps',
      'batch',
      'n',
      'ld',
      'merged',
      'width',
      'column',
      'reverse',
      'stepMask',
      'b0',
      'b1',
    ],
    returns: 'void',
  },
  mergedToSteps: {
    params: [
      'merged',
      'steps',
      'batch',
      'n',
      'width',
      'column',
      'reverse',
      'stepMask',
      'dy',
      'ld',
      'b0',
      'b1',
    ],
    returns: 'void',
  },
  packRows: { params: ['src', 'rows', 'n', 'ld', 'dst'], returns: 'void' },
  unpackRows: { params: ['src', 'rows', 'n', 'ld', 'dst'], returns: 'void' },
  transposePacked: {
    params: ['src', 'rows', 'cols', 'srcLd', 'dst', 'dstLd'],
    returns: 'void',
  },
  activateArray: { params: ['act', 'src', 'dst', 'count'], returns: 'void' },
  adamStep: {
    // g2: the values of g² (0: g * g).
    params: ['n', 'w', 'g', 'g2', 'm', 'v', 'oneMinusBeta1', 'oneMinusBeta2', 'alpha', 'epsilon'],
    returns: 'void',
  },
  sumRowsPerId: {
    params: ['numRows', 'lookups', 'width', 'ids', 'rows', 'sum', 'squares'],
    returns: 'void',
  },
  fillDropoutMask: {
    params: ['out', 'n', 'state', 'threshold', 'scale'],
    returns: 'i32',
  },
  heapBase: { params: [], returns: 'i32' },
  packBufferBytes: { params: [], returns: 'i32' },
  setPackBuffer: { params: ['p'], returns: 'void' },
} as const satisfies Readonly<Record<string, KernelSignature>>;

type Signatures = typeof KERNEL_SIGNATURES;

/** The name of an export of the kernels' module. */
export type KernelName = keyof Signatures;

/** A tuple of as many numbers as `P` has names. */
type NumberPerName<P extends readonly string[]> = { readonly [I in keyof P]: number };

/** The arguments of `F`, one number per parameter of the table: its arity is checked. */
export type KernelArgs<F extends KernelName> = NumberPerName<Signatures[F]['params']>;

/** The module's exports, typed from the table. */
export type KernelExports = {
  readonly [F in KernelName]: (
    ...args: KernelArgs<F>
  ) => Signatures[F]['returns'] extends 'i32' ? number : undefined;
};

/** The names of every export, in the table's order. */
export const KERNEL_NAMES = Object.keys(KERNEL_SIGNATURES) as KernelName[];
