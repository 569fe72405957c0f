/**
 * The parent's side of bench/ceiling_tensorflow.ts: starts the child, waits until TensorFlow is
 * loaded (or why it is not), asks it for one round of rates at a time, and stops it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import type { CeilingTensorflowMessage } from './ceiling_tensorflow';
import type { StockKind } from './stock_stack';
import { ROOT } from './workers';

/** Long enough to load libtensorflow on a busy machine. */
const READY_TIMEOUT_MS = 120_000;

/** The child once it answered: it measures, or why it cannot. */
export type TensorflowChild =
  | { ok: true; round(): Promise<Record<StockKind, number>>; stop(): void }
  | { ok: false; reason: string; stop(): void };

export class TensorflowProducts {
  private constructor(private readonly proc: ChildProcess) {}

  /** Starts the child (it loads tfjs-node and makes its operands meanwhile). */
  static start(): TensorflowProducts {
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'bench', 'ceiling_tensorflow.ts')],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] },
    );
    return new TensorflowProducts(proc);
  }

  private next(): Promise<CeilingTensorflowMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no answer within ${READY_TIMEOUT_MS / 1000} s`));
      }, READY_TIMEOUT_MS);
      const onExit = (): void => {
        clearTimeout(timer);
        reject(new Error('the child exited (tfjs-node missing or broken? npm run setup:native)'));
      };
      this.proc.once('exit', onExit);
      this.proc.once('message', (message: CeilingTensorflowMessage) => {
        clearTimeout(timer);
        this.proc.off('exit', onExit);
        resolve(message);
      });
    });
  }

  /** Waits for the child's first answer. */
  async ready(): Promise<TensorflowChild> {
    const stop = (): void => {
      if (this.proc.connected) this.proc.send({ exit: true });
      this.proc.kill();
    };
    let first: CeilingTensorflowMessage;
    try {
      first = await this.next();
    } catch (err) {
      stop();
      return { ok: false, reason: err instanceof Error ? err.message : String(err), stop };
    }
    if (first.kind !== 'ready') {
      stop();
      return { ok: false, reason: first.kind === 'failed' ? first.error : 'no ready', stop };
    }
    return {
      ok: true,
      round: async () => {
        this.proc.send({ round: 1 });
        const answer = await this.next();
        if (answer.kind !== 'rates') throw new Error(`expected rates, received ${answer.kind}`);
        return answer.rates;
      },
      stop,
    };
  }
}
