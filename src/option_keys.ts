/**
 * The keys every public options object accepts, declared once per options type, and the one
 * check that refuses the rest, as Keras refuses unknown keyword arguments.
 *
 *   const DENSE_OPTIONS = optionKeys<DenseArgs>(
 *     { ...BASE_LAYER_KEYS, units: true, activation: true, ... },
 *     { kernelRegularizer: { default: null } },
 *   );
 *   DENSE_OPTIONS.check('Dense', args);   // before any work
 *
 * The table's type, `KeyTable<DenseArgs>`, makes the compiler require every key of the interface
 * and no other, so the list cannot drift from the typed options. A key outside it is refused
 * with the nearest known key ("did you mean `returnSequences`?"), or its camelCase name for
 * Keras's snake_case spelling. A Keras option this package does not implement yet is declared
 * beside the table and refused by name whenever it asks for something: given with a value other
 * than undefined, null or Keras's own default.
 */
import { ValueError } from './errors';

/** Every key of `T`, each mapped to `true`: an object literal of this type lists exactly T's keys. */
export type KeyTable<T> = { readonly [K in keyof T]-?: true };

/** A Keras option that this package does not implement yet. */
export interface NotYetOption {
  /** Keras's default value, accepted since it asks for nothing (undefined and null always are). Default: none. */
  readonly default?: string | number | boolean;
  /** What to do instead, added to the message. Default: 'leave it out'. */
  readonly hint?: string;
}

/** The not-yet-implemented Keras options of a subject, by camelCase name. */
export type NotYetOptions = Readonly<Partial<Record<string, NotYetOption>>>;

/** A value as messages show it: JSON where it has one, else its kind. */
function showValue(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
    if (proto !== Object.prototype && proto !== null) {
      const name = proto.constructor?.name;
      return typeof name === 'string' && name !== '' ? `a ${name}` : 'an object';
    }
  }
  if (value === undefined || typeof value === 'symbol') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    // A cycle, or a bigint.
    return typeof value === 'bigint' ? `${value}n` : 'an object';
  }
}

/** `kernel_initializer` -> `kernelInitializer`. */
export function camelCase(key: string): string {
  return key.replace(/_+([a-zA-Z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** The spelling-blind form of a key: `return_sequences`, `ReturnSequences` -> `returnsequences`. */
function looseKey(key: string): string {
  return key.replace(/[_-]/g, '').toLowerCase();
}

/** The number of single-character edits (a swap of neighbours counts as one) from a to b. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const above = rows[i - 1] ?? [];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((above[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (above[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? Math.max(a.length, b.length);
}

/**
 * The known key `key` was most likely meant to be: the same key in another case or with
 * underscores, else the closest one within a third of its length in edits, else one that
 * begins with it (or that it begins with). undefined when none is close.
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const loose = looseKey(key);
  const same = known.find((k) => looseKey(k) === loose);
  if (same !== undefined) return same;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(loose.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(loose, looseKey(k));
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  if (best !== undefined || loose.length < 3) return best;
  const prefixed = known.filter((k) => {
    const other = looseKey(k);
    return other.startsWith(loose) || loose.startsWith(other);
  });
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** The keys of one options type, and the check every entry point runs before any work. */
export class OptionKeys<T> {
  /** The keys of the options type, in declaration order. */
  readonly known: readonly string[];
  /** The Keras options refused by name until they are implemented. */
  readonly notYet: NotYetOptions;

  constructor(keys: KeyTable<T>, notYet: NotYetOptions = {}) {
    this.known = Object.keys(keys);
    this.notYet = notYet;
    const clash = this.known.find((k) => k in notYet);
    if (clash !== undefined) {
      throw new Error(`option tables: \`${clash}\` is declared both known and not yet supported.`);
    }
  }

  /**
   * The keys of an options type that extends this one: its own keys (listed first in messages,
   * as the more telling ones), then these.
   */
  extend<U extends T>(keys: KeyTable<Omit<U, keyof T>>, notYet: NotYetOptions = {}): OptionKeys<U> {
    const known = [...Object.keys(keys), ...this.known];
    const table = Object.fromEntries(known.map((k) => [k, true])) as KeyTable<U>;
    // An option the base does not implement may be one the extension does (Embedding's inputDim).
    const inherited = Object.entries(this.notYet).filter(([k]) => !known.includes(k));
    return new OptionKeys<U>(table, { ...Object.fromEntries(inherited), ...notYet });
  }

  /**
   * Throws a ValueError naming `subject` for every key of `options` that is not known, or that
   * asks for a Keras option not implemented yet; `noun` names what the keys are
   * ('option', 'call argument', ...). undefined passes (the caller's defaults apply); anything
   * else that is not a plain object is refused too.
   */
  check(subject: string, options: unknown, noun = 'option'): void {
    if (options === undefined) return;
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new ValueError(
        `${subject}: expected an options object, received ${showValue(options)}. ${this.knownList(noun)}`,
      );
    }
    const entries = Object.entries(options as Record<string, unknown>);
    this.checkEntries(subject, entries, noun);
  }

  /** The check of `check` on key/value pairs gathered by the caller. */
  checkEntries(subject: string, entries: readonly [string, unknown][], noun = 'option'): void {
    const problems: string[] = [];
    let unknown = false;
    for (const [key, value] of entries) {
      if (this.known.includes(key)) continue;
      const camel = camelCase(key);
      const notYetKey = key in this.notYet ? key : camel in this.notYet ? camel : undefined;
      if (notYetKey !== undefined) {
        const rule = this.notYet[notYetKey] ?? {};
        if (value === undefined || value === null || value === rule.default) continue;
        const spelled = notYetKey === key ? `\`${key}\`` : `\`${key}\` (\`${notYetKey}\` here)`;
        problems.push(
          `${spelled} is not supported yet (received ${showValue(value)}): ${rule.hint ?? 'leave it out'}.`,
        );
        continue;
      }
      unknown = true;
      if (key !== camel && this.known.includes(camel)) {
        problems.push(
          `unknown ${noun} \`${key}\`: \`${key}\` is \`${camel}\` here (${noun}s are camelCase).`,
        );
        continue;
      }
      const nearest = nearestKey(key, this.known);
      problems.push(
        nearest === undefined
          ? `unknown ${noun} \`${key}\`.`
          : `unknown ${noun} \`${key}\`; did you mean \`${nearest}\`?`,
      );
    }
    if (problems.length === 0) return;
    const list = unknown ? ` ${this.knownList(noun)}` : '';
    throw new ValueError(`${subject}: ${problems.join(' ')}${list}`);
  }

  /** `Known options: \`units\`, \`activation\`.` */
  private knownList(noun: string): string {
    if (this.known.length === 0) return `It takes no ${noun}s.`;
    return `Known ${noun}s: ${this.known.map((k) => `\`${k}\``).join(', ')}.`;
  }
}

/** Declares the keys of options type `T`: `optionKeys<DenseArgs>({ units: true, ... })`. */
export function optionKeys<T>(keys: KeyTable<T>, notYet: NotYetOptions = {}): OptionKeys<T> {
  return new OptionKeys<T>(keys, notYet);
}
