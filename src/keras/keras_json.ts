/**
 * Reading Keras's JSON: the JSON value types, the serialized-object shape
 * (`{module, class_name, config, registered_name, ...}`), the error every refusal raises, and a
 * reader of one `config` that knows which keys were used and refuses the ones nobody read.
 */
import { ValueError } from '../errors';

/** A value as `JSON.parse` produces it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

/** A JSON object; a missing key reads as undefined. */
export type JsonObject = { readonly [key: string]: JsonValue | undefined };

/**
 * A Keras JSON document or fragment that this package cannot map: an unsupported class, an
 * option that would change the math, or a malformed value. The message names the class and key.
 */
export class KerasJsonError extends ValueError {
  constructor(message: string) {
    super(message);
    this.name = 'KerasJsonError';
  }
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isJsonArray(value: unknown): value is JsonValue[] {
  return Array.isArray(value);
}

/**
 * An error's message. Reads `message` from any object: errors thrown by Node's fs inside jest
 * come from another realm and fail `instanceof Error`.
 */
export function errorMessage(err: unknown): string {
  if (
    typeof err === 'object' &&
    err !== null &&
    'message' in err &&
    typeof err.message === 'string'
  ) {
    return err.message;
  }
  return String(err);
}

/** A short rendering of a JSON value for messages. */
export function show(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A serialized Keras object: `{class_name, config, module?, registered_name?, ...}`. */
export interface KerasObject {
  readonly className: string;
  readonly config: JsonObject;
  /** The whole serialized object, for keys outside `config` (`name`, `inbound_nodes`, ...). */
  readonly raw: JsonObject;
}

/**
 * Reads `{class_name, config}` and refuses custom classes: a `module` outside Keras, or a
 * `registered_name` other than the class name (a `@register_keras_serializable` class).
 */
export function kerasObject(where: string, value: unknown): KerasObject {
  if (!isJsonObject(value)) {
    throw new KerasJsonError(
      `${where}: expected a Keras object {"class_name": ..., "config": {...}}, received ${show(value)}.`,
    );
  }
  const className = value.class_name;
  if (typeof className !== 'string' || className === '') {
    throw new KerasJsonError(
      `${where}: expected a string \`class_name\`, received ${show(className)}.`,
    );
  }
  const config = value.config ?? {};
  if (!isJsonObject(config)) {
    throw new KerasJsonError(
      `${where}: ${className}: expected \`config\` to be an object, received ${show(config)}.`,
    );
  }
  const module = value.module;
  if (typeof module === 'string' && !isKerasModule(module)) {
    throw new KerasJsonError(
      `${where}: ${className} from module '${module}' is a custom class, not a Keras one; it is not supported.`,
    );
  }
  const registered = value.registered_name;
  if (typeof registered === 'string' && registered !== className) {
    throw new KerasJsonError(
      `${where}: ${className} is registered as '${registered}', a custom class, not Keras's; it is not supported.`,
    );
  }
  return { className, config, raw: value };
}

/** Keras 3 (`keras.layers`, `keras.src...`), tf-keras (`tf_keras...`) or TensorFlow's copy. */
export function isKerasModule(module: string): boolean {
  return /^(keras|tf_keras|tensorflow)(\.|$)/.test(module);
}

/** Keys whose value is absent, null or false: a feature that is off. */
function isOff(value: JsonValue | undefined): boolean {
  return value === undefined || value === null || value === false;
}

/**
 * One `config` object being mapped. Every key must be read, ignored or refused; `finish()`
 * refuses what is left unless it is null or false (an option that is off).
 */
export class ConfigReader {
  private readonly used = new Set<string>();

  /** `subject` names the class and layer in messages: `SimpleRNN 'simple_rnn'`. */
  constructor(
    readonly subject: string,
    readonly config: JsonObject,
  ) {}

  /** The raw value of `key`, marked as used. */
  get(key: string): JsonValue | undefined {
    this.used.add(key);
    return this.config[key];
  }

  has(key: string): boolean {
    return this.config[key] !== undefined;
  }

  /** Marks keys that never change the math (seeds, `trainable` hints, build information). */
  ignore(...keys: string[]): void {
    for (const key of keys) this.used.add(key);
  }

  /** The error for `key`'s value, naming the class and key. */
  error(key: string, expectation: string): KerasJsonError {
    return new KerasJsonError(
      `${this.subject}: \`${key}\` ${expectation}, received ${show(this.config[key])}.`,
    );
  }

  /** Refuses `key` unless it is absent or `ok(value)`; `why` says what the value would do. */
  refuseUnless(key: string, ok: (value: JsonValue) => boolean, why: string): void {
    const value = this.get(key);
    if (value === undefined || ok(value)) return;
    throw new KerasJsonError(
      `${this.subject}: \`${key}: ${show(value)}\` is not supported (${why}).`,
    );
  }

  /** Refuses `key` unless it is absent, null or false. */
  refuseIfSet(key: string, why: string): void {
    this.refuseUnless(key, (v) => v === null || v === false, why);
  }

  /** A finite number; `fallback` (when given) for an absent or null value. */
  number(key: string, fallback?: number): number {
    const value = this.get(key);
    if ((value === undefined || value === null) && fallback !== undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw this.error(key, 'must be a number');
    }
    return value;
  }

  /** A positive integer (`units`, `input_dim`, ...). */
  positiveInteger(key: string): number {
    const value = this.get(key);
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw this.error(key, 'must be a positive integer');
    }
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.get(key);
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'boolean') throw this.error(key, 'must be true or false');
    return value;
  }

  optionalString(key: string): string | undefined {
    const value = this.get(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw this.error(key, 'must be a string');
    return value;
  }

  /** Refuses every key that was not read and is set to something other than null or false. */
  finish(): void {
    for (const [key, value] of Object.entries(this.config)) {
      if (this.used.has(key) || isOff(value)) continue;
      throw new KerasJsonError(
        `${this.subject}: unknown config key \`${key}: ${show(value)}\`; it may change the math, so it is not supported.`,
      );
    }
  }
}
