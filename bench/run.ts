/**
 * `npm run bench`: this package's SimpleRNN/Dense (on its WebAssembly kernels, and on the fused
 * tfjs-ops kernel) against tf.layers' (same starting weights) and Python Keras, on every
 * available tfjs backend. See `npm run bench -- --help`.
 *
 * The parent starts one child process per backend and tfjs contender (tfjs cannot switch
 * backends cleanly inside one process, and a contender sharing a process pays for the garbage
 * the others leave: see bench/child_set.ts; all start at the beginning, while Keras imports,
 * and wait idle for their turn)
 * and the Keras worker once, then for each model: a warm-up epoch and predict for
 * each contender (timed and reported on their own), then rounds that alternate the contenders
 * (the order rotates every round), so that the load of a busy machine falls on all of them.
 * Nothing runs concurrently: while one contender is timed, the others wait idle, and before
 * every timed train and predict the parent waits until all of them are idle (bench/quiet.ts:
 * Keras goes on using the CPU for a while after `fit` returns).
 */
import { writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { optionsOrExitCode } from './command_line';
import { benchArrays } from './data';
import { kerasRound, rate, sum } from './keras_round';
import {
  type BenchOptions,
  type ModelPlan,
  USAGE,
  parseOptions,
  planFor,
  skipReason,
} from './options';
import {
  type Backend,
  type Contender,
  type JsContender,
  type ModelName,
  type TrainResult,
  errorMessage,
  isJsContender,
} from './protocol';
import {
  type BackendResult,
  type BenchResults,
  type ContenderResult,
  type ModelResult,
  type Round,
  emptyContender,
  fmtMB,
  formatResults,
  ratios,
  summarizeContender,
} from './report';
import { commandLine, gitState, machine } from './provenance';
import { type QuietResult, waitUntilQuiet } from './quiet';
import { ChildSet } from './child_set';
import { type KerasSetup, KerasWorker, ROOT } from './workers';
import { runMain } from './main';

const began = performance.now();
const log = (line: string): void => {
  const seconds = ((performance.now() - began) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`${seconds}s ${line}\n`);
};
const load = (): number[] => os.loadavg().map((v) => Math.round(v * 100) / 100);

const kerasKey = (model: ModelName, plan: ModelPlan): string => `${model}:${plan.samples}`;

/** Keras's state per model, shared by every backend: set up and warmed up once. */
interface KerasModelState {
  setup: KerasSetup | null;
  error: string | null;
  firstEpochSeconds: number | null;
  firstPredictSeconds: number | null;
}

class Bench {
  /** By `model:samples`: Keras's data size follows the tfjs children's. */
  private readonly kerasModels = new Map<string, KerasModelState>();
  keras: KerasWorker | null = null;
  kerasInfo: KerasSetup | null = null;
  /** Resolves once the Keras worker has started or failed to (it imports while a child starts). */
  kerasReady: Promise<void> = Promise.resolve();

  /**
   * Each backend's children (one per JavaScript contender), or why they did not start: all
   * start at once, then wait their turn.
   */
  private readonly children = new Map<Backend, Promise<ChildSet | string>>();

  /** The process ids of every child and of the Keras worker, as they start. */
  private readonly pids = new Set<number>();

  constructor(private readonly options: BenchOptions) {}

  /** Records a started process, whose CPU use untilIdle() watches. */
  watch(pid: number | undefined): void {
    if (pid !== undefined) this.pids.add(pid);
  }

  /** Waits until no benchmark process is using the CPU (before each timed call). */
  untilIdle(): Promise<QuietResult> {
    return waitUntilQuiet([...this.pids]);
  }

  /**
   * Starts every backend's child now, while Keras imports (nothing is timed yet), instead of
   * one after another between the timed models; each waits idle until its backend's turn.
   */
  startChildren(): void {
    const contenders = this.options.contenders.filter(isJsContender);
    for (const backend of this.options.backends) {
      this.children.set(
        backend,
        ChildSet.start(backend, contenders, 2 * 60 * 1000).then(
          (set) => {
            for (const pid of set.pids) this.watch(pid);
            return set;
          },
          (err: unknown) => errorMessage(err),
        ),
      );
    }
  }

  /**
   * Waits until every backend's children have started (or failed to): a child still starting
   * (importing tfjs, compiling) takes a core, and untilIdle does not watch it before it is
   * ready, so the first backend's first model was timed while the others' children started.
   */
  async childrenStarted(): Promise<void> {
    await Promise.all(this.children.values());
  }

  private childSet(backend: Backend): Promise<ChildSet | string> {
    return this.children.get(backend) ?? Promise.resolve('not started');
  }

  /** Closes every child still running (each backend closes its own when it is done). */
  async closeChildren(): Promise<void> {
    for (const started of this.children.values()) {
      const set = await started;
      if (typeof set !== 'string') await set.close();
    }
  }

  private get timeout(): number {
    return this.options.requestTimeoutMs;
  }

  /** Sets up and warms up the Keras model once per data size; later backends reuse it. */
  private async kerasModel(model: ModelName, plan: ModelPlan): Promise<KerasModelState> {
    const key = kerasKey(model, plan);
    const known = this.kerasModels.get(key);
    if (known !== undefined) return known;
    await this.kerasReady;
    const state: KerasModelState = {
      setup: null,
      error: this.keras === null ? 'not run' : null,
      firstEpochSeconds: null,
      firstPredictSeconds: null,
    };
    this.kerasModels.set(key, state);
    const keras = this.keras;
    if (keras === null) return state;
    try {
      // The data the tfjs children make, from the same generator (bench/data.ts).
      const data = benchArrays(model, plan.samples);
      state.setup = await keras.setup(key, model, data, plan.batchSize, this.timeout);
      this.kerasInfo ??= state.setup;
      await this.untilIdle();
      state.firstEpochSeconds = (await keras.train(key, 1, this.timeout)).seconds;
      await this.untilIdle();
      state.firstPredictSeconds = (await keras.predict(key, this.timeout)).seconds;
    } catch (err) {
      state.error = errorMessage(err);
    }
    return state;
  }

  private async jsRound(
    children: ChildSet,
    contender: JsContender,
    plan: ModelPlan,
  ): Promise<Round> {
    const child = children.of(contender);
    const beforeTrain = await this.untilIdle();
    const train: TrainResult = await child.call(
      { cmd: 'train', contender, epochs: plan.epochsPerRound },
      this.timeout,
    );
    const beforePredict = await this.untilIdle();
    const predict = await child.call({ cmd: 'predict', contender }, this.timeout);
    return {
      idleWaits: [beforeTrain, beforePredict],
      trainSamplesPerSecond: rate(
        plan.samples * train.epochSeconds.length,
        sum(train.epochSeconds),
      ),
      predictSamplesPerSecond: rate(plan.samples, predict.seconds),
      fitSeconds: train.seconds,
      epochSeconds: train.epochSeconds,
      tensorsAfterEpoch: train.tensorsAfterEpoch,
      loss: train.loss,
    };
  }

  private kerasRound(model: ModelName, plan: ModelPlan): Promise<Round> {
    const keras = this.keras;
    if (keras === null) throw new Error('not run');
    return kerasRound({
      keras,
      key: kerasKey(model, plan),
      samples: plan.samples,
      epochs: plan.epochsPerRound,
      timeoutMs: this.timeout,
      untilIdle: () => this.untilIdle(),
    });
  }

  async model(backend: Backend, children: ChildSet, model: ModelName): Promise<ModelResult> {
    const plan = planFor(this.options, backend, model);
    const tag = `[${backend}/${model}]`;
    const names = this.options.contenders;
    const jsNames = names.filter(isJsContender);
    // One result per contender that runs; `entries` and `contenders` share the objects.
    const entries = names.map((name): [Contender, ContenderResult] => [name, emptyContender()]);
    const contenders: Partial<Record<Contender, ContenderResult>> = Object.fromEntries(entries);
    const of = (name: Contender): ContenderResult => contenders[name] ?? emptyContender();
    const result: ModelResult = {
      model,
      plan,
      params: {},
      startDifferences: {},
      kernels: {},
      contenders,
      ratios: ratios(contenders),
      load: { start: load(), end: [] },
    };
    // Set-up: each tfjs contender in its own child, from the weights of ours built there.
    for (const name of jsNames) {
      try {
        const request = { cmd: 'setup', model, shuffle: this.options.shuffle, ...plan } as const;
        const setup = await children
          .of(name)
          .call({ ...request, contenders: [name] }, this.timeout);
        result.params = { ...result.params, ...setup.params };
        result.startDifferences = { ...result.startDifferences, ...setup.startDifferences };
        result.kernels = { ...result.kernels, ...setup.kernels };
        for (const [unsupported, reason] of Object.entries(setup.unsupported)) {
          const c = of(unsupported as JsContender);
          c.unsupported = reason;
          c.error = 'not run';
          log(`${tag} ${unsupported} ${reason}`);
        }
      } catch (err) {
        of(name).error = `setup: ${errorMessage(err)}`;
      }
    }
    const k = contenders.keras;
    if (k !== undefined) {
      const keras = await this.kerasModel(model, plan);
      // Keras that did not start is said once in the header, not as a failure.
      k.error = this.keras === null ? 'not run' : keras.error;
      k.firstEpochSeconds = keras.firstEpochSeconds;
      k.firstPredictSeconds = keras.firstPredictSeconds;
      if (keras.setup !== null) result.params.keras = keras.setup.params;
    }
    // Warm-up: each tfjs contender's first epoch and predict, on their own.
    for (const name of jsNames) {
      const c = of(name);
      if (c.error !== null) continue;
      try {
        await this.untilIdle();
        const child = children.of(name);
        const first = await child.call({ cmd: 'train', contender: name, epochs: 1 }, this.timeout);
        c.firstEpochSeconds = first.seconds;
        c.tensorsAfterFirstEpoch = first.tensorsAfterEpoch;
        await this.untilIdle();
        c.firstPredictSeconds = (
          await child.call({ cmd: 'predict', contender: name }, this.timeout)
        ).seconds;
      } catch (err) {
        c.error = `first epoch: ${errorMessage(err)}`;
      }
    }
    log(
      `${tag} first epoch: ${entries.map(([n, c]) => `${n} ${c.firstEpochSeconds?.toFixed(2) ?? '-'} s`).join(', ')}`,
    );
    // Timed rounds, alternating the contenders; the order rotates every round.
    for (let r = 0; r < plan.rounds; r++) {
      if (entries.every(([, c]) => c.error !== null)) break;
      const order = names.map((_, i) => names[(i + r) % names.length] ?? 'ours');
      const line: string[] = [];
      for (const name of order) {
        const c = of(name);
        if (c.error !== null) continue;
        try {
          const round =
            name === 'keras'
              ? await this.kerasRound(model, plan)
              : await this.jsRound(children, name, plan);
          c.rounds.push(round);
          const wait = round.idleWaits.at(0);
          // A long wait for idle processes before the round is worth seeing as it happens.
          const waited =
            wait !== undefined && (wait.state === 'busy' || wait.waitedSeconds >= 0.3)
              ? ` (${wait.state === 'busy' ? 'not idle after' : 'idle after'} ${wait.waitedSeconds.toFixed(1)} s)`
              : '';
          line.push(`${name} ${Math.round(round.trainSamplesPerSecond)}/s${waited}`);
        } catch (err) {
          c.error = `round ${r + 1}: ${errorMessage(err)}`;
          line.push(`${name} failed`);
        }
      }
      log(`${tag} round ${r + 1}/${plan.rounds}: ${line.join(', ')} (load ${load()[0] ?? '?'})`);
    }
    // Peak tensor memory and kernel counts, from an untimed profiled pass.
    for (const name of jsNames) {
      const c = of(name);
      if (c.error !== null) continue;
      try {
        const request = { cmd: 'profile', contender: name } as const;
        c.profile = await children
          .of(name)
          .call({ ...request, batches: this.options.profileBatches }, this.timeout);
      } catch (err) {
        c.error = `profile: ${errorMessage(err)}`;
      }
    }
    for (const [name, c] of entries) summarizeContender(c, name !== 'keras');
    result.ratios = ratios(contenders);
    result.load.end = load();
    await children.teardown(this.timeout);
    return result;
  }

  async backend(backend: Backend): Promise<{ result: BackendResult; tfjs: string | null }> {
    const result: BackendResult = {
      backend,
      error: null,
      childMaxRssBytes: null,
      models: [],
      skipped: [],
    };
    const children = await this.childSet(backend);
    if (typeof children === 'string') {
      result.error = `could not start: ${children}`;
      log(`[${backend}] ${result.error}`);
      return { result, tfjs: null };
    }
    log(`[${backend}] children ready (tfjs ${children.tfjs ?? '-'})`);
    try {
      for (const model of this.options.models) {
        const skip = skipReason(this.options, backend, model);
        if (skip === null) result.models.push(await this.model(backend, children, model));
        else result.skipped.push(`${model}: ${skip}`);
      }
      result.childMaxRssBytes = await children.maxRssBytes(this.timeout);
      log(`[${backend}] children's largest peak RSS ${fmtMB(result.childMaxRssBytes ?? 0)}`);
    } catch (err) {
      result.error = errorMessage(err);
    } finally {
      await children.close();
    }
    return { result, tfjs: children.tfjs };
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const options = optionsOrExitCode('bench', USAGE, () => parseOptions(argv, ROOT));
  if (typeof options === 'number') return options;
  const started = performance.now();
  const bench = new Bench(options);
  const startLoad = load();
  let kerasNote: string | null = options.kerasLeftOutBy;
  if (options.keras) {
    // Started now, waited for before the first model: its imports overlap the children's
    // start-up (nothing is timed then).
    log('starting the Keras worker (imports TensorFlow)...');
    bench.kerasReady = KerasWorker.start(3 * 60 * 1000).then(
      (worker) => {
        bench.keras = worker;
        bench.watch(worker.pid);
      },
      (err: unknown) => {
        kerasNote = `Keras did not start: ${errorMessage(err)}`;
        log(`Keras skipped: ${kerasNote}`);
      },
    );
  }
  bench.startChildren();
  await bench.childrenStarted();
  const backends: BackendResult[] = [];
  let tfjs: string | null = null;
  try {
    for (const backend of options.backends) {
      const { result, tfjs: version } = await bench.backend(backend);
      backends.push(result);
      tfjs ??= version;
    }
  } finally {
    await bench.closeChildren();
    await bench.kerasReady;
    let kerasRss: number | null = null;
    if (bench.keras !== null) {
      try {
        kerasRss = (await bench.keras.memory(30_000)).max_rss_bytes;
      } catch {
        kerasRss = null;
      }
      await bench.keras.close();
    }
    const info = bench.kerasInfo;
    const results: BenchResults = {
      date: new Date().toISOString(),
      command: commandLine('bench', 'bench/run.ts', argv),
      machine: machine(),
      node: process.version,
      tfjs,
      git: gitState(),
      keras:
        bench.keras === null || info === null
          ? null
          : {
              python: path.relative(ROOT, bench.keras.python) || bench.keras.python,
              keras: info.keras,
              tensorflow: info.tensorflow,
              maxRssBytes: kerasRss,
            },
      kerasNote,
      quick: options.quick,
      contenders: options.contenders,
      shuffle: options.shuffle,
      durationSeconds: (performance.now() - started) / 1000,
      load: { start: startLoad, end: load() },
      backends,
    };
    writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`\n${formatResults(results)}\n`);
    log(`results written to ${path.relative(process.cwd(), options.out) || options.out}`);
  }
  return 0;
}

runMain('bench', main);
