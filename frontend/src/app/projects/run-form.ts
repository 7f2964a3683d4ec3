import type { ParamSpecDto } from '@trainyard/sdk';

export type Scalar = string | number | boolean;

/** A form field's value: text for inputs and selects, a boolean for checkboxes. */
export type FieldValue = string | boolean;

/**
 * The Run dialog's starting values, one per param: the remembered override when there is one,
 * else the config's default, else empty. Selects hold `String(choice)`.
 */
export function initialValues(
  params: readonly ParamSpecDto[],
  remembered: Readonly<Record<string, Scalar>>,
): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const p of params) {
    const value = p.name in remembered ? remembered[p.name] : p.default;
    if (p.type === 'boolean' && !p.choices?.length) out[p.name] = value === true || value === 'true';
    else out[p.name] = value === undefined ? '' : String(value);
  }
  return out;
}

/**
 * The form back to `overrides` for POST …/run: every param's value as shown, typed per the schema —
 * a value put back to its default too, since the server fills what is left out from the remembered
 * overrides (it then forgets one equal to its default). An empty field means the default (left out
 * when there is none). Errors are keyed like the server's (`overrides.<name>`).
 */
export function toOverrides(
  params: readonly ParamSpecDto[],
  values: Readonly<Record<string, FieldValue>>,
): { overrides: Record<string, Scalar>; errors: Record<string, string> } {
  const overrides: Record<string, Scalar> = {};
  const errors: Record<string, string> = {};
  for (const p of params) {
    const raw = values[p.name];
    let value: Scalar;
    if (typeof raw === 'boolean') value = raw;
    else if (raw.trim() === '') {
      if (p.default !== undefined) overrides[p.name] = p.default;
      continue;
    } else if (p.choices?.length) {
      const choice = p.choices.find((c) => String(c) === raw);
      if (choice === undefined) {
        errors[`overrides.${p.name}`] = `must be one of ${p.choices.join(', ')}`;
        continue;
      }
      value = choice;
    } else if (p.type === 'integer') {
      if (!/^[-+]?\d+$/.test(raw.trim())) {
        errors[`overrides.${p.name}`] = 'must be an integer';
        continue;
      }
      value = Number(raw);
    } else if (p.type === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n)) {
        errors[`overrides.${p.name}`] = 'must be a number';
        continue;
      }
      value = n;
    } else value = raw;
    overrides[p.name] = value;
  }
  return { overrides, errors };
}
