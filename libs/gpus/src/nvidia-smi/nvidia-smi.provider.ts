import { spawn } from 'node:child_process';
import type {
  GpuProcess,
  GpuProvider,
  GpuProviderState,
  GpuSnapshot,
  GpuTelemetry,
  MigDevice,
} from '../gpu.types';
import {
  COMPUTE_APPS_FIELDS,
  isMigEnabled,
  parseComputeApps,
  parseListGpus,
  parseQueryGpu,
  QUERY_GPU_FIELDS,
} from './nvidia-smi-parser';

export const QUERY_GPU_ARGS: readonly string[] = [
  `--query-gpu=${QUERY_GPU_FIELDS.join(',')}`,
  '--format=csv,noheader,nounits',
];
export const COMPUTE_APPS_ARGS: readonly string[] = [
  `--query-compute-apps=${COMPUTE_APPS_FIELDS.join(',')}`,
  '--format=csv,noheader,nounits',
];

/** Lists GPUs with their MIG devices; asked only when some GPU is in MIG mode. */
export const LIST_GPUS_ARGS: readonly string[] = ['-L'];

export const DEFAULT_NVIDIA_SMI_TIMEOUT_MS = 5000;

export interface NvidiaSmiProviderOptions {
  /** Path (or name on PATH) of nvidia-smi. */
  binary: string;
  /** Per invocation; a hung nvidia-smi (wedged driver) is killed with its whole process group. */
  timeoutMs?: number;
  /** Environment for the child; inherits this process's when omitted. */
  env?: NodeJS.ProcessEnv;
}

type RunOutcome =
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }
  | { kind: 'spawn_failed'; error: NodeJS.ErrnoException }
  | { kind: 'timed_out' };

/** What a run means: stdout to parse, or the snapshot state it forces. */
type Answer = { ok: true; stdout: string } | { ok: false; state: GpuProviderState; message: string };

// nvidia-smi answers in a few KiB; the cap only guards memory against a runaway binary.
const MAX_CAPTURE_BYTES = 1024 * 1024;
// After the group kill, how long to wait for the pipes to close (i.e. for every holder to die)
// before giving up on them; a grandchild that left the group could hold them forever.
const KILL_GRACE_MS = 1000;
const MAX_MESSAGE_CHARS = 500;
const MAX_WARNINGS_IN_MESSAGE = 5;

export class NvidiaSmiProvider implements GpuProvider {
  readonly kind = 'nvidia-smi' as const;
  private readonly binary: string;
  private readonly timeoutMs: number;
  private readonly env: NodeJS.ProcessEnv | undefined;
  // A monitor polling every few seconds must not stack up nvidia-smi processes behind a slow one.
  private inFlight: Promise<GpuSnapshot> | null = null;

  constructor(options: NvidiaSmiProviderOptions) {
    if (options.binary.length === 0) throw new RangeError('NvidiaSmiProvider: binary must not be empty');
    const timeoutMs = options.timeoutMs ?? DEFAULT_NVIDIA_SMI_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(`NvidiaSmiProvider: timeoutMs must be a positive number, got ${timeoutMs}`);
    }
    this.binary = options.binary;
    this.timeoutMs = timeoutMs;
    this.env = options.env;
  }

  /** Concurrent calls share one run. Never rejects. */
  snapshot(): Promise<GpuSnapshot> {
    this.inFlight ??= this.collect()
      .catch((error: unknown) => this.result('error', `GPU snapshot failed: ${String(error)}`))
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }

  private async collect(): Promise<GpuSnapshot> {
    // Both queries at once: the snapshot takes one nvidia-smi round trip, not two.
    const [gpuRun, appsRun] = await Promise.all([this.run(QUERY_GPU_ARGS), this.run(COMPUTE_APPS_ARGS)]);

    const gpuAnswer = this.interpret(gpuRun);
    if (!gpuAnswer.ok) return this.result(gpuAnswer.state, gpuAnswer.message);
    const parsed = parseQueryGpu(gpuAnswer.stdout);
    if (parsed.gpus.length === 0) {
      return parsed.warnings.length === 0
        ? this.result('no_devices', 'nvidia-smi listed no GPUs')
        : this.result('error', `nvidia-smi output had no readable GPU line: ${summarize(parsed.warnings)}`);
    }

    const notes: string[] = [];
    if (parsed.warnings.length > 0) notes.push(summarize(parsed.warnings));
    let processes: GpuProcess[] = [];
    const appsAnswer = this.interpret(appsRun);
    if (appsAnswer.ok) {
      const apps = parseComputeApps(appsAnswer.stdout, parsed.gpus);
      processes = apps.processes;
      if (apps.warnings.length > 0) notes.push(summarize(apps.warnings));
    } else {
      // Telemetry is still worth serving; only the per-process view is lost.
      notes.push(`GPU processes unavailable: ${appsAnswer.message}`);
    }
    const migDevices = await this.migDevices(parsed.gpus, notes);
    return this.result('ok', notes.length > 0 ? notes.join('; ') : null, parsed.gpus, processes, migDevices);
  }

  /** The MIG devices of the GPUs in MIG mode (`nvidia-smi -L`), matched to them by UUID. */
  private async migDevices(gpus: GpuTelemetry[], notes: string[]): Promise<MigDevice[]> {
    const inMig = gpus.filter(isMigEnabled);
    if (inMig.length === 0) return [];
    const answer = this.interpret(await this.run(LIST_GPUS_ARGS));
    if (!answer.ok) {
      // A MIG GPU without its device list offers nothing to place on, which is the safe side.
      notes.push(`MIG devices unavailable: ${answer.message}`);
      return [];
    }
    const listed = parseListGpus(answer.stdout);
    if (listed.warnings.length > 0) notes.push(summarize(listed.warnings));
    const out: MigDevice[] = [];
    for (const gpu of inMig) {
      const match = listed.gpus.find((l) =>
        gpu.uuid !== null ? l.uuid === gpu.uuid : l.index === gpu.index,
      );
      // -L numbers GPUs as --query-gpu does; the UUID is what ties them, the index is re-read from it.
      for (const d of match?.mig_devices ?? []) out.push({ ...d, gpu_index: gpu.index });
    }
    return out;
  }

  private interpret(outcome: RunOutcome): Answer {
    switch (outcome.kind) {
      case 'spawn_failed': {
        const { code } = outcome.error;
        if (code === 'ENOENT') {
          return { ok: false, state: 'binary_missing', message: `nvidia-smi not found at ${this.binary}` };
        }
        if (code === 'EACCES') {
          const message = `nvidia-smi at ${this.binary} is not executable (EACCES)`;
          return { ok: false, state: 'binary_missing', message };
        }
        return { ok: false, state: 'error', message: `cannot run ${this.binary}: ${outcome.error.message}` };
      }
      case 'timed_out': {
        const message = `${this.binary} did not answer within ${this.timeoutMs} ms and was killed`;
        return { ok: false, state: 'timeout', message };
      }
      case 'exited': {
        const text = `${outcome.stderr}\n${outcome.stdout}`.trim();
        const noDevices: Answer = { ok: false, state: 'no_devices', message: 'No devices were found' };
        if (outcome.code === 0) {
          // Some versions say it and still exit 0. Whole-output match: a process could be named so.
          return /^no devices were found$/i.test(text) ? noDevices : { ok: true, stdout: outcome.stdout };
        }
        // Exit 6 is NVML's "not found", sometimes without a word.
        if (/no devices were found/i.test(text) || (outcome.code === 6 && text === '')) return noDevices;
        if (/driver|couldn'?t communicate/i.test(text)) {
          return { ok: false, state: 'no_driver', message: clip(text) };
        }
        const how =
          outcome.code === null ? `was killed by ${outcome.signal}` : `exited with code ${outcome.code}`;
        return { ok: false, state: 'error', message: `nvidia-smi ${how}${text ? `: ${clip(text)}` : ''}` };
      }
    }
  }

  private result(
    state: GpuProviderState,
    message: string | null,
    gpus: GpuTelemetry[] = [],
    processes: GpuProcess[] = [],
    mig_devices: MigDevice[] = [],
  ): GpuSnapshot {
    return { state, message, gpus, processes, mig_devices, collected_at: new Date().toISOString() };
  }

  private run(args: readonly string[]): Promise<RunOutcome> {
    return new Promise<RunOutcome>((resolve) => {
      // detached: own process group, so a timeout can kill nvidia-smi and anything it spawned.
      const child = spawn(this.binary, args, {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Explicitly this process's environment by default (what spawn would take), so the child sees
        // the same `process.env` as the code that configured it (jest gives each test file its own copy).
        env: this.env ?? process.env,
      });
      const stdout = capture(child.stdout);
      const stderr = capture(child.stderr);
      let settled = false;
      let timedOut = false;
      let graceTimer: NodeJS.Timeout | undefined;
      const settle = (outcome: RunOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timeoutTimer);
        clearTimeout(graceTimer);
        resolve(outcome);
      };

      const timeoutTimer = setTimeout(() => {
        timedOut = true;
        if (child.pid !== undefined) killGroup(child.pid);
        // Usually 'close' follows within milliseconds and settles first; resolving on it means
        // the whole group is gone by the time the caller sees 'timeout'.
        graceTimer = setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          settle({ kind: 'timed_out' });
        }, KILL_GRACE_MS);
      }, this.timeoutMs);

      child.once('error', (error: NodeJS.ErrnoException) => {
        // Also emitted when a kill fails, which cannot happen here: we signal the group directly.
        settle({ kind: 'spawn_failed', error });
      });
      child.once('close', (code, signal) => {
        if (timedOut) return settle({ kind: 'timed_out' });
        settle({ kind: 'exited', code, signal, stdout: stdout(), stderr: stderr() });
      });
    });
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone.
  }
}

function capture(stream: NodeJS.ReadableStream): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    if (size >= MAX_CAPTURE_BYTES) return;
    chunks.push(chunk);
    size += chunk.length;
  });
  return () => Buffer.concat(chunks).toString('utf8');
}

function clip(text: string): string {
  const oneLine = text.replace(/\s*\r?\n\s*/g, ' ').trim();
  return oneLine.length > MAX_MESSAGE_CHARS ? `${oneLine.slice(0, MAX_MESSAGE_CHARS - 3)}...` : oneLine;
}

function summarize(warnings: string[]): string {
  const shown = warnings.slice(0, MAX_WARNINGS_IN_MESSAGE).join('; ');
  const more = warnings.length - MAX_WARNINGS_IN_MESSAGE;
  return more > 0 ? `${shown}; and ${more} more` : shown;
}
