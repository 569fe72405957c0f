/**
 * Results written as prettier formats JSON: `npm run lint` runs `prettier --check .`, and the
 * benches' default outputs lie inside the checkout.
 */
import * as prettier from 'prettier';

/** `value` as JSON in prettier's format for `file` (plain 2-space JSON if prettier fails). */
export async function formattedJson(value: unknown, file: string): Promise<string> {
  const text = JSON.stringify(value, null, 2);
  try {
    const config = (await prettier.resolveConfig(file)) ?? {};
    return await prettier.format(text, { ...config, filepath: file, parser: 'json' });
  } catch {
    return `${text}\n`;
  }
}
