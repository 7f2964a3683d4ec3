import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The built CLI (`npx nest build cli`; `npm test` builds first), as a user runs it. */
export const CLI_BIN = join(__dirname, '..', '..', 'bin', 'trainyard.js');

/** What a CLI run printed and how it exited. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A CLI run still going: what it has printed so far, and how it ends. */
export interface RunningCli {
  stdout(): string;
  stderr(): string;
  exited: Promise<CliRun>;
}

/**
 * Starts `node bin/trainyard.js ...args` with exactly `env` (nothing inherited: the CLI finds the
 * server and token only as the caller says), in `cwd`, without waiting for it: for a test that acts
 * once the run has printed something. `program` runs `args` as they are instead (a shell that sets
 * the scene, then execs the CLI).
 */
export function startCli(
  args: string[],
  env: Record<string, string>,
  cwd?: string,
  program?: string,
): RunningCli {
  const argv = program ? args : [CLI_BIN, ...args];
  const child = spawn(program ?? process.execPath, argv, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    exited: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))),
  };
}

/** As {@link startCli}; resolves when it exits. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  cwd?: string,
  program?: string,
): Promise<CliRun> {
  return startCli(args, env, cwd, program).exited;
}

/**
 * What a user's shell gives the CLI to reach `server`: PATH, HOME (`home`) and the server's URL and
 * token (none when the server has no auth).
 */
export function cliEnv(
  server: { baseUrl: string; token: string | null },
  home: string,
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    TRAINYARD_SERVER_URL: server.baseUrl,
    ...(server.token !== null && { TRAINYARD_SERVER_TOKEN: server.token }),
  };
}

/** Runs `trainyard --json ...args`, which must succeed (exit 0, nothing on stderr); resolves with what it printed, parsed. */
export async function runCliJson(args: string[], env: Record<string, string>, cwd?: string): Promise<any> {
  const run = await runCli(['--json', ...args], env, cwd);
  expect(run).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(run.stdout);
}
