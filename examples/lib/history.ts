/**
 * Reading `fit`'s history, Keras's `history.history['loss']`.
 */

/** What `fit` returns: one value per epoch by log name. */
export interface FitHistory {
  history: Readonly<Record<string, number[]>>;
}

/** The per-epoch values of `key` (`'loss'`, `'val_loss'`, `'accuracy'`), or [] when fit did not log it. */
export function historyValues(history: FitHistory, key: string): number[] {
  return Object.hasOwn(history.history, key) ? (history.history[key] ?? []) : [];
}

/** The last epoch's value of `key` formatted with `digits` decimals, or 'n/a'. */
export function lastValue(history: FitHistory, key: string, digits = 4): string {
  const value = historyValues(history, key).at(-1);
  return value === undefined ? 'n/a' : value.toFixed(digits);
}
