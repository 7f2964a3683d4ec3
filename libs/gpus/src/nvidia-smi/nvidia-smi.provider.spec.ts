import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GpuProviderState } from '../gpu.types';
import { isProcessAlive, listPids, readProcessCommand, readProcessEnv } from '@trainyard/core';
import { COMPUTE_APPS_ARGS, NvidiaSmiProvider, QUERY_GPU_ARGS } from './nvidia-smi.provider';

const FIXTURES = join(__dirname, '../../../../test/fixtures/nvidia-smi');
const REPLAY = join(FIXTURES, 'replay.sh');

const replayEnv = (vars: Record<string, string>): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  ...vars,
});

const replaying = (vars: Record<string, string>, timeoutMs?: number): NvidiaSmiProvider =>
  new NvidiaSmiProvider({ binary: REPLAY, timeoutMs, env: replayEnv(vars) });

/** Live processes started with this marker in their environment. */
const markedProcesses = (marker: string): number[] =>
  listPids().filter((pid) => readProcessEnv(pid)?.TRAINYARD_TEST_MARKER === marker && isProcessAlive(pid));

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe(NvidiaSmiProvider.name, () => {
  it('asks exactly the queries documented beside the recordings', () => {
    const readme = readFileSync(join(FIXTURES, 'README.md'), 'utf8');
    const documented = (query: string): string[] =>
      readme
        .split('\n')
        .find((line) => line.includes(`nvidia-smi ${query}`))!
        .trim()
        .split(/\s+/)
        .slice(1);

    expect(QUERY_GPU_ARGS).toEqual(documented('--query-gpu='));
    expect(COMPUTE_APPS_ARGS).toEqual(documented('--query-compute-apps='));
  });

  it('lists the MIG devices of GPUs in MIG mode (nvidia-smi -L), and asks -L only then', async () => {
    const withMig = await replaying({
      TRAINYARD_SMI_GPU: 'query-gpu-2x-mig',
      TRAINYARD_SMI_APPS: 'compute-apps-idle',
      TRAINYARD_SMI_LIST: 'list-gpus-2x-mig',
    }).snapshot();

    expect(withMig).toMatchObject({ state: 'ok', message: null });
    expect(withMig.mig_devices?.map((d) => [d.gpu_index, d.device_index, d.profile, d.uuid])).toEqual([
      [1, 0, '1g.10gb', 'MIG-1a0c5a8e-7f3b-5c41-9d2e-6b8f0e4c2a11'],
      [1, 1, '1g.10gb', 'MIG-1a0c5a8e-7f3b-5c41-9d2e-6b8f0e4c2a12'],
      [1, 2, '2g.20gb', 'MIG-1a0c5a8e-7f3b-5c41-9d2e-6b8f0e4c2a13'],
    ]);

    // No GPU in MIG mode: -L is never asked (replay.sh would fail without TRAINYARD_SMI_LIST).
    const without = await replaying({
      TRAINYARD_SMI_GPU: 'query-gpu-h100-idle',
      TRAINYARD_SMI_APPS: 'compute-apps-idle',
    }).snapshot();
    expect(without).toMatchObject({ state: 'ok', message: null, mig_devices: [] });

    // -L failing leaves a MIG GPU with no devices to place on, and says why.
    const failing = await replaying({
      TRAINYARD_SMI_GPU: 'query-gpu-2x-mig',
      TRAINYARD_SMI_APPS: 'compute-apps-idle',
    }).snapshot();
    expect(failing.state).toBe('ok');
    expect(failing.mig_devices).toEqual([]);
    expect(failing.message).toMatch(/^MIG devices unavailable: nvidia-smi exited with code 2/);
  });

  it('reports GPUs and their processes', async () => {
    const sut = replaying({
      TRAINYARD_SMI_GPU: 'query-gpu-h100-load',
      TRAINYARD_SMI_APPS: 'compute-apps-h100-busy',
    });

    const snapshot = await sut.snapshot();

    expect(sut.kind).toBe('nvidia-smi');
    expect(snapshot).toMatchObject({ state: 'ok', message: null });
    expect(snapshot.gpus).toHaveLength(1);
    expect(snapshot.gpus[0]).toMatchObject({ index: 0, utilization_gpu: 100, power_draw_w: 631.95 });
    expect(snapshot.processes).toEqual([
      { gpu_index: 0, pid: 11327, process_name: '/root/tools/memhog', used_memory_mib: 2566 },
      { gpu_index: 0, pid: 11328, process_name: '/root/tools/memhog', used_memory_mib: 1542 },
      { gpu_index: 0, pid: 11345, process_name: './gpu_burn', used_memory_mib: 15690 },
    ]);
    expect(new Date(snapshot.collected_at).toISOString()).toBe(snapshot.collected_at);
  });

  it('maps processes to the right one of several GPUs', async () => {
    const sut = replaying({
      TRAINYARD_SMI_GPU: 'query-gpu-2x-mixed',
      TRAINYARD_SMI_APPS: 'edge-compute-apps-commas',
    });

    const snapshot = await sut.snapshot();

    expect(snapshot.state).toBe('ok');
    expect(snapshot.gpus.map((g) => [g.index, g.utilization_gpu])).toEqual([
      [0, 0],
      [1, 87],
    ]);
    expect(snapshot.processes.map((p) => [p.gpu_index, p.pid])).toEqual([
      [0, 4242],
      [1, 4243],
      [1, 4244],
      [1, 4245],
    ]);
  });

  it('keeps the GPUs and says why when processes name GPUs it does not list', async () => {
    const sut = replaying({
      TRAINYARD_SMI_GPU: 'query-gpu-2x-mixed',
      TRAINYARD_SMI_APPS: 'compute-apps-h100-busy',
    });

    const snapshot = await sut.snapshot();

    expect(snapshot.state).toBe('ok');
    expect(snapshot.gpus).toHaveLength(2);
    expect(snapshot.processes).toEqual([]);
    expect(snapshot.message).toMatch(/skipped pid 11327, GPU "GPU-6b1f2c1e-.*" is not in the GPU list/);
  });

  it('keeps the GPUs when only the process query fails', async () => {
    const sut = replaying({
      TRAINYARD_SMI_GPU: 'query-gpu-2x-mixed',
      TRAINYARD_SMI_APPS: 'edge-compute-apps-fail',
    });

    const snapshot = await sut.snapshot();

    expect(snapshot.state).toBe('ok');
    expect(snapshot.gpus).toHaveLength(2);
    expect(snapshot.processes).toEqual([]);
    expect(snapshot.message).toMatch(
      /^GPU processes unavailable: nvidia-smi exited with code 15: .*Unknown Error/,
    );
  });

  it('serves the readable GPUs of a partly broken answer and says what it skipped', async () => {
    const sut = replaying({
      TRAINYARD_SMI_GPU: 'edge-query-gpu-bad-index',
      TRAINYARD_SMI_APPS: 'compute-apps-idle',
    });

    const snapshot = await sut.snapshot();

    expect(snapshot.state).toBe('ok');
    expect(snapshot.gpus.map((g) => g.index)).toEqual([0, 1]);
    expect(snapshot.message).toMatch(
      /^query-gpu line 1: skipped.*; query-gpu line 6: GPU 1 has 4 of 18 columns/,
    );
  });

  it.each<[string, GpuProviderState, RegExp]>([
    ['query-gpu-none', 'no_devices', /^No devices were found$/],
    ['edge-query-gpu-exit6-silent', 'no_devices', /^No devices were found$/],
    [
      'query-gpu-nodriver',
      'no_driver',
      /^NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver/,
    ],
    [
      'edge-query-gpu-driver-mismatch',
      'no_driver',
      /^Failed to initialize NVML: Driver\/library version mismatch/,
    ],
    ['edge-query-gpu-lost', 'error', /^nvidia-smi exited with code 15: Unable to determine .* GPU is lost/],
  ])('%s → %s', async (recording, state, message) => {
    const sut = replaying({ TRAINYARD_SMI_GPU: recording, TRAINYARD_SMI_APPS: 'compute-apps-idle' });

    const snapshot = await sut.snapshot();

    expect(snapshot).toMatchObject({ state, gpus: [], processes: [] });
    expect(snapshot.message).toMatch(message);
  });

  describe('with recordings of its own', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'trainyard-smi-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const record = (name: string, stdout: string, exit?: number): void => {
      writeFileSync(join(dir, `${name}.txt`), stdout);
      if (exit !== undefined) writeFileSync(join(dir, `${name}.exit`), `${exit}\n`);
    };
    const fromDir = (gpu: string): NvidiaSmiProvider =>
      replaying({ TRAINYARD_SMI_FIXTURE_DIR: dir, TRAINYARD_SMI_GPU: gpu, TRAINYARD_SMI_APPS: 'apps' });

    beforeEach(() => record('apps', ''));

    it('reports no_devices when nvidia-smi succeeds with no output', async () => {
      record('empty', '');

      expect(await fromDir('empty').snapshot()).toMatchObject({ state: 'no_devices', gpus: [] });
    });

    it('reports no_devices when nvidia-smi says so and still exits 0', async () => {
      record('said', 'No devices were found\n');

      expect(await fromDir('said').snapshot()).toMatchObject({ state: 'no_devices', gpus: [] });
    });

    it('reports an error when exit 0 comes with nothing readable', async () => {
      record('junk', 'something else entirely\n');

      const snapshot = await fromDir('junk').snapshot();

      expect(snapshot).toMatchObject({ state: 'error', gpus: [] });
      expect(snapshot.message).toMatch(/no readable GPU line: .*"something else entirely"/);
    });

    it('lists the first warnings only', async () => {
      const good = readFileSync(join(FIXTURES, 'query-gpu-h100-idle.txt'), 'utf8');
      record('noisy', `${'junk\n'.repeat(7)}${good}`);

      const snapshot = await fromDir('noisy').snapshot();

      expect(snapshot).toMatchObject({ state: 'ok', gpus: [expect.objectContaining({ index: 0 })] });
      expect(snapshot.message).toMatch(/^query-gpu line 1: skipped.* line 5: skipped[^;]*; and 2 more$/);
    });

    it('reports an error with the output when exit code is unexpected', async () => {
      record('odd', 'Unknown Error\n', 255);

      const snapshot = await fromDir('odd').snapshot();

      expect(snapshot).toMatchObject({
        state: 'error',
        message: 'nvidia-smi exited with code 255: Unknown Error',
      });
    });
  });

  it('reports binary_missing with the path when there is no such file', async () => {
    const missing = join(tmpdir(), `no-such-nvidia-smi-${randomUUID()}`);
    const sut = new NvidiaSmiProvider({ binary: missing });

    const snapshot = await sut.snapshot();

    expect(snapshot).toMatchObject({ state: 'binary_missing', gpus: [], processes: [] });
    expect(snapshot.message).toContain(missing);
  });

  it('reports binary_missing when the file is not executable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trainyard-smi-'));
    const binary = join(dir, 'nvidia-smi');
    writeFileSync(binary, '#!/bin/sh\nexit 0\n');
    chmodSync(binary, 0o644);
    try {
      const snapshot = await new NvidiaSmiProvider({ binary }).snapshot();

      expect(snapshot.state).toBe('binary_missing');
      expect(snapshot.message).toContain(binary);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('times out on a hung nvidia-smi and leaves nothing of it running', async () => {
    const marker = randomUUID();
    const sut = replaying({ TRAINYARD_SMI_HANG: '1', TRAINYARD_TEST_MARKER: marker }, 300);
    const started = Date.now();

    const snapshot = await sut.snapshot();

    expect(snapshot).toMatchObject({ state: 'timeout', gpus: [], processes: [] });
    expect(snapshot.message).toMatch(/did not answer within 300 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(3000);
    await until(() => markedProcesses(marker).length === 0, 'the hung replay to be gone');
  });

  it('kills the sleeping grandchild, not only the script, on timeout', async () => {
    const marker = randomUUID();
    // Long enough for the script to have started its `sleep` before the deadline.
    const sut = replaying({ TRAINYARD_SMI_HANG: '1', TRAINYARD_TEST_MARKER: marker }, 2000);

    const pending = sut.snapshot();
    let sleeping: number[] = [];
    await until(() => {
      sleeping = markedProcesses(marker).filter((pid) => readProcessCommand(pid) === 'sleep');
      return sleeping.length === 2; // one per query
    }, 'both replays to be sleeping');
    const snapshot = await pending;

    expect(snapshot.state).toBe('timeout');
    // A killed process closes its files (which settles snapshot()) a moment before it turns zombie.
    await until(() => !sleeping.some((pid) => isProcessAlive(pid)), 'the sleeping grandchildren to die');
    expect(markedProcesses(marker)).toEqual([]);
  });

  it('shares one run between concurrent callers', async () => {
    const sut = replaying({ TRAINYARD_SMI_GPU: 'query-gpu-l40s', TRAINYARD_SMI_APPS: 'compute-apps-idle' });

    const first = sut.snapshot();
    const second = sut.snapshot();

    expect(second).toBe(first);
    const snapshot = await first;
    expect(snapshot.state).toBe('ok');
    const third = sut.snapshot();
    expect(third).not.toBe(first);
    await third;
  });

  it.each([
    [{ binary: '' }, /binary/],
    [{ binary: REPLAY, timeoutMs: 0 }, /timeoutMs/],
    [{ binary: REPLAY, timeoutMs: Number.NaN }, /timeoutMs/],
  ])('rejects bad options %j', (options, message) => {
    expect(() => new NvidiaSmiProvider(options)).toThrow(message);
  });
});
