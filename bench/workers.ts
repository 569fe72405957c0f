/**
 * The parent's handles on its worker processes: one tfjs child per backend (bench/child.ts,
 * over Node's IPC channel) and the Python Keras worker (bench/keras_bench.py --serve, one JSON
 * line per request and per answer). Each request has a time limit; a worker that exceeds it is
 * killed, and every later request to it fails with the reason instead of hanging the bench.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { BenchArray, BenchArrays } from './data';
import {
  type Backend,
  type ChildMessage,
  type ChildRequest,
  type ParentMessage,
  type ResultMap,
  errorMessage,
} from './protocol';

export const ROOT = path.resolve(__dirname, '..');

/** The last lines a process wrote to a stream, for error messages. */
class Tail {
  private text = '';
  add(chunk: Buffer): void {
    this.text = (this.text + chunk.toString('utf8')).slice(-4000);
  }
  /** The last `n` lines that look like an error (tfjs also writes warnings there). */
  lines(n = 3): string {
    return this.text
      .trim()
      .split('\n')
      .filter((l) => /error|abort|fatal|exception|terminat|out of memory|segmentation/i.test(l))
      .slice(-n)
      .join(' | ');
  }
}

function exitReason(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `killed by ${signal}` : `exited with code ${code ?? '?'}`;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** Requests in flight by id, each with a timer; shared by both kinds of worker. */
class Requests {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  dead: string | null = null;

  start(timeoutMs: number, onTimeout: () => void): { id: number; promise: Promise<unknown> } {
    const id = this.nextId++;
    const promise = new Promise<unknown>((resolve, reject) => {
      if (this.dead !== null) {
        reject(new Error(this.dead));
        return;
      }
      const timer = setTimeout(() => {
        this.fail(`no answer within ${Math.round(timeoutMs / 1000)} s (killed)`);
        onTimeout();
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
    });
    return { id, promise };
  }

  settle(id: number, ok: boolean, value: unknown, error: string): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (ok) p.resolve(value);
    else p.reject(new Error(error));
  }

  /** Rejects everything in flight and every later request with `reason`. */
  fail(reason: string): void {
    this.dead ??= reason;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(this.dead));
    }
    this.pending.clear();
  }

  oldestId(): number | undefined {
    return this.pending.keys().next().value;
  }
}

/** One backend's child process. */
export class BenchChild {
  private readonly requests = new Requests();
  private readonly stderr = new Tail();
  private constructor(
    private readonly proc: ChildProcess,
    readonly backend: string,
    readonly tfjs: string,
  ) {}

  /** The child's process id (undefined once it could not be started). */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Starts the child and waits until its backend is ready; throws why it could not start. */
  static async start(backend: Backend, timeoutMs: number): Promise<BenchChild> {
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'bench', 'child.ts'), backend],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
    );
    const stderr = new Tail();
    const onErr = (chunk: Buffer): void => {
      stderr.add(chunk);
    };
    proc.stderr?.on('data', onErr);
    proc.stdout?.on('data', onErr);
    const ready = await new Promise<ChildMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`not ready within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      proc.once('message', (m: ChildMessage) => {
        clearTimeout(timer);
        resolve(m);
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${exitReason(code, signal)} before it was ready: ${stderr.lines()}`));
      });
      proc.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    if (ready.kind === 'failed') throw new Error(ready.error);
    if (ready.kind !== 'ready') throw new Error('unexpected first message');
    proc.removeAllListeners('exit');
    proc.removeAllListeners('message');
    proc.stderr?.off('data', onErr);
    proc.stdout?.off('data', onErr);
    const child = new BenchChild(proc, ready.backend, ready.tfjs);
    child.listen();
    return child;
  }

  private listen(): void {
    const { proc } = this;
    const tail = (chunk: Buffer): void => {
      this.stderr.add(chunk);
    };
    proc.stderr?.on('data', tail);
    proc.stdout?.on('data', tail);
    proc.on('message', (m: ChildMessage) => {
      if (m.kind !== 'response') return;
      if (m.ok) this.requests.settle(m.id, true, m.result, '');
      else this.requests.settle(m.id, false, undefined, m.error);
    });
    proc.on('exit', (code, signal) => {
      const last = this.stderr.lines();
      this.requests.fail(
        `the ${this.backend} child ${exitReason(code, signal)}${last ? `: ${last}` : ''}`,
      );
    });
  }

  /** Sends one request and waits for its answer. */
  call<R extends ChildRequest>(request: R, timeoutMs: number): Promise<ResultMap[R['cmd']]> {
    const { id, promise } = this.requests.start(timeoutMs, () => this.proc.kill('SIGKILL'));
    if (this.requests.dead === null) {
      const message: ParentMessage = { id, request };
      this.proc.send(message);
    }
    return promise as Promise<ResultMap[R['cmd']]>;
  }

  /** Asks the child to exit, and kills it if it has not within a few seconds. */
  async close(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => {
      this.proc.once('exit', () => {
        resolve();
      });
    });
    try {
      const message: ParentMessage = { exit: true };
      this.proc.send(message);
    } catch {
      // The channel is already closed: the exit follows.
    }
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** What the Keras worker answers to `setup`. */
export interface KerasSetup {
  keras: string;
  tensorflow: string;
  params: number;
}
export interface KerasTrain {
  seconds: number;
  epoch_seconds: number[];
  loss: number[];
}
export interface KerasPredict {
  seconds: number;
}
export interface KerasMemory {
  max_rss_bytes: number;
}
type KerasAnswer = { ok: true; ready?: true } | { ok: false; error: string };

/** An array as the Keras worker reads it: numbers, row-major, with shape and dtype. */
interface WireArray {
  values: number[];
  shape: number[];
  dtype: string;
}

/** One command line to the Keras worker. */
type KerasCommand = Record<string, string | number | WireArray>;

function wireArray(a: BenchArray): WireArray {
  // Each float32 becomes the double of the same value, which numpy reads back exactly.
  return { values: Array.from(a.values), shape: a.shape, dtype: a.dtype };
}

/** The Python interpreters tried for Keras, in order. */
export function kerasPythons(): string[] {
  const venv = path.join(ROOT, 'python', '.venv', 'bin', 'python');
  return [...(existsSync(venv) ? [venv] : []), 'python3'];
}

/** The Keras worker process (bench/keras_bench.py --serve). */
export class KerasWorker {
  private readonly requests = new Requests();
  private readonly stderr = new Tail();
  private buffer = '';
  private constructor(
    private readonly proc: ChildProcess,
    readonly python: string,
  ) {}

  /** The worker's process id (undefined once it could not be started). */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Starts the first interpreter that imports Keras; throws with every interpreter's reason. */
  static async start(timeoutMs: number): Promise<KerasWorker> {
    const reasons: string[] = [];
    for (const python of kerasPythons()) {
      try {
        return await KerasWorker.startWith(python, timeoutMs);
      } catch (err) {
        reasons.push(`${python}: ${errorMessage(err)}`);
      }
    }
    throw new Error(reasons.join('; '));
  }

  private static async startWith(python: string, timeoutMs: number): Promise<KerasWorker> {
    const proc = spawn(python, [path.join(ROOT, 'bench', 'keras_bench.py'), '--serve'], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const worker = new KerasWorker(proc, python);
    worker.listen();
    // The ready line answers request 1 (the imports take a few seconds).
    const { promise } = worker.requests.start(timeoutMs, () => proc.kill('SIGKILL'));
    proc.once('error', (err) => {
      worker.requests.fail(err.message);
    });
    await promise;
    return worker;
  }

  private listen(): void {
    const { proc } = this;
    proc.stderr?.on('data', (chunk: Buffer) => {
      this.stderr.add(chunk);
    });
    proc.stdout?.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('utf8');
      let newline = this.buffer.indexOf('\n');
      while (newline >= 0) {
        const line = this.buffer.slice(0, newline).trim();
        this.buffer = this.buffer.slice(newline + 1);
        newline = this.buffer.indexOf('\n');
        // Only our JSON lines; anything else a library prints is ignored.
        if (!line.startsWith('{')) continue;
        const id = this.requests.oldestId();
        if (id === undefined) continue;
        try {
          const answer = JSON.parse(line) as KerasAnswer;
          if (answer.ok) this.requests.settle(id, true, answer, '');
          else this.requests.settle(id, false, undefined, answer.error);
        } catch (err) {
          this.requests.settle(id, false, undefined, `unreadable answer: ${errorMessage(err)}`);
        }
      }
    });
    proc.on('exit', (code, signal) => {
      const last = this.stderr.lines();
      this.requests.fail(`the Keras worker ${exitReason(code, signal)}${last ? `: ${last}` : ''}`);
    });
  }

  private call<T>(command: KerasCommand, timeoutMs: number): Promise<T> {
    const { promise } = this.requests.start(timeoutMs, () => this.proc.kill('SIGKILL'));
    if (this.requests.dead === null) this.proc.stdin?.write(`${JSON.stringify(command)}\n`);
    return promise as Promise<T>;
  }

  /**
   * Builds `model` under the name `key` (the handle of train/predict), to train on `data` (the
   * tfjs children's, from bench/data.ts) in batches of `batch`.
   */
  setup(
    key: string,
    model: string,
    data: BenchArrays,
    batch: number,
    timeoutMs: number,
  ): Promise<KerasSetup> {
    const samples = data.x.shape[0] ?? 0;
    return this.call(
      { cmd: 'setup', key, model, samples, batch, x: wireArray(data.x), y: wireArray(data.y) },
      timeoutMs,
    );
  }
  train(key: string, epochs: number, timeoutMs: number): Promise<KerasTrain> {
    return this.call({ cmd: 'train', key, epochs }, timeoutMs);
  }
  predict(key: string, timeoutMs: number): Promise<KerasPredict> {
    return this.call({ cmd: 'predict', key }, timeoutMs);
  }
  memory(timeoutMs: number): Promise<KerasMemory> {
    return this.call({ cmd: 'memory' }, timeoutMs);
  }

  async close(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => {
      this.proc.once('exit', () => {
        resolve();
      });
    });
    this.proc.stdin?.end(`${JSON.stringify({ cmd: 'exit' })}\n`);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
