/**
 * A YAML parse error (the `yaml` library's) as one line: its message without the source excerpt
 * it appends after "… at line 2, column 1:" — for an answer, a listing or a log line, where the
 * excerpt's lines read as a message cut short.
 */
export function yamlErrorLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0].replace(/:\s*$/, '');
}
