/** `1 node`, `2 nodes`, `0 nodes`: a count and its noun (`many` when it is not just an added s). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
