/**
 * What `npm run bench:soak` records (bench/soak.json), the growth it computes from the
 * per-pass series, its verdict and the table it prints. The measuring is in bench/soak.ts.
 */
import type { GitState, Machine } from './provenance';
import type { ModelName } from './protocol';
import { fmtMB } from './report';

/** One reading of the process's memory, taken after a training epoch or a predict pass. */
export interface MemorySample {
  /** process.memoryUsage(): resident set, V8 heap, memory outside it, ArrayBuffers. */
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  /** tf.memory(). */
  numTensors: number;
  numBytes: number;
  /** The WebAssembly kernels' memory (src/kernels/wasm: wasmKernelMemory()). */
  kernelMemoryBytes: number;
  kernelBytesInUse: number;
  kernelBlocksInUse: number;
  pendingGradients: number;
}
export type SampleName = keyof MemorySample;

export const SAMPLE_NAMES: readonly SampleName[] = [
  'rssBytes',
  'heapUsedBytes',
  'heapTotalBytes',
  'externalBytes',
  'arrayBuffersBytes',
  'numTensors',
  'numBytes',
  'kernelMemoryBytes',
  'kernelBytesInUse',
  'kernelBlocksInUse',
  'pendingGradients',
];

/** Growth of one series after the warm-up. */
export interface Growth {
  /** Least-squares slope over passes warmUp..last, per pass (bytes, or a count). */
  slopePerPass: number;
  /** The slope times the passes it spans: the fitted growth, less noisy than `endToEnd`. */
  fitted: number;
  /** value[last] - value[warmUp]. */
  endToEnd: number;
  min: number;
  max: number;
}

/** A soak of one kind (training epochs, or predict passes). */
export interface SoakRun {
  kind: 'train' | 'predict';
  /** Readings before the first pass (the model built, data made, nothing run). */
  before: MemorySample;
  /** One value per pass, pass 1 first. */
  series: Record<SampleName, number[]>;
  /** Wall time of each pass. */
  seconds: number[];
  /** The epoch's loss (training only). */
  loss: number[];
  /** Growth of each series from pass `warmUp` to the last. */
  growth: Record<SampleName, Growth>;
  verdict: Verdict;
}

export interface Verdict {
  flat: boolean;
  /** Why not flat (empty when flat). */
  reasons: string[];
  line: string;
}

export interface SoakSettings {
  backend: string;
  /** What our recurrent layers ran, e.g. `wasm relaxed-simd, 2 threads`. */
  kernel: string;
  model: ModelName;
  samples: number;
  batchSize: number;
  shuffle: boolean;
  epochs: number;
  predictPasses: number;
  /** The pass from which growth is measured (the passes before it are warm-up). */
  warmUp: number;
  /** Resident memory may grow less than this over passes warmUp..last to count as flat. */
  thresholdBytes: number;
  /** Whether a full garbage collection ran before each reading (node --expose-gc). */
  gcBeforeReading: boolean;
}

export interface SoakResults {
  date: string;
  command: string;
  node: string;
  tfjs: string;
  machine: Machine;
  git: GitState | null;
  settings: SoakSettings;
  durationSeconds: number;
  runs: SoakRun[];
}

/** Least-squares slope of ys over xs. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] ?? mx) - mx;
    sxy += dx * ((ys[i] ?? my) - my);
    sxx += dx * dx;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

/** Growth of `values` (pass 1 first) from pass `warmUp` (1-based, clamped) to the last. */
export function growthOf(values: readonly number[], warmUp: number): Growth {
  const from = Math.min(Math.max(warmUp, 1), values.length) - 1;
  const tail = values.slice(from);
  const passes = tail.map((_, i) => from + 1 + i);
  const s = slope(passes, tail);
  return {
    slopePerPass: s,
    fitted: s * Math.max(0, tail.length - 1),
    endToEnd: (tail[tail.length - 1] ?? 0) - (tail[0] ?? 0),
    min: tail.length > 0 ? Math.min(...tail) : 0,
    max: tail.length > 0 ? Math.max(...tail) : 0,
  };
}

/**
 * Flat when resident memory grew less than the threshold from pass `warmUp` to the last
 * (end to end: the fitted line over-reads one-off steps of the allocator, and is shown beside
 * it), and tensors (count and bytes) and the kernels' heap in use were the same after every pass
 * from `warmUp` on.
 */
export function verdictOf(
  run: Pick<SoakRun, 'kind' | 'series' | 'growth'>,
  settings: SoakSettings,
): Verdict {
  const { warmUp, thresholdBytes } = settings;
  const passes = run.series.rssBytes.length;
  const span = `${run.kind === 'train' ? 'epochs' : 'passes'} ${Math.min(warmUp, passes)}-${passes}`;
  const reasons: string[] = [];
  const rss = run.growth.rssBytes;
  if (rss.endToEnd >= thresholdBytes) {
    reasons.push(
      `rss grew ${fmtMB(rss.endToEnd)} (fitted ${fmtMB(rss.fitted)}, ${fmtMB(rss.slopePerPass)}/pass) over ${span}`,
    );
  }
  const constant: [SampleName, string][] = [
    ['numTensors', 'numTensors'],
    ['numBytes', 'tensor bytes'],
    ['kernelBytesInUse', 'kernel heap in use'],
  ];
  for (const [name, label] of constant) {
    const g = run.growth[name];
    if (g.min !== g.max) {
      const show = name === 'numTensors' ? String : fmtMB;
      reasons.push(`${label} varied ${show(g.min)}..${show(g.max)} over ${span}`);
    }
  }
  const flat = reasons.length === 0;
  const line = flat
    ? `${run.kind}: FLAT over ${span}: rss ${fmtSigned(rss.endToEnd)} (fitted ${fmtSigned(rss.fitted)}, threshold ${fmtMB(thresholdBytes)}), numTensors ${run.series.numTensors.at(-1) ?? '-'} every ${run.kind === 'train' ? 'epoch' : 'pass'}, kernel heap in use constant`
    : `${run.kind}: GROWS: ${reasons.join('; ')}`;
  return { flat, reasons, line };
}

function fmtSigned(bytes: number): string {
  return `${bytes < 0 ? '-' : '+'}${fmtMB(Math.abs(bytes))}`;
}

/** How a series shows in the table: its label and the unit its values are divided by. */
interface RowFormat {
  label: string;
  /** 1 for counts. */
  divisor: number;
}
const KB = 2 ** 10;
const MB = 2 ** 20;
const ROWS: Record<SampleName, RowFormat> = {
  rssBytes: { label: 'rss MB', divisor: MB },
  heapUsedBytes: { label: 'heapUsed MB', divisor: MB },
  heapTotalBytes: { label: 'heapTotal MB', divisor: MB },
  externalBytes: { label: 'external MB', divisor: MB },
  arrayBuffersBytes: { label: 'arrayBuffers MB', divisor: MB },
  numTensors: { label: 'numTensors', divisor: 1 },
  numBytes: { label: 'tensor MB', divisor: MB },
  kernelMemoryBytes: { label: 'kernel memory MB', divisor: MB },
  kernelBytesInUse: { label: 'kernel in use KB', divisor: KB },
  kernelBlocksInUse: { label: 'kernel blocks', divisor: 1 },
  pendingGradients: { label: 'pending grads', divisor: 1 },
};

/** A value in its row's unit: counts whole, sizes to 0.1, slopes (`perPass`) finer. */
function fmtCell(row: RowFormat, v: number | undefined, perPass = false): string {
  if (v === undefined) return '-';
  if (row.divisor === 1) return perPass ? v.toFixed(2) : String(v);
  return (v / row.divisor).toFixed(perPass ? 3 : 1);
}

function padTable(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** The table of one run: values at a few passes, then the growth after the warm-up. */
function runLines(run: SoakRun, warmUp: number): string[] {
  const passes = run.series.rssBytes.length;
  const at = [...new Set([1, warmUp, 50, passes].filter((p) => p >= 1 && p <= passes))].sort(
    (a, b) => a - b,
  );
  const unit = run.kind === 'train' ? 'epoch' : 'pass';
  const units = run.kind === 'train' ? 'epochs' : 'passes';
  const rows: string[][] = [
    [
      '',
      'before',
      ...at.map((p) => `${unit} ${p}`),
      `slope/${unit}`,
      `growth ${Math.min(warmUp, passes)}-${passes}`,
    ],
  ];
  for (const name of SAMPLE_NAMES) {
    const row = ROWS[name];
    const g = run.growth[name];
    const values = run.series[name];
    rows.push([
      row.label,
      fmtCell(row, run.before[name]),
      ...at.map((p) => fmtCell(row, values[p - 1])),
      fmtCell(row, g.slopePerPass, true),
      fmtCell(row, g.endToEnd),
    ]);
  }
  const secs = [...run.seconds].sort((a, b) => a - b);
  const median = secs[Math.floor(secs.length / 2)] ?? NaN;
  const loss =
    run.loss.length > 0
      ? `; loss ${run.loss[0]?.toFixed(4) ?? '-'} -> ${run.loss.at(-1)?.toFixed(4) ?? '-'}`
      : '';
  return [
    `${run.kind}: ${passes} ${passes === 1 ? unit : units}, median ${(median * 1000).toFixed(0)} ms per ${unit}${loss}`,
    ...padTable(rows).map((l) => `  ${l}`),
    `  ${run.verdict.line}`,
  ];
}

/** The readable summary of a soak. */
export function formatSoak(r: SoakResults): string {
  const s = r.settings;
  const lines = [
    `tfjs-keras-rnn soak · ${r.date} · ${r.machine.cpu}, ${r.machine.cores} cores · Node ${r.node} · tfjs ${r.tfjs}`,
    `command: ${r.command}${r.git === null ? '' : ` at ${r.git.commit.slice(0, 7)}${r.git.srcChanged ? ' with uncommitted changes in src/' : ''}`}`,
    `${s.backend} · ${s.model}: ${s.samples} samples, batch ${s.batchSize}, shuffle ${s.shuffle ? 'on' : 'off'}, ${s.epochs} epochs then ${s.predictPasses} predict passes; recurrent layers on ${s.kernel}`,
    `readings after each pass${s.gcBeforeReading ? ', each after a full GC' : ' (no forced GC: run with node --expose-gc for steadier heap numbers)'}; growth and slope from pass ${s.warmUp} on (least squares); flat: rss < ${fmtMB(s.thresholdBytes)} and tensors and kernel heap in use constant`,
    '',
  ];
  for (const run of r.runs) lines.push(...runLines(run, s.warmUp), '');
  const verdict = r.runs.every((run) => run.verdict.flat) ? 'FLAT' : 'NOT FLAT';
  lines.push(`verdict: ${verdict} (${Math.round(r.durationSeconds)} s in all)`);
  return lines.join('\n');
}
