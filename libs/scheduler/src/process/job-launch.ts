import { shellQuote } from './shell-quote';

/**
 * Runs inside the job's pseudo-terminal: runs the job, then records its exit status to a file, so
 * the real code survives even when the server is down at the moment the job ends.
 */
const SHIM = `exitfile=$1; shift; "$@"; code=$?; printf '%s\\n' "$code" > "$exitfile.tmp" && mv -f "$exitfile.tmp" "$exitfile"; exit $code`;

/**
 * argv for util-linux `script`: a pseudo-terminal (so progress bars and colours work) whose output
 * `script` writes to its stdout, which the launcher points at the job's .tty file. `-e` returns
 * the child's exit code; `-f` flushes after each write so followers see output at once.
 */
export function scriptArgv(jobArgv: readonly string[], exitFile: string): string[] {
  const inner = ['exec', '/bin/sh', '-c', SHIM, 'trainyard-shim', exitFile, ...jobArgv].map((a, i) =>
    i === 0 ? a : shellQuote(a),
  );
  return ['-q', '-f', '-e', '-c', inner.join(' '), '/dev/null'];
}

/** 128+N for signal N, as a shell reports it. */
export function exitCodeFromSignal(signal: NodeJS.Signals): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGKILL: 9,
    SIGTERM: 15,
  };
  return 128 + (numbers[signal] ?? 0);
}

export function describeExit(code: number): string {
  if (code > 128 && code < 160)
    return `killed by signal ${code - 128}${code === 137 ? ' (SIGKILL)' : code === 143 ? ' (SIGTERM)' : ''}`;
  return `exited with code ${code}`;
}
