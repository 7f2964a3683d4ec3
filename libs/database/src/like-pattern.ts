/** `value` as a LIKE pattern that matches it literally anywhere (with `ESCAPE '\'`). */
export function containsPattern(value: string): string {
  return `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
