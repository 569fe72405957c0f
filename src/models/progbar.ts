/**
 * Keras 3's progress bar (keras/src/utils/progbar.py), character for character:
 *
 *   verbose 1:  32/32 ━━━━━━━━━━━━━━━━━━━━ 1s 3ms/step - loss: 0.1234 - val_loss: 0.2345
 *   verbose 2:  32/32 - 1s - 3ms/step - loss: 0.1234
 *
 * Values are shown as given (they are running means already), as Keras's ProgbarLogger does.
 */

/** Where progress goes: `process.stdout` or anything with `write`. */
export interface ProgressStream {
  /** Writes `text` as it is (the bar adds its own newlines and carriage returns). */
  write(text: string): unknown;
  /** Whether the stream is an interactive terminal (the bar is then redrawn in place). */
  isTTY?: boolean;
  /** The terminal's width, when it is one. */
  columns?: number;
}

/** Options of a Progbar. */
export interface ProgbarOptions {
  /** The number of steps in the epoch. Required. */
  target: number;
  /** 1: a bar redrawn in place; 2: one line when the epoch ends. Required. */
  verbose: 1 | 2;
  /** Where to write. Default: process.stdout. */
  stream?: ProgressStream;
  /** Redraw the bar in place (`\r`) at every update. Default: whether the stream is a TTY. */
  dynamic?: boolean;
  /** Keras's ANSI bold and colors. Default: the same as `dynamic`. */
  colors?: boolean;
  /** Current time in milliseconds, for tests. Default: performance.now. */
  now?: () => number;
  /** Minimum seconds between two redraws. Default: 0.05. */
  interval?: number;
  /** Bar width in characters. Default: 20. */
  width?: number;
}

/**
 * Python's `f"{x:.{digits}f}"`: like toFixed, but an exact tie rounds to even, and NaN and
 * infinities read `nan`, `inf`, `-inf`.
 */
export function pyFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const rounded = x.toFixed(digits);
  // toFixed rounds an exact tie away from zero; Python rounds it to even.
  const extra = 30;
  const long = Math.abs(x).toFixed(digits + extra);
  const tail = long.slice(-extra);
  if (tail !== `5${'0'.repeat(extra - 1)}`) return rounded;
  const truncated = long.slice(0, -extra).replace(/\.$/, '');
  const lastDigit = Number(truncated.at(-1));
  if (lastDigit % 2 !== 0) return rounded;
  return (x < 0 ? '-' : '') + truncated;
}

/** Python's `f"{x:.{digits}e}"`: `1.2345e-04`, with at least two exponent digits. */
export function pyExponential(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  return x.toExponential(digits).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** Keras's display of a metric value: 4 decimals, or scientific notation when small. */
export function formatValue(value: number, absolute = true): string {
  const big = absolute ? Math.abs(value) > 1e-3 : value > 1e-3;
  return big ? pyFixed(value, 4) : pyExponential(value, 4);
}

/** Keras's `_format_time`: ` 3ms/step`, ` 1s/step`, ` 850us/step`. */
export function formatTimePerUnit(seconds: number, unit = 'step'): string {
  if (seconds >= 1 || seconds === 0) return ` ${pyFixed(seconds, 0)}s/${unit}`;
  if (seconds >= 1e-3) return ` ${pyFixed(seconds * 1000, 0)}ms/${unit}`;
  return ` ${pyFixed(seconds * 1e6, 0)}us/${unit}`;
}

/** Keras's ETA: `45s`, `2:05`, `1:02:03` (whole seconds, truncated). */
export function formatEta(seconds: number): string {
  const pad = (n: number): string => String(Math.trunc(n)).padStart(2, '0');
  if (seconds > 3600) {
    return `${Math.trunc(seconds / 3600)}:${pad((seconds % 3600) / 60)}:${pad(seconds % 60)}`;
  }
  if (seconds > 60) return `${Math.trunc(seconds / 60)}:${pad(seconds % 60)}`;
  return `${Math.trunc(seconds)}s`;
}

const BOLD = '\x1b[1m';
const GREEN = '\x1b[32m';
const WHITE = '\x1b[37m';
const RESET = '\x1b[0m';
const BAR_CHAR = '━';

/** The default clock: milliseconds. */
function defaultNow(): number {
  return performance.now();
}

/** One epoch's (or one evaluation's) progress bar. */
export class Progbar {
  private readonly target: number;
  private readonly verbose: 1 | 2;
  private readonly stream: ProgressStream;
  private readonly dynamic: boolean;
  private readonly colors: boolean;
  private readonly now: () => number;
  private readonly interval: number;
  private readonly width: number;
  private readonly start: number;
  private lastUpdate = Number.NEGATIVE_INFINITY;
  private timeAfterFirstStep: number | null = null;
  private prevTotalWidth = 0;

  constructor(options: ProgbarOptions) {
    this.target = options.target;
    this.verbose = options.verbose;
    this.stream = options.stream ?? process.stdout;
    this.dynamic = options.dynamic ?? this.stream.isTTY === true;
    this.colors = options.colors ?? this.dynamic;
    this.now = options.now ?? defaultNow;
    this.interval = options.interval ?? 0.05;
    this.width = options.width ?? 20;
    this.start = this.seconds();
  }

  private seconds(): number {
    return this.now() / 1000;
  }

  private style(code: string, text: string): string {
    return this.colors ? `${code}${text}${RESET}` : text;
  }

  /** Keras's `_estimate_step_duration`: ignores the first step once there are more. */
  private stepDuration(current: number, now: number): number {
    if (current === 0) return 0;
    const perUnit =
      this.timeAfterFirstStep !== null && current > 1
        ? (now - this.timeAfterFirstStep) / (current - 1)
        : (now - this.start) / current;
    if (current === 1) this.timeAfterFirstStep = now;
    return perUnit;
  }

  /**
   * Shows `current` steps of `target` done, with these values. `finalize` (default: current >=
   * target) ends the line.
   */
  update(current: number, values: Readonly<Record<string, number>>, finalize?: boolean): void {
    const done = finalize ?? current >= this.target;
    const now = this.seconds();
    const perUnit = this.stepDuration(current, now);
    const entries = Object.entries(values);
    if (this.verbose === 1) {
      if (now - this.lastUpdate < this.interval && !done) return;
      this.lastUpdate = now;
      // Porting note: Keras on POSIX always redraws in place; here a stream that is not a
      // terminal (a log file, a pipe) gets only the final line of each bar.
      if (!this.dynamic && !done) return;
      const line = this.barLine(current, now, perUnit, done, entries);
      let message = this.dynamic ? `\r${line.text}` : line.text;
      if (this.dynamic && this.prevTotalWidth > line.width) {
        message += ' '.repeat(this.prevTotalWidth - line.width);
      }
      if (done) message += '\n';
      this.stream.write(message);
      this.prevTotalWidth = line.width;
      return;
    }
    if (!done) return;
    const digits = Math.floor(Math.log10(this.target)) + 1;
    let info = `${String(current).padStart(digits)}/${this.target} - ${pyFixed(now - this.start, 0)}s`;
    info += ` -${formatTimePerUnit(perUnit)}`;
    for (const [key, value] of entries) info += ` - ${key}: ${formatValue(value, false)}`;
    this.stream.write(`${info}\n`);
  }

  private barLine(
    current: number,
    now: number,
    perUnit: number,
    done: boolean,
    entries: [string, number][],
  ): { text: string; width: number } {
    const digits = Math.floor(Math.log10(this.target)) + 1;
    const count = `${String(current).padStart(digits)}/${this.target}`;
    const progWidth = Math.trunc((this.width * current) / this.target);
    const filled = Math.min(progWidth, this.width);
    let text = `${this.style(BOLD, count)} `;
    if (filled > 0) text += this.style(GREEN, BAR_CHAR.repeat(filled));
    text += this.style(WHITE, BAR_CHAR.repeat(this.width - filled));
    let width = count.length + 1 + this.width;
    const time = done
      ? `${pyFixed(now - this.start, 0)}s`
      : formatEta(perUnit * (this.target - current));
    let info = ` ${time}${formatTimePerUnit(perUnit)}`;
    text += ` ${this.style(BOLD, time)}${formatTimePerUnit(perUnit)}`;
    for (const [key, value] of entries) {
      const item = ` - ${key}: ${formatValue(value)}`;
      info += item;
      text += item;
    }
    width += info.length;
    return { text, width };
  }
}

/** Writes one line (Keras's `Epoch 1/10`) to the stream. */
export function writeLine(stream: ProgressStream, line: string): void {
  stream.write(`${line}\n`);
}
