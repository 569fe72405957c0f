import {
  Progbar,
  type ProgressStream,
  formatEta,
  formatTimePerUnit,
  formatValue,
  pyExponential,
  pyFixed,
} from '../../src/models/progbar';

/** A stream that records what is written, and a clock the test moves. */
function capture(isTTY: boolean): { stream: ProgressStream; writes: string[] } {
  const writes: string[] = [];
  return { stream: { isTTY, write: (s: string) => writes.push(s) }, writes };
}

function clock(): { now: () => number; set: (ms: number) => void } {
  let t = 0;
  return { now: () => t, set: (ms) => (t = ms) };
}

const BAR = '━'.repeat(20);

describe('progbar: Python number formatting', () => {
  // Each expected string is what Python 3.11 prints, e.g. f"{0.03125:.4f}" == '0.0312'.
  it.each([
    [0.03125, 4, '0.0312'],
    [0.09375, 4, '0.0938'],
    [-0.03125, 4, '-0.0312'],
    [2.5, 0, '2'],
    [3.5, 0, '4'],
    [0.125, 2, '0.12'],
    [123456.5, 0, '123456'],
    [0.1234567, 4, '0.1235'],
    [Number.NaN, 4, 'nan'],
    [Number.POSITIVE_INFINITY, 4, 'inf'],
  ])('pyFixed(%p, %i) is %p', (x, digits, text) => {
    expect(pyFixed(x, digits)).toBe(text);
  });

  it.each([
    [1.2345e-4, '1.2345e-04'],
    [0, '0.0000e+00'],
    [-0.5, '-5.0000e-01'],
    [1e-5, '1.0000e-05'],
  ])('pyExponential(%p, 4) is %p', (x, text) => {
    expect(pyExponential(x, 4)).toBe(text);
  });

  it('shows metric values with 4 decimals, or in scientific notation at 1e-3 and below', () => {
    expect(formatValue(0.1234)).toBe('0.1234');
    expect(formatValue(0.00012345)).toBe('1.2345e-04');
    expect(formatValue(-0.5)).toBe('-0.5000');
    // Keras's verbose-2 line compares the value itself, not its absolute value.
    expect(formatValue(-0.5, false)).toBe('-5.0000e-01');
  });

  it.each([
    [0.003, ' 3ms/step'],
    [1.2, ' 1s/step'],
    [0.0004, ' 400us/step'],
    [0, ' 0s/step'],
  ])('time per step %p is %p', (seconds, text) => {
    expect(formatTimePerUnit(seconds)).toBe(text);
  });

  it.each([
    [45.7, '45s'],
    [125, '2:05'],
    [3723, '1:02:03'],
  ])('ETA %p is %p', (seconds, text) => {
    expect(formatEta(seconds)).toBe(text);
  });
});

/** Runs 32 steps: step 1 at 907 ms, then one every 3 ms, so the epoch ends at 1 s. */
function runEpoch(bar: Progbar, time: ReturnType<typeof clock>): void {
  for (let step = 1; step <= 32; step++) {
    time.set(907 + 3 * (step - 1));
    bar.update(step, { loss: 0.5 - step / 1000 }, false);
  }
  bar.update(32, { loss: 0.1234, val_loss: 0.2345 }, true);
}

describe('progbar: Keras lines', () => {
  it('verbose 1 off a terminal prints only the final line', () => {
    const { stream, writes } = capture(false);
    const time = clock();
    runEpoch(new Progbar({ target: 32, verbose: 1, stream, now: time.now }), time);
    expect(writes).toEqual([`32/32 ${BAR} 1s 3ms/step - loss: 0.1234 - val_loss: 0.2345\n`]);
  });

  it('verbose 1 on a terminal redraws in place with Keras colors, at most every 50 ms', () => {
    const { stream, writes } = capture(true);
    const time = clock();
    runEpoch(new Progbar({ target: 32, verbose: 1, stream, now: time.now }), time);
    // Drawn at steps 1 (ETA 31 x 907 ms), 18 (50 ms later) and at the end.
    expect(writes).toHaveLength(3);
    expect(writes[0]).toBe(
      `\r\x1b[1m 1/32\x1b[0m \x1b[37m${BAR}\x1b[0m \x1b[1m28s\x1b[0m 907ms/step - loss: 0.4990`,
    );
    expect(writes[2]).toBe(
      `\r\x1b[1m32/32\x1b[0m \x1b[32m${BAR}\x1b[0m\x1b[37m\x1b[0m \x1b[1m1s\x1b[0m 3ms/step - loss: 0.1234 - val_loss: 0.2345\n`,
    );
  });

  it('pads a redrawn line that got shorter', () => {
    const { stream, writes } = capture(true);
    const time = clock();
    const bar = new Progbar({ target: 4, verbose: 1, stream, now: time.now, colors: false });
    time.set(1000);
    bar.update(1, { loss: 12.5, accuracy: 0.5 });
    time.set(2000);
    bar.update(2, { loss: 1.5 });
    const first = (writes[0] ?? '').length;
    expect((writes[1] ?? '').length).toBe(first);
    expect(writes[1]).toMatch(/^\r2\/4 ━{10}━{10} 2s 1s\/step - loss: 1\.5000 +$/);
  });

  it('verbose 2 prints one line at the end', () => {
    const { stream, writes } = capture(true);
    const time = clock();
    runEpoch(new Progbar({ target: 32, verbose: 2, stream, now: time.now }), time);
    expect(writes).toEqual(['32/32 - 1s - 3ms/step - loss: 0.1234 - val_loss: 0.2345\n']);
  });
});
