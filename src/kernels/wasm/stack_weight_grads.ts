/**
 * The weights' gradients of a SimpleRNN stack (see stack_plan.ts): each layer's kernel,
 * recurrent kernel and bias summed over every step and the whole batch, as jobs for the worker
 * pool. The op
 * (simple_rnn_sequence.ts) and the resident training step (stack_trainer.ts) run them.
 */
import { splitRows } from './buffers';
import { MAX_JOBS, type KernelCall } from './pool';
import { getThreads } from './runtime';
import type { Dims, LayerGradBlocks, LayerSaved } from './stack_plan';

/** A weight-gradient job and its work in multiply-adds per row of the sequence. */
interface WeightGradJob {
  work: number;
  call: KernelCall;
}

/**
 * The weights' gradient jobs of every layer, longest first. Each matrix splits its rows into one
 * part per thread: every part reads all of its layer's dP, so more parts cost more memory
 * traffic than they save in waiting (stock, p25 of the pass: 3.98 ms in 2 parts against 4.42 ms
 * in 8). Threads take jobs as they come free, so with the longest first the last jobs taken are
 * the shortest and the threads finish close together (0.1-0.2 ms less waiting than in layer
 * order). Each job writes rows of its own: neither the split nor the order changes any sum.
 */
export function weightGradJobs(
  d: Dims,
  s: readonly LayerSaved[],
  g: readonly LayerGradBlocks[],
): KernelCall[][] {
  const { batch, steps } = d;
  // Every layer's two matrices should also fit one job list.
  const parts = Math.max(
    1,
    Math.min(getThreads(), d.slices.length, Math.floor(MAX_JOBS / (2 * d.layers.length))),
  );
  const jobs = d.layers.flatMap((l, i): WeightGradJob[] => {
    const saved = s[i];
    const grads = g[i];
    const gb = l.goBackwards ? 1 : 0;
    const kernel = splitRows(l.ld, parts).map(([i0, ni]): WeightGradJob => ({
      work: ni * l.ld,
      call: {
        fn: 'weightGrad' as const,
        // Σ (h_{s-1} ⊙ mask)ᵀ · dP, from h0 before the first step.
        args: [
          ...([
            steps,
            batch,
            gb,
            i0,
            ni,
            l.ld,
            saved.h,
            l.ld,
            1,
            saved.h0,
            saved.mask,
            l.ld,
          ] as const),
          ...([saved.p, l.ld, 1, grads.dw, l.ld, 0] as const),
        ],
      },
    }));
    const input = splitRows(l.ldf, parts).map(([i0, ni]): WeightGradJob => ({
      work: ni * l.ld,
      call: {
        fn: 'weightGrad' as const,
        // Σ x_tᵀ · dP; the job of the first rows also sums the bias gradient.
        args: [
          ...([steps, batch, 0, i0, ni, l.ld, saved.x, l.xStride, 0, 0, 0, 0] as const),
          ...([saved.p, l.ld, 0, grads.dwin, l.ld, l.hasBias && i0 === 0 ? grads.db : 0] as const),
        ],
      },
    }));
    return [...kernel, ...input];
  });
  jobs.sort((a, b) => b.work - a.work);
  return jobs.map((j) => [j.call]);
}
