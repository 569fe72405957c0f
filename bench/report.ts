/**
 * The results of a bench run (what bench/results.json holds), their medians and ratios, and the
 * table `npm run bench` prints.
 */
import type { ModelPlan } from './options';
import type { GitState, Machine } from './provenance';
import type { QuietResult } from './quiet';
import {
  CONTENDERS,
  type Contender,
  JS_CONTENDERS,
  type JsContender,
  type ModelName,
  type ProfileResult,
} from './protocol';

/** One timed round of one contender. */
export interface Round {
  /** The waits until every benchmark process was idle, before the train and the predict. */
  idleWaits: QuietResult[];
  /** Samples per second over the round's epochs (epoch wall times, without fit's setup). */
  trainSamplesPerSecond: number;
  predictSamplesPerSecond: number;
  /** Wall time of the whole fit call, setup included. */
  fitSeconds: number;
  epochSeconds: number[];
  /** tf.memory().numTensors after each epoch (tfjs contenders). */
  tensorsAfterEpoch: number[];
  loss: number[];
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface ContenderResult {
  /** Why this contender has no (or partial) numbers; null when every step ran. */
  error: string | null;
  /** Why this contender cannot train the model on this backend (then not run); null when it can. */
  unsupported: string | null;
  /** The first epoch (tracing, kernel compilation, optimizer slots): timed alone, not in the medians. */
  firstEpochSeconds: number | null;
  firstPredictSeconds: number | null;
  /** numTensors after the warm-up epoch. */
  tensorsAfterFirstEpoch: number[];
  rounds: Round[];
  train: Spread | null;
  predict: Spread | null;
  /** Whether numTensors was the same after every timed epoch (tfjs contenders). */
  tensorsFlat: boolean | null;
  /** Peak tensor memory and kernel counts of an untimed profiled pass (tfjs contenders). */
  profile: ProfileResult | null;
}

/** ours ÷ another contender (above 1: ours is faster). */
export interface Ratio {
  /** Of the medians of the rounds. */
  train: number | null;
  predict: number | null;
  /**
   * Of each round's training rates, paired by round: within a round the contenders run one
   * after the other, so each pair shares the machine's conditions of that moment, which drift
   * between rounds (up to 2x here) more than the contenders differ. Median, min and max.
   */
  trainByRound: Spread | null;
}

export interface ModelResult {
  model: ModelName;
  plan: ModelPlan;
  params: Partial<Record<Contender, number>>;
  /**
   * max |ours - that contender| of predictions right after copying our weights into its model
   * (tf.layers, and ours-fused: a check that both kernels compute the same).
   */
  startDifferences: Partial<Record<JsContender, number>>;
  /** The SimpleRNN kernel each of our contenders ran (from its child process). */
  kernels: Partial<Record<JsContender, string>>;
  /** The contenders that ran, by name (`--contenders` chooses them). */
  contenders: Partial<Record<Contender, ContenderResult>>;
  /** ours ÷ each other contender that ran. */
  ratios: Partial<Record<Contender, Ratio>>;
  /** 1-, 5- and 15-minute load averages when the model's rounds began and ended. */
  load: { start: number[]; end: number[] };
}

export interface BackendResult {
  backend: string;
  error: string | null;
  /** The largest peak RSS of the backend's child processes (one per tfjs contender). */
  childMaxRssBytes: number | null;
  models: ModelResult[];
  /** Models not run on this backend, with the reason. */
  skipped: string[];
}

export interface BenchResults {
  date: string;
  command: string;
  machine: Machine;
  node: string;
  tfjs: string | null;
  git: GitState | null;
  keras: { python: string; keras: string; tensorflow: string; maxRssBytes: number | null } | null;
  kerasNote: string | null;
  quick: boolean;
  /** The contenders run (`--contenders`; Keras also needs its worker to start). */
  contenders: Contender[];
  shuffle: boolean;
  durationSeconds: number;
  load: { start: number[]; end: number[] };
  backends: BackendResult[];
}

export function emptyContender(): ContenderResult {
  return {
    error: null,
    unsupported: null,
    firstEpochSeconds: null,
    firstPredictSeconds: null,
    tensorsAfterFirstEpoch: [],
    rounds: [],
    train: null,
    predict: null,
    tensorsFlat: null,
    profile: null,
  };
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

/** Median, min and max of the finite values; null when there is none. */
export function spread(values: readonly number[]): Spread | null {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return null;
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite) };
}

/** Fills in a contender's medians and its tensor-flatness from its rounds. */
export function summarizeContender(c: ContenderResult, tfjs: boolean): void {
  c.train = spread(c.rounds.map((r) => r.trainSamplesPerSecond));
  c.predict = spread(c.rounds.map((r) => r.predictSamplesPerSecond));
  const counts = c.rounds.flatMap((r) => r.tensorsAfterEpoch);
  c.tensorsFlat = tfjs && counts.length > 0 ? counts.every((n) => n === counts[0]) : null;
}

function ratio(a: Spread | null, b: Spread | null): number | null {
  return a === null || b === null || b.median === 0 ? null : a.median / b.median;
}

/** ours ÷ other, round by round (round i of each; a contender that failed has fewer rounds). */
function ratiosByRound(ours: readonly Round[], other: readonly Round[]): Spread | null {
  const n = Math.min(ours.length, other.length);
  const each = Array.from(
    { length: n },
    (_, i) => (ours[i]?.trainSamplesPerSecond ?? NaN) / (other[i]?.trainSamplesPerSecond ?? NaN),
  );
  return spread(each);
}

export function ratios(
  contenders: Partial<Record<Contender, ContenderResult>>,
): Partial<Record<Contender, Ratio>> {
  const ours = contenders.ours;
  const result: Partial<Record<Contender, Ratio>> = {};
  for (const name of CONTENDERS) {
    const other = contenders[name];
    if (name === 'ours' || other === undefined) continue;
    result[name] = {
      train: ratio(ours?.train ?? null, other.train),
      predict: ratio(ours?.predict ?? null, other.predict),
      trainByRound: ratiosByRound(ours?.rounds ?? [], other.rounds),
    };
  }
  return result;
}

// ---- the table ----

const fmtRate = (s: Spread | null): string => {
  if (s === null) return '-';
  const pct = s.median === 0 ? 0 : Math.round(((s.max - s.min) / s.median) * 100);
  return `${Math.round(s.median)} ±${pct}%`;
};
const fmtSeconds = (v: number | null): string => (v === null ? '-' : `${v.toFixed(2)} s`);
const fmtRatio = (v: number | null): string => (v === null ? '-' : `${v.toFixed(2)}x`);
const fmtRatioSpread = (s: Spread | null): string =>
  s === null ? '-' : `${s.median.toFixed(2)}x (${s.min.toFixed(2)}-${s.max.toFixed(2)})`;
export const fmtMB = (bytes: number | null | undefined): string => {
  if (bytes == null) return '-';
  return bytes < 2 ** 20
    ? `${(bytes / 2 ** 10).toFixed(1)} KB`
    : `${(bytes / 2 ** 20).toFixed(1)} MB`;
};

/** numTensors after the timed epochs: `37 x6 flat`, or every count when they differ. */
function tensorsCell(c: ContenderResult): string {
  const counts = c.rounds.flatMap((r) => r.tensorsAfterEpoch);
  if (counts.length === 0) return '-';
  const first = String(counts[0]);
  return c.tensorsFlat === true ? `${first} x${counts.length} flat` : `${counts.join(' ')} GROWS`;
}

/** Where a tfjs contender's batch goes: wall time unprofiled, then kernel time (profiled). */
function timeLine(name: string, c: ContenderResult, batchSize: number): string | null {
  const p = c.profile;
  if (p === null || c.train === null) return null;
  const wall = (batchSize / c.train.median) * 1000;
  const top = p.topKernelsByTime
    .slice(0, 5)
    .map(([k, ms]) => `${k} ${ms}`)
    .join(', ');
  const kernels =
    p.kernelsPerBatch === 0
      ? 'no tfjs kernel'
      : `${p.kernelMsPerBatch} in ${p.kernelsPerBatch} tfjs kernels (${top})`;
  return `  ${name}: ${wall.toFixed(1)} ms/batch; profiled ${p.wallMsPerBatch} ms/batch, of which ${kernels}`;
}

/** Columns padded to their widest cell, the `rightAligned` ones to the right. */
export function padTable(rows: string[][], rightAligned: ReadonlySet<number>): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, i) => {
        const w = widths[i] ?? 0;
        return rightAligned.has(i) ? cell.padStart(w) : cell.padEnd(w);
      })
      .join('  ')
      .trimEnd(),
  );
}

/** How long the timed calls of a model waited for idle processes, or null when none waited. */
function idleLine(m: ModelResult): string | null {
  const waits = Object.values(m.contenders).flatMap((c) => c.rounds.flatMap((r) => r.idleWaits));
  const measured = waits.filter((w) => w.state !== 'unmeasured');
  if (measured.length === 0) return null;
  const seconds = measured.map((w) => w.waitedSeconds).sort((a, b) => a - b);
  const median = seconds[Math.floor(seconds.length / 2)] ?? 0;
  const longest = seconds.at(-1) ?? 0;
  const busy = measured.filter((w) => w.state === 'busy').length;
  return `  before each timed call, waited for every process to be idle: median ${median.toFixed(1)} s, longest ${longest.toFixed(1)} s${busy > 0 ? `; ${busy} still busy at the time limit` : ''}`;
}

function modelLines(backend: string, m: ModelResult): string[] {
  const { plan } = m;
  const head = `${backend} · ${m.model}: ${plan.samples} samples, batch ${plan.batchSize}, ${plan.rounds} rounds x ${plan.epochsPerRound} epoch(s); load ${m.load.start.map((v) => v.toFixed(1)).join(' ')} -> ${m.load.end.map((v) => v.toFixed(1)).join(' ')}`;
  const rows: string[][] = [
    [
      'contender',
      'train/s',
      'predict/s',
      'train vs',
      'by round',
      'predict vs',
      '1st epoch',
      'peak tensors',
      'kernels/batch',
      'numTensors after epochs',
    ],
  ];
  const errors: string[] = [];
  for (const name of CONTENDERS) {
    const c = m.contenders[name];
    if (c === undefined) continue;
    const vsOurs = m.ratios[name];
    rows.push([
      name,
      fmtRate(c.train),
      fmtRate(c.predict),
      vsOurs === undefined ? '' : fmtRatio(vsOurs.train),
      vsOurs === undefined ? '' : fmtRatioSpread(vsOurs.trainByRound),
      vsOurs === undefined ? '' : fmtRatio(vsOurs.predict),
      fmtSeconds(c.firstEpochSeconds),
      name === 'keras' ? '-' : fmtMB(c.profile?.peakBytes),
      c.profile === null ? '-' : String(c.profile.kernelsPerBatch),
      name === 'keras' ? '-' : tensorsCell(c),
    ]);
    if (c.unsupported !== null) {
      errors.push(`  ${name} not run: ${c.unsupported}`);
    } else if (c.error !== null && !(name === 'keras' && c.error === 'not run')) {
      errors.push(`  ${name} FAILED: ${c.error}`);
    }
  }
  const differences = JS_CONTENDERS.flatMap((n) => {
    const d = m.startDifferences[n];
    return d === undefined ? [] : [`max |ours - ${n}| = ${d.toExponential(1)}`];
  });
  const kernels = JS_CONTENDERS.flatMap((n) => {
    const k = m.kernels[n];
    return k === undefined ? [] : [`${n} on ${k}`];
  });
  const idle = idleLine(m);
  return [
    head,
    ...padTable(rows, new Set([1, 2, 3, 4, 5, 6, 7, 8])).map((l) => `  ${l}`),
    `  (ratio columns: ours ÷ that contender; by round: median (min-max) of each round's training ratio${differences.length > 0 ? `; same start weights: ${differences.join(', ')}` : ''})`,
    ...(kernels.length > 0 ? [`  recurrent kernels: ${kernels.join('; ')}`] : []),
    ...JS_CONTENDERS.flatMap((n) => {
      const c = m.contenders[n];
      return c === undefined ? [] : (timeLine(n, c, plan.batchSize) ?? []);
    }),
    ...(idle === null ? [] : [idle]),
    ...errors,
  ];
}

/** The readable summary of a run. */
export function formatResults(r: BenchResults): string {
  const keras =
    r.keras === null
      ? `Keras: skipped (${r.kerasNote ?? 'not run'})`
      : `Keras ${r.keras.keras} on TensorFlow ${r.keras.tensorflow} (${r.keras.python}), worker peak RSS ${fmtMB(r.keras.maxRssBytes)}`;
  const lines = [
    `tfjs-keras-rnn bench · ${r.date} · ${r.machine.cpu}, ${r.machine.cores} cores · Node ${r.node} · tfjs ${r.tfjs ?? '?'}`,
    `command: ${r.command}${r.git === null ? '' : ` at ${r.git.commit.slice(0, 7)}${r.git.srcChanged ? ' with uncommitted changes in src/' : ''}`}`,
    keras,
    `load average (1/5/15 min): ${r.load.start.map((v) => v.toFixed(2)).join(' ')} at start, ${r.load.end.map((v) => v.toFixed(2)).join(' ')} at end; ${Math.round(r.durationSeconds)} s in all`,
    'samples/s are medians of the timed rounds (±: (max-min)/median); the first epoch is timed alone and left out.',
    ...(r.contenders.includes('ours-fused')
      ? [
          "ours-fused: our layers on the fused tfjs-ops kernel (TFJS_KERAS_RNN_KERNEL=fused), so ours ÷ ours-fused is the WebAssembly kernels' speed-up.",
        ]
      : []),
    'peak tensors: tfjs tensor bytes above the start during a profiled one-batch training pass; kernels/batch leaves out wrapper scopes.',
    '',
  ];
  for (const b of r.backends) {
    if (b.error !== null && b.models.length === 0) {
      lines.push(`${b.backend}: FAILED: ${b.error}`, '');
      continue;
    }
    for (const m of b.models) lines.push(...modelLines(b.backend, m), '');
    for (const s of b.skipped) lines.push(`  ${b.backend} · ${s}`);
    lines.push(
      `  ${b.backend} child processes (one per tfjs contender), largest peak RSS: ${fmtMB(b.childMaxRssBytes)}`,
    );
    if (b.error !== null) lines.push(`  ${b.backend}: ${b.error}`);
    lines.push('');
  }
  return lines.join('\n');
}
