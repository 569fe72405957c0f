/**
 * Keras 3's `model.summary()` layout (keras/src/utils/summary_utils.py rendered by rich), without
 * colors, as Keras prints it when its output is captured:
 *
 *   Model: "sequential"
 *   ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
 *   ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
 *   ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
 *   │ simple_rnn (SimpleRNN)          │ (None, 3)              │            27 │
 *   └─────────────────────────────────┴────────────────────────┴───────────────┘
 *    Total params: 27 (108.00 B)
 *    ...
 */
import type * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors';
import { optionKeys } from '../option_keys';
import { pyFixed } from './progbar';

/** One row of the table. */
export interface SummaryRow {
  name: string;
  className: string;
  /** The output shape with the batch axis; null before the layer is built (shown as `?`). */
  outputShape: readonly (number | null)[] | null;
  /** The parameter count; null before the layer is built (shown as `0 (unbuilt)`). */
  params: number | null;
}

/** What the summary shows. */
export interface SummaryInfo {
  modelName: string;
  rows: readonly SummaryRow[];
  trainableParams: number;
  nonTrainableParams: number;
  /** Values the optimizer holds and their bytes, shown once it has taken a step, as in Keras. Default: not shown. */
  optimizer?: { count: number; bytes: number };
  /** Bytes per parameter. Default: 4 (float32). */
  bytesPerParam?: number;
}

/** Options of `summary()`. */
export interface SummaryOptions {
  /** Total width of the table. Default: Keras's min(88, terminal columns - 4), 76 when not on a terminal. */
  lineLength?: number;
}

/** The keys of SummaryOptions, and Keras's `summary` arguments not implemented yet. */
export const SUMMARY_OPTIONS = optionKeys<SummaryOptions>(
  { lineLength: true },
  {
    positions: { hint: "the columns are at Keras's default positions; leave it out" },
    printFn: { hint: 'pass it as the first argument: summary(printFn, options)' },
    expandNested: { default: false },
    showTrainable: { default: false },
    layerRange: {},
  },
);

/** Keras's default line length: min(88, columns - 4), columns from the terminal or $COLUMNS, else 80. */
export function defaultLineLength(): number {
  const env = Number(process.env.COLUMNS);
  const columns =
    Number.isInteger(env) && env > 0
      ? env
      : process.stdout.isTTY && process.stdout.columns > 0
        ? process.stdout.columns
        : 80;
  return Math.min(88, columns - 4);
}

/** Python's round(): half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The content widths of the three columns, as rich computes them for Keras's table: columns of
 * int(p * L) - previous for p in [0.45, 0.80, 1.0], plus padding, shrunk evenly into L minus
 * the four borders.
 */
export function columnWidths(lineLength: number): number[] {
  const positions = [0.45, 0.8, 1.0];
  const widths: number[] = [];
  let current = 0;
  for (const p of positions) {
    const width = Math.trunc(p * lineLength) - current;
    if (width < 4) throw new ValueError('summary: insufficient console width to print summary.');
    widths.push(width + 2);
    current += width;
  }
  const maxWidth = lineLength - 4;
  let total = widths.reduce((a, b) => a + b, 0);
  if (total > maxWidth) {
    // rich's ratio_reduce with equal ratios.
    let remaining = total - maxWidth;
    let ratioLeft = widths.length;
    for (let i = 0; i < widths.length; i++) {
      const cut = Math.min(widths[i] ?? 0, roundHalfEven(remaining / ratioLeft));
      widths[i] = (widths[i] ?? 0) - cut;
      remaining -= cut;
      ratioLeft -= 1;
    }
    total = widths.reduce((a, b) => a + b, 0);
  }
  return widths.map((w) => Math.min(w, maxWidth) - 2);
}

/**
 * rich's word wrap for a cell: words fill lines greedily; a word longer than the cell is
 * cut with an ellipsis.
 */
export function wrapCell(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  lines.push(line);
  return lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
}

/** `(None, 60, 80)`. */
export function formatOutputShape(shape: readonly (number | null)[] | null): string {
  if (shape === null) return '?';
  return `(${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')})`;
}

/** `24,761`. */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Keras's readable_memory_size: `108.00 B`, `96.72 KB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let size = bytes;
  for (const unit of units) {
    if (size / 1024 < 1) return `${pyFixed(size, 2)} ${unit}`;
    size /= 1024;
  }
  return `${pyFixed(size, 2)} PB`;
}

function border(
  widths: readonly number[],
  left: string,
  fill: string,
  mid: string,
  right: string,
): string {
  return left + widths.map((w) => fill.repeat(w + 2)).join(mid) + right;
}

function row(
  widths: readonly number[],
  cells: readonly string[],
  align: readonly ('left' | 'right')[],
  sep: string,
): string[] {
  const wrapped = cells.map((c, i) => wrapCell(c, widths[i] ?? 0));
  const height = Math.max(...wrapped.map((w) => w.length));
  const lines: string[] = [];
  for (let r = 0; r < height; r++) {
    const parts = wrapped.map((w, i) => {
      const text = w[r] ?? '';
      const width = widths[i] ?? 0;
      return ` ${align[i] === 'right' ? text.padStart(width) : text.padEnd(width)} `;
    });
    lines.push(sep + parts.join(sep) + sep);
  }
  return lines;
}

/** The summary's lines, Keras's layout exactly. */
export function summaryLines(info: SummaryInfo, options: SummaryOptions = {}): string[] {
  const lineLength = options.lineLength ?? defaultLineLength();
  const widths = columnWidths(lineLength);
  const align = ['left', 'left', 'right'] as const;
  const bytes = info.bytesPerParam ?? 4;
  const lines = [`Model: "${info.modelName}"`];
  lines.push(border(widths, '┏', '━', '┳', '┓'));
  lines.push(...row(widths, ['Layer (type)', 'Output Shape', 'Param #'], align, '┃'));
  lines.push(border(widths, '┡', '━', '╇', '┩'));
  info.rows.forEach((r, i) => {
    if (i > 0) lines.push(border(widths, '├', '─', '┼', '┤'));
    const params = r.params === null ? '0 (unbuilt)' : formatCount(r.params);
    lines.push(
      ...row(
        widths,
        [`${r.name} (${r.className})`, formatOutputShape(r.outputShape), params],
        align,
        '│',
      ),
    );
  });
  lines.push(border(widths, '└', '─', '┴', '┘'));
  const optimizer = info.optimizer ?? { count: 0, bytes: 0 };
  const line = (label: string, n: number, size: number): string =>
    ` ${label}: ${formatCount(n)} (${formatBytes(size)})`;
  const trainable = info.trainableParams;
  const nonTrainable = info.nonTrainableParams;
  lines.push(
    line(
      'Total params',
      trainable + nonTrainable + optimizer.count,
      (trainable + nonTrainable) * bytes + optimizer.bytes,
    ),
  );
  lines.push(line('Trainable params', trainable, trainable * bytes));
  lines.push(line('Non-trainable params', nonTrainable, nonTrainable * bytes));
  if (info.optimizer !== undefined) {
    lines.push(line('Optimizer params', optimizer.count, optimizer.bytes));
  }
  return lines;
}

/** The rows of `layers`: shapes and counts once built, `?` and `0 (unbuilt)` before. */
export function layerRows(layers: readonly tf.layers.Layer[], built: boolean): SummaryRow[] {
  return layers.map((layer) => ({
    name: layer.name,
    className: layer.getClassName(),
    outputShape: built ? (layer.outputShape as (number | null)[]) : null,
    params: built ? layer.countParams() : null,
  }));
}
