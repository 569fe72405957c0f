/**
 * LSTM and GRU layers, alone or stacked in any mix (SimpleRNN layers among them), as one
 * WebAssembly call per share of the batch and pass: each layer's input projection and
 * recurrence over every step, and in the backward pass every gradient (x, each layer's W, U,
 * b and, when given, its initial states), in Keras's implementation 2 or, with recurrent
 * dropout, implementation 1 (its masks per gate in the kernels too). The same values as the
 * tfjs ops layer by layer (`fusedLstmSequence`, `fusedGruSequence`; `lstmSequence`,
 * `gruSequence` with initial states and implementation 1; `simpleRnnSequence`), within float32
 * rounding: the kernels' tanh and sigmoid are TensorFlow's, bit for bit, where the tfjs
 * backends' differ in the last bits. Runs under any tfjs backend: the input is copied into the
 * kernels' memory once, batch-major as tfjs has it, and the output comes back as a new tensor;
 * the sequence between two layers never leaves that memory, and what the backward pass needs
 * stays there (see buffers.ts for its lifetime). The passes are gated_passes.ts's.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../../errors';
import type { GatedRunOptions, GatedSequenceResult, GatedStackLayer } from '../cells/gated_stack';
import type { StateTap } from '../state_taps';
import { RELEASED_MESSAGE, releaseFinishedTapes } from './buffers';
import { checkGatedStack } from './gated_checks';
import {
  type GatedBackwardStack,
  type GatedIncoming,
  gatedBackward,
  gatedBackwardStacks,
} from './gated_backward';
import {
  type GatedForward,
  type GatedForwardStack,
  type GatedLayerInputs,
  type MergedPlace,
  gatedForward,
  gatedForwardStacks,
} from './gated_passes';
import { type GatedDims, planGatedDims } from './gated_plan';
import { customGradOutputs } from './multi_output';
import { kernelRuntime, type KernelRuntime } from './runtime';

type Subject = 'wasmGatedStack' | 'wasmGatedSequence' | 'wasmGatedStacks' | 'wasmMergedStacks';

/** A stack's checked plan, and its differentiable tensors in the op's order. */
interface GatedOp {
  rt: KernelRuntime;
  d: GatedDims;
  /** x, then each layer's W, U, (with a bias) b and (when given) its initial states. */
  differentiable: tf.Tensor[];
  /** Each layer's tensors from the op's own copies of `differentiable`. */
  inputs(tensors: readonly tf.Tensor[]): { x: tf.Tensor; layers: GatedLayerInputs[] };
  /** Whether a gradient may run: without a tape nothing is kept. */
  keep: boolean;
  /** Each layer's tap, when a recording is on (see state_taps.ts). */
  taps: (StateTap | undefined)[];
}

/** A stack's op; `stacks` independent stacks share its passes (see planGatedDims). */
function planOp(
  subject: Subject,
  x: tf.Tensor3D,
  layers: readonly GatedStackLayer[],
  stacks = 1,
): GatedOp {
  const rt = kernelRuntime();
  const units = checkGatedStack(subject, x, layers);
  const d = planGatedDims(
    subject,
    x.shape,
    layers.map(({ kind, weights, options, outputMask, gateMasks, initialStates }, i) => ({
      ...options,
      kind,
      units: units[i],
      hasBias: weights.bias !== null,
      hasOutputMask: outputMask !== undefined,
      implementation: gateMasks === undefined ? 2 : 1,
      hasRecurrentMasks: gateMasks?.recurrent !== undefined,
      hasInputMasks: gateMasks?.input !== undefined,
      hasStepMask: options.stepMask !== undefined,
      hasInitialStates: initialStates !== undefined,
    })),
    stacks,
  );
  releaseFinishedTapes(rt);
  const differentiable: tf.Tensor[] = [x];
  for (const { weights, initialStates } of layers) {
    differentiable.push(weights.kernel, weights.recurrentKernel);
    if (weights.bias !== null) differentiable.push(weights.bias);
    differentiable.push(...(initialStates ?? []));
  }
  const inputs = (tensors: readonly tf.Tensor[]) => {
    const [xs, ...rest] = tensors;
    return {
      x: xs,
      layers: layers.map((layer): GatedLayerInputs => {
        const { weights, options, outputMask, gateMasks, initialStates } = layer;
        const [kernel, recurrentKernel] = rest.splice(0, 2) as [tf.Tensor, tf.Tensor];
        return {
          kernel,
          recurrentKernel,
          bias: weights.bias !== null ? rest.shift() : undefined,
          initialStates:
            initialStates === undefined ? undefined : rest.splice(0, initialStates.length),
          maskOut: outputMask,
          recurrentMasks: gateMasks?.recurrent,
          inputMasks: gateMasks?.input,
          stepMask: options.stepMask,
        };
      }),
    };
  };
  const taps = layers.map((layer) => layer.stateTap);
  return { rt, d, differentiable, inputs, keep: tf.engine().isTapeOn(), taps };
}

/** The gradient function of a forward pass, given what reaches the last layer. */
function gradientOf(
  op: GatedOp,
  pass: GatedForward,
  subject: Subject,
): (incoming: GatedIncoming) => tf.Tensor[] {
  return (incoming) => {
    const { saved } = pass;
    if (saved === undefined) throw new Error(`${subject}: ${RELEASED_MESSAGE}`);
    return gatedBackward(op.rt, op.d, saved, incoming, subject, op.taps);
  };
}

/**
 * Runs LSTM, GRU and SimpleRNN layers one after another over every step of `x` [batch,
 * timesteps, features] (activations tanh, sigmoid, relu and linear; implementation 1, and a
 * SimpleRNN's dropout, with `gateMasks`), each reading every output step of the one before, times
 * its `outputMask` when it has one, each from its `initialStates` (default zeros); returns the
 * last layer's output. Every layer but the last must return sequences; implementation 2's input
 * mask is the caller's (see `gatedStack`). A layer's `stepMask` (Keras's, see StepRunOptions)
 * is copied into the kernels' memory once for all the layers that share it; layers with
 * different masks, or none, can share a stack. Differentiable with respect to x, every weight
 * and every initial state; the masks are constants. Throws when the kernels cannot load (see
 * `wasmKernelAvailable`).
 */
export function wasmGatedStack(x: tf.Tensor3D, layers: readonly GatedStackLayer[]): tf.Tensor {
  const subject = 'wasmGatedStack';
  const op = planOp(subject, x, layers);
  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const inputs = op.inputs(args.slice(0, op.differentiable.length) as tf.Tensor[]);
    const pass = gatedForward(op.rt, op.d, inputs.x, inputs.layers, {
      keep: op.keep,
      lastStateValue: false,
    });
    const value = pass.value();
    pass.finish();
    const backward = gradientOf(op, pass, subject);
    return { value, gradFunc: (dy: tf.Tensor) => backward({ output: dy }) };
  });
  return run(...op.differentiable);
}

/**
 * One layer (LSTM, GRU, or SimpleRNN) over every step of `x` from its `initialStates`
 * (default zeros), as `wasmGatedStack` runs it, and with `returnState` its last states too
 * (Keras's order: an LSTM's h, c; [batch, units] each), the states of the last processed step
 * (a masked step carries them, so a fully masked sample ends with its initial states).
 * Differentiable with respect to x, every weight and the initial states, from the output and
 * from the last states: the gradient of the last h joins the output's at the last step (without
 * returnSequences they are one tensor), c_T's enters the LSTM's BPTT there. One op of several
 * outputs (see multi_output.ts): its anchor is the last h. Throws when the kernels cannot load.
 */
export function wasmGatedSequence(
  x: tf.Tensor3D,
  layer: GatedStackLayer,
  { returnState }: { returnState: boolean },
): GatedSequenceResult {
  if (!returnState) return { output: wasmGatedStack(x, [layer]), states: [] };
  const subject = 'wasmGatedSequence';
  const op = planOp(subject, x, [layer]);
  const { returnSequences } = layer.options;
  const lstm = layer.kind === 'LSTM';
  const run = customGradOutputs((tensors) => {
    const inputs = op.inputs(tensors);
    const pass = gatedForward(op.rt, op.d, inputs.x, inputs.layers, {
      keep: op.keep,
      lastStateValue: true,
    });
    const backward = gradientOf(op, pass, subject);
    return {
      value: pass.value(),
      // The output sequence (the last h is the output without it), an LSTM's last c.
      others: [
        ...(returnSequences ? [() => pass.sequence()] : []),
        ...(lstm ? [() => pass.lastState(1)] : []),
      ],
      finish: () => {
        pass.finish();
      },
      gradFunc: (dh, others) => {
        const [dOutput, dc] = returnSequences ? others : [dh, ...others];
        return backward({
          output: dOutput,
          lastStates: [returnSequences ? dh : undefined, dc],
        });
      },
    };
  });
  const [h, ...others] = run(...op.differentiable);
  const output = returnSequences ? others.shift() : h;
  const c = lstm ? others.shift() : undefined;
  if (output === undefined || (lstm && c === undefined)) {
    throw new Error(`${subject}: an output is missing.`);
  }
  return { output, states: [h as tf.Tensor2D, ...(c === undefined ? [] : [c as tf.Tensor2D])] };
}

/**
 * The forward stacks of independent ops from the op's inputs (each op's differentiable tensors
 * in turn), with their places in a merged output when given.
 */
function forwardStacksOf(
  ops: readonly GatedOp[],
  tensors: readonly tf.Tensor[],
  places?: readonly MergedPlace[],
): GatedForwardStack[] {
  let at = 0;
  return ops.map((op, k) => {
    const inputs = op.inputs(tensors.slice(at, (at += op.differentiable.length)));
    return { d: op.d, x: inputs.x, inputs: inputs.layers, merged: places?.[k] };
  });
}

/** The backward stacks of independent ops' passes, each with the gradient `output(k)` gives. */
function backwardStacksOf(
  subject: Subject,
  ops: readonly GatedOp[],
  passes: readonly GatedForward[],
  output: (k: number) => tf.Tensor | undefined,
  places?: readonly MergedPlace[],
): GatedBackwardStack[] {
  return passes.map(({ saved }, k) => {
    if (saved === undefined) throw new Error(`${subject}: ${RELEASED_MESSAGE}`);
    const { d, taps } = ops[k];
    return { d, saved, incoming: { output: output(k) }, merged: places?.[k], taps };
  });
}

/** One of the independent stacks of `wasmGatedStacks`: its input and its layers. */
export interface GatedStackRun {
  x: tf.Tensor3D;
  layers: readonly GatedStackLayer[];
}

/**
 * Runs independent stacks (each as `wasmGatedStack` runs it: a Bidirectional layer's forward
 * and backward layers, each possibly several cells) as one op: one forward pass in the kernels
 * for all of them and one backward pass, the shares of every stack's batch claimed by the
 * threads together, so that no stack waits for another. Returns each stack's output, in order.
 * Differentiable with respect to every stack's x, weights and initial states (the same x
 * tensor in several stacks gets the sum of their gradients, from the tape). One op of several
 * outputs (see multi_output.ts): the first stack's output is its anchor. Throws when the
 * kernels cannot load.
 */
export function wasmGatedStacks(stacks: readonly GatedStackRun[]): tf.Tensor[] {
  const subject = 'wasmGatedStacks';
  if (stacks.length === 0) throw new ValueError(`${subject}: expected at least one stack.`);
  const ops = stacks.map(({ x, layers }) => planOp(subject, x, layers, stacks.length));
  const { rt, keep } = ops[0];
  const run = customGradOutputs((tensors) => {
    const passes = gatedForwardStacks(rt, forwardStacksOf(ops, tensors), {
      keep,
      lastStateValue: false,
    });
    return {
      value: passes[0].value(),
      others: passes.slice(1).map((pass) => () => pass.value()),
      finish: () => {
        for (const pass of passes) pass.finish();
      },
      gradFunc: (dy, others) =>
        gatedBackwardStacks(
          rt,
          backwardStacksOf(subject, ops, passes, (k) => (k === 0 ? dy : others[k - 1])),
          subject,
        ).flat(),
    };
  });
  return run(...ops.flatMap((op) => op.differentiable));
}

/**
 * Runs independent stacks as `wasmGatedStacks` does, every stack's last layer returning
 * sequences, and returns one sequence [batch, steps, width] with their output steps side by side
 * as `places` say: a Bidirectional layer's concat merge in the kernels' copies, the backward
 * direction's steps reversed back and zero output steps at masked steps there, instead of tfjs
 * ops over the whole sequence (on the wasm backend a reverse and a zero-output factor took 12
 * and 19 ms a [64, 80, 64] sequence, the concat and its gradient's split ~3 ms). The gradient
 * is read back from the merged sequence's the same way. Throws when the kernels cannot load.
 */
export function wasmMergedStacks(
  stacks: readonly GatedStackRun[],
  places: readonly MergedPlace[],
): tf.Tensor3D {
  const subject = 'wasmMergedStacks';
  if (stacks.length === 0 || places.length !== stacks.length) {
    throw new ValueError(`${subject}: expected one place for each of at least one stack.`);
  }
  if (!stacks.every(({ layers }) => layers.at(-1)?.options.returnSequences === true)) {
    throw new ValueError(`${subject}: every stack's last layer must return sequences.`);
  }
  const ops = stacks.map(({ x, layers }) => planOp(subject, x, layers, stacks.length));
  const { rt, keep } = ops[0];
  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const tensors = args.filter((a): a is tf.Tensor => a instanceof tf.Tensor);
    const passes = gatedForwardStacks(rt, forwardStacksOf(ops, tensors, places), {
      keep,
      lastStateValue: false,
    });
    const value = passes[0].value();
    for (const pass of passes) pass.finish();
    return {
      value,
      gradFunc: (dy: tf.Tensor) =>
        gatedBackwardStacks(
          rt,
          backwardStacksOf(subject, ops, passes, () => dy, places),
          subject,
        ).flat(),
    };
  });
  return run(...ops.flatMap((op) => op.differentiable)) as tf.Tensor3D;
}

/** A gated cell's weights, in Keras's layouts (gates in blocks of `units` columns). */
type GatedWeights = GatedStackLayer['weights'];

/**
 * The output (h of every step, or of the last) of an LSTM over x [batch, timesteps, features]
 * in the kernels: the same arguments and values as `fusedLstmSequence`.
 */
export function wasmLstmSequence(
  x: tf.Tensor3D,
  weights: GatedWeights,
  options: Omit<GatedRunOptions, 'resetAfter'>,
): tf.Tensor {
  return wasmGatedStack(x, [{ kind: 'LSTM', weights, options: { ...options, resetAfter: false } }]);
}

/** The same for a GRU, in both reset modes (see `fusedGruSequence`). */
export function wasmGruSequence(
  x: tf.Tensor3D,
  weights: GatedWeights,
  options: GatedRunOptions,
): tf.Tensor {
  return wasmGatedStack(x, [{ kind: 'GRU', weights, options }]);
}
