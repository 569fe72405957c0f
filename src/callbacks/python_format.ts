/**
 * Python's `str.format` for a callback's file name template, as Keras's ModelCheckpoint fills
 * it (`"ckpt-{epoch:02d}-{val_loss:.2f}.keras"`): `{name}` and `{name:spec}` with `{{` and `}}`
 * for braces. The specs Keras's examples use are built: a zero flag and a width, a precision,
 * and the types `d`, `f`, `e` and `%`; any other spec is refused by name.
 *
 * Porting note: `{name}` without a spec prints a number as JavaScript does, which differs from
 * Python's `str` for floats below 1e-4 (`1e-05` there, `0.00001` here).
 */
import { ValueError } from '../errors';
import { logValue } from './callback_args';

const SPEC = /^(0?)(\d*)(?:\.(\d+))?([dfe%]?)$/;

/** Python's exponent, at least two digits: `1.5e-5` -> `1.5e-05`. */
function pythonExponent(text: string): string {
  return text.replace(/e([+-])(\d)$/, 'e$10$2');
}

/**
 * A number as Python's `repr` of a float writes it: the same shortest digits as JavaScript,
 * an exponent below 1e-4 and from 1e16 (`1e-05`, `1.5e+16`), `.0` on whole numbers.
 */
export function pythonFloat(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    return pythonExponent(value.toExponential());
  }
  return Number.isInteger(value) ? `${value}.0` : String(value);
}

function formatNumber(subject: string, template: string, value: number, spec: string): string {
  const match = SPEC.exec(spec);
  if (match === null) {
    throw new ValueError(
      `${subject}: cannot fill '${template}': the format spec ':${spec}' is not supported here; use a width and zero flag (02d), a precision (.4f, .2e) or %.`,
    );
  }
  const [, zero, width, precision, type] = match as (string | undefined)[];
  const digits = precision === undefined ? 6 : Number(precision);
  let text: string;
  if (type === 'd') {
    if (!Number.isInteger(value)) {
      throw new ValueError(
        `${subject}: cannot fill '${template}': ':${spec}' needs an integer, received ${value}.`,
      );
    }
    text = String(value);
  } else if (type === 'f') {
    text = value.toFixed(digits);
  } else if (type === 'e') {
    text = pythonExponent(value.toExponential(digits));
  } else if (type === '%') {
    text = `${(value * 100).toFixed(digits)}%`;
  } else if (precision === undefined) {
    text = String(value);
  } else {
    throw new ValueError(
      `${subject}: cannot fill '${template}': ':${spec}' (a precision without a type) is not supported here; add f or e.`,
    );
  }
  const size = width === undefined || width === '' ? 0 : Number(width);
  if (text.length >= size) return text;
  if (zero !== '0') return text.padStart(size, ' ');
  const sign = text.startsWith('-') ? '-' : '';
  return sign + text.slice(sign.length).padStart(size - sign.length, '0');
}

/** `template` with each `{name[:spec]}` filled from `values`; an unknown name is an error. */
export function pythonFormat(
  subject: string,
  template: string,
  values: Readonly<Record<string, number>>,
): string {
  return template.replace(
    /\{\{|\}\}|\{([^{}:]*)(?::([^{}]*))?\}/g,
    (whole, name?: string, spec?: string) => {
      if (whole === '{{') return '{';
      if (whole === '}}') return '}';
      const key = name ?? '';
      const value = logValue(values, key);
      if (value === undefined) {
        throw new ValueError(
          `${subject}: failed to fill the file path '${template}': no '${key}' (available: ${Object.keys(values).join(', ')}).`,
        );
      }
      return formatNumber(subject, template, value, spec ?? '');
    },
  );
}
