/**
 * The command line of `npm run bench:grid`: which grid, how many rounds, where the results go.
 * Every argument is checked before any work starts (bench/command_line.ts's conventions).
 */
import * as path from 'node:path';
import { UsageError, eachFlag, outFile, positiveInt } from '../command_line';
import { type GridPoint, gridPoints, pointLabel } from './points';

export interface GridOptions {
  /** The whole grid (144 cell points) instead of the reduced one (48). */
  full: boolean;
  /** Timed rounds per point (at least 3). */
  rounds: number;
  /** Only the first N points (a short check of the whole chain); null: every point. */
  limit: number | null;
  /** Only the points whose label contains one of these texts; empty: every point. */
  match: string[];
  /** Print the points, their sizes and the expected duration, and stop. */
  planOnly: boolean;
  /** Draw the heat map and print the table of the results already in `out`, and stop. */
  redraw: boolean;
  /** The results file; the heat map goes beside it (same name, .svg and .png). */
  out: string;
  /** Limit for any one request to the Keras worker. */
  requestTimeoutMs: number;
}

export const GRID_USAGE = `Usage: npm run bench:grid -- [options]

Trains and predicts a grid of recurrent models with this package (on the best backend:
tensorflow when @tensorflow/tfjs-node loads, else wasm) and with Python Keras (on the same
data), in alternating rounds with a wait until both processes are idle before each timed call.
A point is [steps x features] -> SimpleRNN, LSTM or GRU (units) -> Dense(1), MSE, Adam, in
batches of a given size; two models of their own shape are added: an Embedding classifier (80
word ids -> Embedding(2000, 64) -> SimpleRNN(128) -> Dense(4, softmax)) and a per-step tagger
(30x8 -> SimpleRNN(64, returnSequences) -> Dense(8, softmax) at each step). Writes
bench/grid.json and a heat map of the training ratios (ours / Keras), bench/grid.svg and .png.

The reduced grid (the default, ~10-15 minutes on 2 vCPUs): units 32, 256; batch 8, 64, 256
with steps 20, 100 and 1 feature, plus 32 features at batch 64. The whole grid (--full): units
32, 128, 256, 512 x batch 8, 64, 256 x steps 20, 100 x features 1, 32 for each cell kind.

Options:
  --full         the whole grid (144 points and the two models; prints its expected duration).
  --rounds N     timed rounds per point, at least 3. Default: 3.
  --limit N      only the first N points (a quick check that everything runs).
  --match TEXT   only the points whose label contains TEXT, e.g. 'LSTM(256)', 'batch 8 ',
                 '100x32', 'tagger' (repeat it for several; labels as --plan prints them).
  --plan         print the points, their data sizes and the expected duration; run nothing.
  --redraw       draw the heat map and print the table of the results already in --out's
                 file; run nothing.
  --out FILE     where to write the results (.json); the heat map goes beside it with the
                 same name (.svg, .png). Default: bench/grid.json.
  --help         this text.
`;

/** Parses the arguments after `npm run bench:grid --`; throws UsageError on a bad one. */
export function parseGridOptions(argv: readonly string[], root: string): GridOptions | 'help' {
  const options: GridOptions = {
    full: false,
    rounds: 3,
    limit: null,
    match: [],
    planOnly: false,
    redraw: false,
    out: path.join(root, 'bench', 'grid.json'),
    requestTimeoutMs: 10 * 60 * 1000,
  };
  const help = eachFlag(argv, (flag, value) => {
    switch (flag) {
      case '--full':
        options.full = true;
        return true;
      case '--rounds':
        options.rounds = positiveInt(flag, value(), 3);
        return true;
      case '--limit':
        options.limit = positiveInt(flag, value());
        return true;
      case '--match': {
        const text = value();
        if (text === undefined || text === '') throw new UsageError('--match: expected a text');
        options.match.push(text);
        return true;
      }
      case '--plan':
        options.planOnly = true;
        return true;
      case '--redraw':
        options.redraw = true;
        return true;
      case '--out':
        options.out = outFile(value());
        if (!options.out.endsWith('.json')) {
          throw new UsageError(
            `--out: expected a file name ending in .json (the heat map goes beside it), received ${options.out}`,
          );
        }
        return true;
      default:
        return false;
    }
  });
  if (help === 'help') return 'help';
  if (selectPoints(options).length === 0) {
    throw new UsageError(
      `--match: no point's label contains ${options.match.map((m) => `'${m}'`).join(' or ')} (see --plan for the labels)`,
    );
  }
  return options;
}

/** The points a run times: the grid's, those matching --match, the first --limit of them. */
export function selectPoints(options: GridOptions): GridPoint[] {
  const matching = gridPoints(options.full).filter(
    (p) => options.match.length === 0 || options.match.some((m) => pointLabel(p).includes(m)),
  );
  return options.limit === null ? matching : matching.slice(0, options.limit);
}

/** The heat map's files beside the results: `grid.json` -> `grid.svg`, `grid.png`. */
export function pictureFiles(out: string): { svg: string; png: string } {
  const base = out.slice(0, -'.json'.length);
  return { svg: `${base}.svg`, png: `${base}.png` };
}
