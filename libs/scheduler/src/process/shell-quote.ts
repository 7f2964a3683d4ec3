/** Quotes one argument for /bin/sh so it reaches the program as exactly one argv element. */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}
