/**
 * An op of several outputs with a gradient written by hand, from tfjs's `customGrad`, which
 * gives an op one output. The first output is the op's own (its anchor); each other one is an
 * op of its own that reads the anchor and returns a tensor the forward pass made. Those ops
 * run after the anchor's on the tape, so back-propagation reaches them first: each sets its
 * gradient aside (and gives the anchor zeros), and the anchor's gradient function gets them
 * all. An output that does not lead to the loss is never back-propagated: its gradient is
 * undefined. Every gradient goes through the one hand-written function, as in an op of
 * several outputs.
 *
 * The other outputs give their anchor zeros of its shape: the smallest output makes the best
 * anchor (a gated layer's last h rather than its sequence).
 */
import * as tf from '@tensorflow/tfjs';

/** A forward pass of an op of several outputs. */
export interface MultiOutputForward {
  /** The first output, the anchor. */
  value: tf.Tensor;
  /** Make the other outputs, each called once right after the forward pass, in order. */
  others: readonly (() => tf.Tensor)[];
  /** Called once the others are made (or making one threw): frees what they read. */
  finish(): void;
  /**
   * The gradients of the inputs, in order, from the anchor's gradient and the others' (each
   * undefined when it did not lead to the loss).
   */
  gradFunc(dy: tf.Tensor, others: readonly (tf.Tensor | undefined)[]): tf.Tensor[];
}

/**
 * The op `f` over `inputs` (all of them differentiable): its outputs, the anchor first.
 * Its gradient runs at most once per forward pass, as `f`'s gradient function decides.
 */
export function customGradOutputs(
  f: (inputs: tf.Tensor[]) => MultiOutputForward,
): (...inputs: tf.Tensor[]) => tf.Tensor[] {
  return (...inputs) => {
    let pass: MultiOutputForward | undefined;
    // The others' gradients, set aside by their ops' gradient functions.
    let incoming: (tf.Tensor | undefined)[] = [];
    const anchorOp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const run = f(args.slice(0, inputs.length) as tf.Tensor[]);
      pass = run;
      return {
        value: run.value,
        gradFunc: (dy: tf.Tensor) => {
          const others = run.others.map((_, k) => incoming[k]);
          incoming = [];
          return run.gradFunc(dy, others);
        },
      };
    });
    const anchor = anchorOp(...inputs);
    const run = pass;
    if (run === undefined) throw new Error('customGradOutputs: the forward pass did not run.');
    const shape = anchor.shape;
    try {
      const others = run.others.map((make, k) =>
        tf.customGrad((..._args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
          value: make(),
          gradFunc: (dy: tf.Tensor) => {
            incoming[k] = dy;
            return tf.zeros(shape);
          },
        }))(anchor),
      );
      return [anchor, ...others];
    } finally {
      run.finish();
    }
  };
}
