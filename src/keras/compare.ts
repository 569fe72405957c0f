/**
 * Checking this package against Keras reference fixtures: rebuild each fixture's model from its
 * Keras JSON, load its weights, run every forward case in inference mode and compare with what
 * Keras computed; replay the `gradients` section (replay_gradients.ts) and the `training`
 * section (replay_training.ts). The logic of `tfjs-keras-rnn compare`; the CLI only parses argv
 * and prints.
 *
 * A fixture passes only when every case and every section present passes. A section that
 * cannot be replayed (or is unknown) is reported as skipped, never as passed. A fixture that
 * cannot be read or mapped is a failure that says why, never a crash.
 */
import * as tf from '@tensorflow/tfjs';
import { formatShape } from '../errors';
import { optionKeys } from '../option_keys';
import {
  type FixtureCase,
  type FixtureTensor,
  type KerasFixture,
  fixtureKerasVersion,
  fixtureTensor,
  readFixtureFile,
} from './fixture';
import { errorMessage } from './keras_json';
import { dialectOf } from './keras_values';
import { loadKerasWeights } from './keras_weights';
import { type KerasModel, modelFromKeras, modelFromKerasLayer } from './model_from_keras';
import { replayCalls } from './replay_calls';
import { replayGradientFlow } from './replay_gradient_flow';
import { replayGradients } from './replay_gradients';
import { replayTraining } from './replay_training';
import { type SectionResult, indexIn } from './sections';

export type { SectionResult } from './sections';

/** Options of the comparisons. */
export interface CompareOptions {
  /** An absolute tolerance stricter than the fixtures' own; a looser one is not applied. Default: each case's `atol`. */
  atol?: number;
}

/** The keys of CompareOptions. */
const COMPARE_OPTIONS = optionKeys<CompareOptions>({ atol: true });

/** The outcome of one forward case. */
export interface CaseResult {
  /** The case's name. */
  readonly name: string;
  /** The largest |ours - Keras's| over every output; NaN against a number counts as Infinity. */
  readonly maxAbsDiff: number;
  /** The tolerance applied: the case's `atol`, or the stricter `CompareOptions.atol`. */
  readonly atol: number;
  /** Whether every output is within the tolerance. */
  readonly passed: boolean;
  /** Why the case failed; undefined when it passed. */
  readonly reason: string | undefined;
}

/** A section of the fixture that was not checked. */
export interface SkippedSection {
  /** The section's name (`gradients`, `training`). */
  readonly section: string;
  /** Why it could not be replayed. */
  readonly reason: string;
}

/** The outcome of one fixture. */
export interface FixtureResult {
  /** The file (or the name, for a fixture given as an object). */
  readonly source: string;
  /** The fixture's `name`, or the file when it could not be read. */
  readonly name: string;
  /** Whether every case and section passed. */
  readonly passed: boolean;
  /** The largest difference over every case; undefined when no case ran. */
  readonly maxAbsDiff: number | undefined;
  /** Why the fixture failed; undefined when it passed. */
  readonly reason: string | undefined;
  /** Each forward case's result. */
  readonly cases: readonly CaseResult[];
  /** The `gradients` and `training` sections that were replayed, passed or failed. */
  readonly sections: readonly SectionResult[];
  /** The sections that could not be replayed, and why. */
  readonly skipped: readonly SkippedSection[];
}

/** Totals over several fixtures. */
export interface CompareSummary {
  /** Fixtures that passed. */
  readonly passed: number;
  /** Fixtures that failed. */
  readonly failed: number;
  /** Sections skipped over every fixture, by section name. */
  readonly skipped: Readonly<Record<string, number>>;
  /** Each fixture's result, in order. */
  readonly results: readonly FixtureResult[];
}

/**
 * Rebuilds a fixture's model from its Keras JSON (`model`, or `layer` + `input_shape`) and loads
 * its weights. A layer fixture whose cases give more than one input calls the layer with the
 * others as its initial states, in order. The caller disposes `model.model`.
 */
export function modelFromFixture(fixture: KerasFixture): KerasModel {
  const kerasVersion = fixtureKerasVersion(fixture);
  const firstInput = fixture.cases.at(0)?.inputs.at(0);
  const built =
    fixture.model !== undefined
      ? modelFromKeras(fixture.model, {
          initializeWeights: false,
          ...(kerasVersion === undefined ? {} : { dialect: dialectOf(kerasVersion) }),
        })
      : modelFromKerasLayer(fixture.layer, fixture.inputShape ?? [], {
          dialect: dialectOf(kerasVersion),
          initializeWeights: false,
          ...(firstInput === undefined ? {} : { inputDtype: firstInput.dtype }),
          initialStateShapes: (fixture.cases.at(0)?.inputs.slice(1) ?? []).map((t) => [
            null,
            ...t.shape.slice(1),
          ]),
        });
  try {
    loadKerasWeights(built, fixture.weights);
  } catch (err) {
    built.model.dispose();
    throw err;
  }
  return built;
}

/** A case's inputs as tensors of the model's input dtypes (run it inside tf.tidy). */
export function caseInputs(built: KerasModel, testCase: FixtureCase): tf.Tensor[] {
  return testCase.inputs.map((t, i) => {
    const x = fixtureTensor(t);
    const dtype = built.inputDtypes[i] ?? x.dtype;
    return x.dtype === dtype ? x : tf.cast(x, dtype);
  });
}

/** |a - b|, 0 for NaN against NaN and for equal infinities, Infinity for NaN against a number. */
function absDiff(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  if (a === b) return 0;
  const d = Math.abs(a - b);
  return Number.isNaN(d) ? Infinity : d;
}

/** Formats a difference for reports: `5.96e-8`, `0`. */
export function formatDiff(value: number): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return String(value);
  return value.toExponential(2);
}

function compareOutput(
  got: tf.Tensor,
  expected: FixtureTensor,
  k: number,
  atol: number,
): { maxAbsDiff: number; reason: string | undefined } {
  const sameShape =
    got.shape.length === expected.shape.length &&
    got.shape.every((d, i) => d === expected.shape[i]);
  if (!sameShape) {
    return {
      maxAbsDiff: Infinity,
      reason: `output ${k} has shape ${formatShape(got.shape)}, Keras's has ${formatShape(expected.shape)}`,
    };
  }
  const values = got.dataSync();
  let worst = -1;
  let worstDiff = 0;
  let maxAbsDiff = 0;
  for (let i = 0; i < values.length; i++) {
    const d = absDiff(values[i] ?? Number.NaN, expected.data[i] ?? Number.NaN);
    if (d > maxAbsDiff) maxAbsDiff = d;
    if (d > atol && (worst < 0 || d > worstDiff)) {
      worst = i;
      worstDiff = d;
    }
  }
  if (worst < 0) return { maxAbsDiff, reason: undefined };
  return {
    maxAbsDiff,
    reason: `output ${k} max|diff| ${formatDiff(worstDiff)} > atol ${atol} at ${formatShape(indexIn(worst, expected.shape))}: got ${values[worst]}, Keras ${expected.data[worst]}`,
  };
}

/** Runs one forward case on a rebuilt model, in inference mode. Never throws. */
export function runCase(
  built: KerasModel,
  testCase: FixtureCase,
  options: CompareOptions = {},
): CaseResult {
  COMPARE_OPTIONS.check('runCase', options);
  const atol = options.atol === undefined ? testCase.atol : Math.min(options.atol, testCase.atol);
  const failed = (reason: string, maxAbsDiff = Infinity): CaseResult => ({
    name: testCase.name,
    maxAbsDiff,
    atol,
    passed: false,
    reason: `case '${testCase.name}': ${reason}`,
  });
  const modelInputs = built.model.inputs.length;
  if (testCase.inputs.length !== modelInputs) {
    return failed(
      `the model takes ${modelInputs} input(s), the case gives ${testCase.inputs.length}`,
    );
  }
  let result: CaseResult | undefined;
  try {
    tf.tidy(() => {
      const xs = caseInputs(built, testCase);
      const batchSize = Math.max(1, testCase.inputs[0]?.shape[0] ?? 1);
      const prediction = built.model.predict(xs.length === 1 ? xs[0] : xs, {
        batchSize,
      });
      const outputs = Array.isArray(prediction) ? prediction : [prediction];
      if (outputs.length !== testCase.outputs.length) {
        result = failed(
          `the model gives ${outputs.length} output(s), Keras gave ${testCase.outputs.length}`,
        );
        return;
      }
      let maxAbsDiff = 0;
      let reason: string | undefined;
      testCase.outputs.forEach((expected, k) => {
        const compared = compareOutput(outputs[k], expected, k, atol);
        maxAbsDiff = Math.max(maxAbsDiff, compared.maxAbsDiff);
        reason ??= compared.reason;
      });
      result =
        reason === undefined
          ? { name: testCase.name, maxAbsDiff, atol, passed: true, reason: undefined }
          : failed(reason, maxAbsDiff);
    });
  } catch (err) {
    return failed(`running the model failed: ${errorMessage(err)}`);
  }
  return result ?? failed('no result');
}

/** The sections that will not be replayed: unknown ones, or every one when `why` is given. */
function unreplayed(fixture: KerasFixture, why?: string): SkippedSection[] {
  return fixture.sections
    .filter((section) => why !== undefined || !isReplayed(section))
    .map((section) => ({
      section,
      reason: why ?? (isReplayed(section) ? 'not replayed' : 'unknown section'),
    }));
}

/** Whether compare replays a section of this name. */
function isReplayed(section: string): boolean {
  return ['gradients', 'training', 'calls', 'gradient_flow'].includes(section);
}

/** `50%`, `<1%` of the tolerance. */
function formatShare(worst: number): string {
  if (!Number.isFinite(worst)) return String(worst);
  const percent = worst * 100;
  return percent < 1 ? '<1%' : `${percent.toFixed(0)}%`;
}

/**
 * Rebuilds a parsed fixture's model, runs every case, replays its `gradients` and `training`
 * sections, and disposes what it built. Never rejects for a bad fixture (resolves to a failure
 * with its reason); bad options are an error.
 */
export async function compareFixture(
  fixture: KerasFixture,
  options: CompareOptions = {},
  source: string = fixture.name,
): Promise<FixtureResult> {
  COMPARE_OPTIONS.check('compareFixture', options);
  let built: KerasModel;
  try {
    built = modelFromFixture(fixture);
  } catch (err) {
    return {
      source,
      name: fixture.name,
      passed: false,
      maxAbsDiff: undefined,
      reason: errorMessage(err),
      cases: [],
      sections: [],
      skipped: unreplayed(fixture, 'not run: the model could not be rebuilt'),
    };
  }
  let cases: CaseResult[];
  const replayed: SectionResult[] = [];
  try {
    cases = fixture.cases.map((c) => runCase(built, c, options));
    if (fixture.sections.includes('gradients')) replayed.push(replayGradients(fixture, built));
    if (fixture.sections.includes('calls')) replayed.push(replayCalls(fixture, built));
    if (fixture.sections.includes('gradient_flow')) {
      replayed.push(await replayGradientFlow(fixture, built));
    }
  } finally {
    built.model.dispose();
  }
  if (fixture.sections.includes('training')) {
    replayed.push(await replayTraining(fixture, modelFromFixture));
  }
  const sections = replayed.filter((r) => r.status !== 'skipped');
  const skipped = [
    ...replayed
      .filter((r) => r.status === 'skipped')
      .map((r) => ({ section: r.section, reason: r.reason ?? 'skipped' })),
    ...unreplayed(fixture),
  ];
  const failedCases = cases.filter((c) => !c.passed);
  const failedSections = sections.filter((r) => r.status === 'failed');
  const reasons = [
    ...failedCases.map((c) => c.reason ?? `case '${c.name}' failed`),
    ...failedSections.map((r) => r.reason ?? `${r.section} failed`),
  ];
  const firstReason = reasons.at(0);
  const maxAbsDiff = cases.reduce((m, c) => Math.max(m, c.maxAbsDiff), 0);
  return {
    source,
    name: fixture.name,
    passed: firstReason === undefined,
    maxAbsDiff,
    reason:
      firstReason === undefined
        ? undefined
        : `${firstReason}${reasons.length > 1 ? ` (and ${reasons.length - 1} more failure(s))` : ''}`,
    cases,
    sections,
    skipped,
  };
}

/**
 * Reads a fixture file and compares it. An unreadable or invalid file is a failure; never
 * rejects but for bad options.
 */
export async function compareFixtureFile(
  path: string,
  options: CompareOptions = {},
): Promise<FixtureResult> {
  COMPARE_OPTIONS.check('compareFixtureFile', options);
  let fixture: KerasFixture;
  try {
    fixture = readFixtureFile(path);
  } catch (err) {
    return {
      source: path,
      name: path,
      passed: false,
      maxAbsDiff: undefined,
      reason: errorMessage(err),
      cases: [],
      sections: [],
      skipped: [],
    };
  }
  return compareFixture(fixture, options, path);
}

/**
 * The report lines of one fixture: `PASS <name> max|diff| <value>` (then, per replayed section,
 * `; training at 12% of tolerance`) or `FAIL <name> <reason>`, then `SKIP` lines.
 */
export function formatResult(result: FixtureResult): string[] {
  const tail = result.sections
    .map((r) => `; ${r.section} at ${formatShare(r.worst)} of tolerance`)
    .join('');
  const head = result.passed
    ? `PASS ${result.name} max|diff| ${formatDiff(result.maxAbsDiff ?? 0)}${tail}`
    : `FAIL ${result.name} ${result.reason ?? 'failed'}`;
  return [head, ...result.skipped.map((s) => `SKIP ${result.name} ${s.section} (${s.reason})`)];
}

/** Totals over several results. */
export function summarize(results: readonly FixtureResult[]): CompareSummary {
  const skipped: Record<string, number> = {};
  for (const r of results) {
    for (const s of r.skipped) skipped[s.section] = (skipped[s.section] ?? 0) + 1;
  }
  const passed = results.filter((r) => r.passed).length;
  return { passed, failed: results.length - passed, skipped, results };
}

/** The closing line: `45 passed, 1 failed; skipped: 10 gradients, 15 training`. */
export function formatSummary(summary: CompareSummary): string {
  const skipped = Object.entries(summary.skipped)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([section, n]) => `${n} ${section}`);
  const tail = skipped.length === 0 ? '' : `; skipped sections: ${skipped.join(', ')}`;
  return `${summary.passed} passed, ${summary.failed} failed${tail}`;
}

/** Options of `compareFiles`. */
export interface CompareFilesOptions extends CompareOptions {
  /** Called with each fixture's result and report lines as soon as it is done. */
  onResult?: (result: FixtureResult, lines: string[]) => void;
}

/** The keys of CompareFilesOptions. */
const COMPARE_FILES_OPTIONS = COMPARE_OPTIONS.extend<CompareFilesOptions>({ onResult: true });

/** Compares every file in turn. Never rejects for a bad fixture (bad options are an error). */
export async function compareFiles(
  paths: readonly string[],
  options: CompareFilesOptions = {},
): Promise<CompareSummary> {
  COMPARE_FILES_OPTIONS.check('compareFiles', options);
  const { onResult, ...compareOptions } = options;
  const results: FixtureResult[] = [];
  for (const path of paths) {
    const result = await compareFixtureFile(path, compareOptions);
    results.push(result);
    onResult?.(result, formatResult(result));
  }
  return summarize(results);
}
