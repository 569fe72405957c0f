import { describe, expect, it } from '@jest/globals';
import * as path from 'node:path';
import { UsageError } from '../../bench/command_line';
import {
  type GridOptions,
  parseGridOptions,
  pictureFiles,
  selectPoints,
} from '../../bench/grid/options';
import { pointLabel } from '../../bench/grid/points';

const ROOT = '/repo';

function parsed(argv: string[]): GridOptions {
  const options = parseGridOptions(argv, ROOT);
  if (options === 'help') throw new Error('expected options, received help');
  return options;
}

describe('parseGridOptions', () => {
  it('defaults to the reduced grid, 3 rounds, bench/grid.json', () => {
    const options = parsed([]);
    expect(options).toMatchObject({
      full: false,
      rounds: 3,
      limit: null,
      match: [],
      planOnly: false,
      redraw: false,
      out: path.join(ROOT, 'bench', 'grid.json'),
    });
    expect(selectPoints(options)).toHaveLength(50);
  });

  it('takes --full, --rounds, --limit, --plan, --redraw and --out, with = or a space', () => {
    const options = parsed(['--full', '--rounds=5', '--limit', '4', '--plan', '--out', 'x/g.json']);
    expect(options).toMatchObject({ full: true, rounds: 5, limit: 4, planOnly: true });
    expect(options.out).toBe(path.resolve('x/g.json'));
    expect(selectPoints(options)).toHaveLength(4);
    expect(parsed(['--redraw']).redraw).toBe(true);
  });

  it('selects the points whose label contains any --match text', () => {
    const options = parsed(['--match', 'LSTM(256)', '--match=tagger']);
    const labels = selectPoints(options).map(pointLabel);
    expect(labels).toHaveLength(8 + 1);
    expect(labels.every((l) => l.startsWith('LSTM(256)') || l.startsWith('tagger'))).toBe(true);
    expect(selectPoints(parsed(['--full', '--match', 'LSTM(512)']))).toHaveLength(12);
  });

  it('returns help for --help and -h', () => {
    expect(parseGridOptions(['--help'], ROOT)).toBe('help');
    expect(parseGridOptions(['--full', '-h'], ROOT)).toBe('help');
  });

  it.each([
    [['--rounds', '2'], /--rounds: expected an integer >= 3, received 2/],
    [['--rounds'], /--rounds: expected an integer >= 3, received nothing/],
    [['--limit', '0'], /--limit: expected an integer >= 1, received 0/],
    [['--limit', 'many'], /--limit: expected an integer >= 1, received many/],
    [['--out', 'grid.txt'], /--out: expected a file name ending in \.json/],
    [['--match', ''], /--match: expected a text/],
    [['--match', 'LSTM(1024)'], /--match: no point's label contains 'LSTM\(1024\)'/],
    [['--bogus'], /unknown argument '--bogus'/],
    [['full'], /unknown argument 'full'/],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseGridOptions(argv, ROOT)).toThrow(UsageError);
    expect(() => parseGridOptions(argv, ROOT)).toThrow(message);
  });
});

describe('pictureFiles', () => {
  it('puts the heat map beside the results, with the same name', () => {
    expect(pictureFiles('/a/bench/grid.json')).toEqual({
      svg: '/a/bench/grid.svg',
      png: '/a/bench/grid.png',
    });
  });
});
