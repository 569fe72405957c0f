/**
 * Sizing SimpleRNN, LSTM and GRU to the same number of parameters, so that a comparison of the
 * three measures the cell and not its size. Keras's counts, per recurrent layer of u units on
 * f features: SimpleRNN u·(f + u + 1); LSTM 4u·(f + u + 1); GRU (resetAfter, Keras's default,
 * two biases) 3u·(f + u + 2). A Dense(k) head adds u·k + k.
 */

/** The recurrent cells an example compares. */
export type CellKind = 'simple_rnn' | 'lstm' | 'gru';

/** Keras's parameter count of one recurrent layer of `units` units reading `features` per step. */
export function recurrentParams(kind: CellKind, features: number, units: number): number {
  switch (kind) {
    case 'simple_rnn':
      return units * (features + units + 1);
    case 'lstm':
      return 4 * units * (features + units + 1);
    case 'gru':
      return 3 * units * (features + units + 2);
  }
}

/** The parameters of the recurrent layer and a Dense(`outputs`) head on its last state. */
export function modelParams(
  kind: CellKind,
  features: number,
  units: number,
  outputs: number,
): number {
  return recurrentParams(kind, features, units) + units * outputs + outputs;
}

/**
 * The number of units that brings a recurrent layer plus its Dense(`outputs`) head nearest to
 * `budget` parameters (the smaller on a tie).
 */
export function unitsForBudget(
  kind: CellKind,
  features: number,
  outputs: number,
  budget: number,
): number {
  let best = 1;
  for (let units = 1; modelParams(kind, features, units, outputs) <= 2 * budget; units++) {
    const gap = Math.abs(modelParams(kind, features, units, outputs) - budget);
    if (gap < Math.abs(modelParams(kind, features, best, outputs) - budget)) best = units;
  }
  return best;
}
