/**
 * Running an example's `main`: a bad input or setting prints its message, anything else its
 * stack, and either sets a non-zero exit code.
 */
export function runExample(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof Error && (err.name === 'ValueError' || err.name === 'SettingError')) {
      console.error(`${err.name}: ${err.message}`);
    } else {
      console.error(err);
    }
    process.exitCode = 1;
  });
}
