/**
 * The options-key mechanism: key tables the compiler keeps equal to their interfaces, the
 * nearest-key suggestion, and the messages of the check.
 */
import { ValueError } from '../src/errors';
import { type KeyTable, OptionKeys, camelCase, nearestKey, optionKeys } from '../src/option_keys';

interface BaseArgs {
  name?: string;
  inputShape?: number[];
}

interface LayerArgs extends BaseArgs {
  units: number;
  returnSequences?: boolean;
  kernelInitializer?: string;
}

const BASE = optionKeys<BaseArgs>(
  { name: true, inputShape: true },
  { inputDim: { hint: 'give `inputShape: [inputDim]` instead' }, units: {} },
);
const LAYER = BASE.extend<LayerArgs>(
  { units: true, returnSequences: true, kernelInitializer: true },
  { stateful: { default: false, hint: 'leave it out, states start at zero' } },
);

describe('key tables equal their interfaces', () => {
  it("lists the keys in declaration order, the extension's before the base's", () => {
    expect(LAYER.known).toEqual([
      'units',
      'returnSequences',
      'kernelInitializer',
      'name',
      'inputShape',
    ]);
  });

  it('a table that misses a key, or has one the interface lacks, does not compile', () => {
    // @ts-expect-error: `inputShape` is missing.
    const missing: KeyTable<BaseArgs> = { name: true };
    // @ts-expect-error: `inputShap` is not a key of BaseArgs.
    const extra: KeyTable<BaseArgs> = { name: true, inputShape: true, inputShap: true };
    // @ts-expect-error: an extension must list exactly the keys its interface adds.
    BASE.extend<LayerArgs>({ units: true, returnSequences: true });
    expect([missing, extra]).toHaveLength(2);
  });

  it('an extension inherits the base not-yet options, less those it implements', () => {
    expect(Object.keys(LAYER.notYet)).toEqual(['inputDim', 'stateful']);
    expect(() => {
      LAYER.check('Layer', { units: 2 });
    }).not.toThrow();
  });

  it('refuses a key declared both known and not yet supported', () => {
    expect(() => new OptionKeys<BaseArgs>({ name: true, inputShape: true }, { name: {} })).toThrow(
      /`name` is declared both known and not yet supported/,
    );
  });
});

describe('camelCase and nearestKey', () => {
  it.each([
    ['kernel_initializer', 'kernelInitializer'],
    ['beta_1', 'beta1'],
    ['return_sequences', 'returnSequences'],
    ['units', 'units'],
    ['__private', 'Private'],
  ])('camelCase(%s) is %s', (key, camel) => {
    expect(camelCase(key)).toBe(camel);
  });

  const known = ['units', 'returnSequences', 'returnState', 'batchSize', 'epochs', 'verbose'];
  it.each<[string, string | undefined]>([
    ['returnSequence', 'returnSequences'],
    ['return_sequences', 'returnSequences'],
    ['ReturnSequences', 'returnSequences'],
    ['retrunState', 'returnState'],
    ['unit', 'units'],
    ['epoch', 'epochs'],
    ['verbos', 'verbose'],
    ['batch', 'batchSize'],
    ['batchsize', 'batchSize'],
    ['foo', undefined],
    ['lr', undefined],
    ['return', undefined],
  ])('nearestKey(%s) is %s', (key, nearest) => {
    expect(nearestKey(key, known)).toBe(nearest);
  });
});

describe('check', () => {
  it.each<[string, unknown]>([
    ['no options', undefined],
    ['an empty object', {}],
    ['known keys', { units: 2, returnSequences: true, name: 'x' }],
    ['a not-yet option left undefined', { units: 2, stateful: undefined }],
    ['a not-yet option at null', { units: 2, inputDim: null }],
    ["a not-yet option at Keras's default", { units: 2, stateful: false }],
    ['a not-yet option at null, in snake_case', { units: 2, input_dim: null }],
  ])('accepts %s', (_what, options) => {
    expect(() => {
      LAYER.check('Layer', options);
    }).not.toThrow();
  });

  it.each<[string, unknown, RegExp]>([
    [
      'an unknown key, listing the known ones',
      { units: 2, foo: 1 },
      /^Layer: unknown option `foo`\. Known options: `units`, `returnSequences`, `kernelInitializer`, `name`, `inputShape`\.$/,
    ],
    [
      'a typo, with the nearest key',
      { units: 2, returnSequence: true },
      /^Layer: unknown option `returnSequence`; did you mean `returnSequences`\? Known options: /,
    ],
    [
      'a snake_case key, with its camelCase name',
      { units: 2, kernel_initializer: 'zeros' },
      /^Layer: unknown option `kernel_initializer`: `kernel_initializer` is `kernelInitializer` here \(options are camelCase\)\. Known options: /,
    ],
    [
      'an unknown key even when its value is undefined',
      { units: 2, returnSequence: undefined },
      /unknown option `returnSequence`/,
    ],
    [
      'a not-yet option that asks for something, without the known list',
      { units: 2, stateful: true },
      /^Layer: `stateful` is not supported yet \(received true\): leave it out, states start at zero\.$/,
    ],
    [
      'a not-yet option in snake_case, with its camelCase name',
      { units: 2, input_dim: 3 },
      /^Layer: `input_dim` \(`inputDim` here\) is not supported yet \(received 3\): give `inputShape: \[inputDim\]` instead\.$/,
    ],
    [
      'every problem at once',
      { foo: 1, stateful: true, return_sequences: true },
      /^Layer: unknown option `foo`\. `stateful` is not supported yet \(received true\): .*\. unknown option `return_sequences`: `return_sequences` is `returnSequences` here .*Known options: /,
    ],
    ['a number for options', 5, /^Layer: expected an options object, received 5\. Known options: /],
    ['null for options', null, /^Layer: expected an options object, received null\./],
    ['a list for options', [1], /^Layer: expected an options object, received \[1\]\./],
  ])('refuses %s', (_what, options, message) => {
    expect(() => {
      LAYER.check('Layer', options);
    }).toThrow(message);
  });

  it('throws a ValueError, naming what the keys are', () => {
    expect(() => {
      LAYER.check("Layer 'x'", { trainng: true }, 'call argument');
    }).toThrow(ValueError);
    expect(() => {
      LAYER.check("Layer 'x'", { trainng: true }, 'call argument');
    }).toThrow(/^Layer 'x': unknown call argument `trainng`\. Known call arguments: /);
  });

  it('shows values that have no JSON by their kind', () => {
    class Tensorish {
      readonly rank = 2;
    }
    expect(() => {
      LAYER.check('Layer', { stateful: new Tensorish() });
    }).toThrow(/received a Tensorish/);
    expect(() => {
      LAYER.check('Layer', { stateful: () => true });
    }).toThrow(/received a function/);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => {
      LAYER.check('Layer', { stateful: cycle });
    }).toThrow(/received an object/);
    expect(() => {
      LAYER.check('Layer', { stateful: Number.NaN });
    }).toThrow(/received NaN/);
  });
});
