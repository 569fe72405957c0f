/**
 * A backend's benchmark children: one process (bench/child.ts) per JavaScript contender, so that
 * each is timed in a process of its own, as a user runs it. In one shared process a contender
 * pays for the garbage the others leave in its heap: this package's IMDB-shaped model on the
 * tensorflow backend trained at 33-43 ms a batch when alone in its process, 41-57 ms when the
 * fused-ops contender (~8,000 tensors a batch) trained there between its epochs. Each child
 * builds this package's model, whose weights its contender starts from (bench/child.ts's setup).
 */
import { type Backend, type JsContender, errorMessage } from './protocol';
import { BenchChild } from './workers';

export class ChildSet {
  private constructor(
    readonly backend: Backend,
    private readonly children: ReadonlyMap<JsContender, BenchChild>,
  ) {}

  /** Starts a child for each contender; if one cannot start, closes the others and throws. */
  static async start(
    backend: Backend,
    contenders: readonly JsContender[],
    timeoutMs: number,
  ): Promise<ChildSet> {
    const started = await Promise.allSettled(
      contenders.map(() => BenchChild.start(backend, timeoutMs)),
    );
    const children = new Map<JsContender, BenchChild>();
    const failures: string[] = [];
    started.forEach((s, i) => {
      if (s.status === 'fulfilled') children.set(contenders[i], s.value);
      else failures.push(`${contenders[i]}: ${errorMessage(s.reason)}`);
    });
    const set = new ChildSet(backend, children);
    if (failures.length > 0) {
      await set.close();
      throw new Error(failures.join('; '));
    }
    return set;
  }

  /** The child that runs `contender`. */
  of(contender: JsContender): BenchChild {
    const child = this.children.get(contender);
    if (child === undefined) throw new Error(`no ${this.backend} child runs ${contender}`);
    return child;
  }

  /** Every child's process id. */
  get pids(): (number | undefined)[] {
    return [...this.children.values()].map((child) => child.pid);
  }

  /** The tfjs version the children run (null without a child). */
  get tfjs(): string | null {
    return [...this.children.values()].at(0)?.tfjs ?? null;
  }

  /** The largest peak resident set of the children, in bytes (null without a child). */
  async maxRssBytes(timeoutMs: number): Promise<number | null> {
    let most: number | null = null;
    for (const child of this.children.values()) {
      const status = await child.call({ cmd: 'status' }, timeoutMs);
      most = Math.max(most ?? 0, status.maxRssBytes);
    }
    return most;
  }

  /** Frees every child's models; a dead child is reported by its next request. */
  async teardown(timeoutMs: number): Promise<void> {
    for (const child of this.children.values()) {
      try {
        await child.call({ cmd: 'teardown' }, timeoutMs);
      } catch {
        // See above.
      }
    }
  }

  async close(): Promise<void> {
    for (const child of this.children.values()) await child.close();
  }
}
