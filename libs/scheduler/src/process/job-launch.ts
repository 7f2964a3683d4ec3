import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { shellQuote } from './shell-quote';

/**
 * The programs the launcher itself runs, as absolute paths resolved once at boot from the server's
 * PATH: nothing a job sets (PATH, SHELL, LD_PRELOAD, IFS, ENV, BASH_ENV...) changes which binaries
 * wrap it or how they behave.
 */
export interface LauncherTools {
  /** util-linux `script`: the job's pseudo-terminal. */
  script: string;
  /** POSIX sh: `script`'s $SHELL and the exit-status shim. */
  sh: string;
  /** coreutils `env`: starts the job's shell with an empty environment (`env -i`). */
  env: string;
  mv: string;
  rm: string;
}

/** Searched after the server's PATH, so a server started with a bare PATH still finds them. */
const FALLBACK_DIRS = ['/usr/local/bin', '/usr/bin', '/bin'];

/** Absolute path of an executable `name` on `path` (then the fallback dirs), or null. */
export function findExecutable(name: string, path: string | undefined): string | null {
  const dirs = [...(path ?? '').split(delimiter).filter((d) => d.startsWith('/')), ...FALLBACK_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not there or not executable: next directory.
    }
  }
  return null;
}

/**
 * Resolves every launcher tool on the server's PATH. Returns the tools, or a one-line reason naming
 * the missing ones (every launch then fails with it; the server itself keeps running).
 */
export function resolveLauncherTools(path: string | undefined): LauncherTools | string {
  const names = { script: 'script', sh: 'sh', env: 'env', mv: 'mv', rm: 'rm' } as const;
  const found: Partial<LauncherTools> = {};
  const missing: string[] = [];
  for (const [key, name] of Object.entries(names) as Array<[keyof LauncherTools, string]>) {
    const at = findExecutable(name, path);
    if (at) found[key] = at;
    else missing.push(name === 'script' ? 'script (util-linux)' : name);
  }
  return missing.length
    ? `cannot launch jobs: ${missing.join(', ')} not found on the server's PATH at boot`
    : (found as LauncherTools);
}

/** Names a POSIX shell can `export`; anything else cannot reach a job through the env file. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The job's environment as a file the job's shell sources (`export NAME='value'` per line). Names a
 * shell cannot export are dropped (they can only come from the server's own environment: job and
 * job-type variables are validated on submit).
 */
export function envFileText(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .filter(([name]) => ENV_NAME_PATTERN.test(name))
    .map(([name, value]) => `export ${name}=${shellQuote(value)}\n`)
    .join('');
}

/**
 * The wrappers' own environment: the server's, with $SHELL pinned (`script` runs `$SHELL -c`) and no
 * CUDA_VISIBLE_DEVICES (a wrapper is not a GPU user, whatever the server was started with).
 */
export function wrapperEnv(
  serverEnv: Readonly<Record<string, string>>,
  tools: LauncherTools,
): Record<string, string> {
  const env: Record<string, string> = { ...serverEnv, SHELL: tools.sh };
  delete env.CUDA_VISIBLE_DEVICES;
  return env;
}

/**
 * Run by the job's shell, started by `env -i` (so with no environment at all): applies the job's
 * environment from fd 3, closes it, then execs the job's argv. argv[0] without a slash is looked up
 * in the job's own PATH, as a shell would (exit 127 "not found" when it is not there).
 */
const JOB_EXEC = '. /dev/fd/3 || exit 126; exec 3<&-; exec "$@"';

/**
 * Runs inside the job's pseudo-terminal with the server's environment: opens the env file as fd 3
 * and removes it at once (it lives for milliseconds, not for the job's lifetime), runs the job, then
 * records its exit status to a file (umask 077: 0600), so the real code survives even when the
 * server is down at the moment the job ends.
 */
function shim(tools: LauncherTools): string {
  const q = shellQuote;
  return [
    'exitfile=$1; envfile=$2; shift 2',
    'exec 3<"$envfile" || exit 126',
    `${q(tools.rm)} -f -- "$envfile"`,
    `${q(tools.env)} -i ${q(tools.sh)} -c ${q(JOB_EXEC)} trainyard-job "$@"`,
    'code=$?',
    'exec 3<&-',
    // Only now: the job itself keeps the server's umask.
    'umask 077',
    `printf '%s\\n' "$code" > "$exitfile.tmp" && ${q(tools.mv)} -f -- "$exitfile.tmp" "$exitfile"`,
    'exit $code',
  ].join('; ');
}

export interface ScriptLaunch {
  /** Absolute path of `script`. */
  command: string;
  args: string[];
}

/**
 * The `script` invocation for one job: a pseudo-terminal (so progress bars and colours work) whose
 * output `script` writes to its stdout, which the launcher points at the job's .tty file. `-e`
 * returns the child's exit code; `-f` flushes after each write so followers see output at once.
 */
export function scriptLaunch(
  tools: LauncherTools,
  jobArgv: readonly string[],
  files: { exitFile: string; envFile: string },
): ScriptLaunch {
  const inner = [
    'exec',
    ...[tools.sh, '-c', shim(tools), 'trainyard-shim', files.exitFile, files.envFile, ...jobArgv].map(
      shellQuote,
    ),
  ];
  return { command: tools.script, args: ['-q', '-f', '-e', '-c', inner.join(' '), '/dev/null'] };
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
  // The job's shell reports a command it cannot find (in the job's PATH) or cannot run this way.
  if (code === 127) return 'exited with code 127 (command not found)';
  if (code === 126) return 'exited with code 126 (command not executable)';
  return `exited with code ${code}`;
}
