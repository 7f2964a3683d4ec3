import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cudaVisibleDeviceTokens, holdsNvidiaDevice, pidsUsingGpu, tokenNamesGpu } from './process-env';
import {
  ancestorPids,
  isProcessAlive,
  listPids,
  readParentPid,
  readProcessCommand,
  readProcessEnv,
  readProcessStartTime,
} from '@trainyard/core';

type Running = ChildProcess & { pid: number };

const children: ChildProcess[] = [];
const basePath = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

async function start(env: Record<string, string>, command = 'sleep', args = ['30']): Promise<Running> {
  const child = spawn(command, args, { env: { ...basePath, ...env }, stdio: 'ignore' });
  children.push(child);
  // 'spawn' fires once exec succeeded, so /proc/<pid> already shows the new program and env.
  await once(child, 'spawn');
  return child as Running;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const uptimeSeconds = (): number => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
const parentOf = (pid: number): number | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
};

afterEach(async () => {
  await Promise.all(children.splice(0).map(stop));
});

describe('process-env', () => {
  describe(readProcessEnv.name, () => {
    it('returns the environment the process started with', async () => {
      const env = { CUDA_VISIBLE_DEVICES: '3,GPU-abc', WITH_EQUALS: 'a=b=c', EMPTY: '' };
      const child = await start(env);

      const sut = readProcessEnv(child.pid);

      expect(sut).toEqual({ ...basePath, ...env });
    });

    it('returns null once the process is gone', async () => {
      const child = await start({});
      await stop(child);

      expect(readProcessEnv(child.pid)).toBeNull();
    });
  });

  describe(readProcessStartTime.name, () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'trainyard-proc-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('reads field 22 even when the command name holds spaces and parentheses', async () => {
      // comm is the executable's file name, so a symlink gives the process an awkward one.
      const awkward = join(dir, 'a) b (c');
      symlinkSync('/usr/bin/sleep', awkward);
      const uptimeAtSpawn = uptimeSeconds();
      const child = await start({}, awkward);
      expect(readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim()).toBe('a) b (c');

      const sut = readProcessStartTime(child.pid);

      expect(sut).toMatch(/^\d+$/);
      // Clock ticks since boot; USER_HZ is 100 on Linux.
      expect(Math.abs(Number(sut) / 100 - uptimeAtSpawn)).toBeLessThan(5);
      expect(readProcessStartTime(child.pid)).toBe(sut);
    });

    it('is later for a child than for its parent, and null once gone', async () => {
      const child = await start({});

      const childStart = readProcessStartTime(child.pid);
      const ownStart = readProcessStartTime(process.pid);

      expect(childStart).toMatch(/^\d+$/);
      expect(ownStart).toMatch(/^\d+$/);
      expect(Number(childStart)).toBeGreaterThanOrEqual(Number(ownStart));
      await stop(child);
      expect(readProcessStartTime(child.pid)).toBeNull();
    });
  });

  describe(isProcessAlive.name, () => {
    it('is true for a running process and false once it was reaped', async () => {
      const child = await start({});
      expect(isProcessAlive(child.pid)).toBe(true);

      await stop(child);

      expect(isProcessAlive(child.pid)).toBe(false);
    });

    it('is false for a zombie', async () => {
      // `sleep 0` exits under a parent that became `sleep 30` and never reaps it.
      const parent = await start({}, 'sh', ['-c', 'sleep 0 & exec sleep 30']);
      let zombie = 0;
      await until(() => {
        zombie = listPids().find((pid) => parentOf(pid) === parent.pid) ?? 0;
        return zombie > 0 && readFileSync(`/proc/${zombie}/stat`, 'utf8').includes(') Z ');
      }, 'the zombie');

      expect(isProcessAlive(zombie)).toBe(false);
      expect(isProcessAlive(parent.pid)).toBe(true);
    });
  });

  describe(readProcessCommand.name, () => {
    it('returns argv[0], or null once gone', async () => {
      const child = await start({});

      expect(readProcessCommand(child.pid)).toBe('sleep');
      await stop(child);
      expect(readProcessCommand(child.pid)).toBeNull();
    });
  });

  describe(readParentPid.name, () => {
    it("reads a process's parent, and null once it is gone", async () => {
      const child = await start({});

      expect(readParentPid(child.pid)).toBe(process.pid);
      expect(readParentPid(process.pid)).toBe(process.ppid);
      await stop(child);
      expect(readParentPid(child.pid)).toBeNull();
    });
  });

  describe(ancestorPids.name, () => {
    it('walks the real chain from the parent up to init', async () => {
      const child = await start({});

      const sut = ancestorPids(child.pid);

      expect(sut.slice(0, 2)).toEqual([process.pid, process.ppid]);
      expect(sut.at(-1)).toBe(1);
    });

    it.each<[string, Record<number, number | null>, number[]]>([
      ['stops at pid 0', { 10: 5, 5: 1, 1: 0 }, [5, 1]],
      ['stops where a parent cannot be read', { 10: 5, 5: null }, [5]],
      ['survives a loop', { 10: 5, 5: 7, 7: 5 }, [5, 7]],
      ['never lists the pid itself', { 10: 10 }, []],
    ])('%s', (_label, parents, chain) => {
      expect(ancestorPids(10, (pid) => parents[pid] ?? null)).toEqual(chain);
    });
  });

  describe(holdsNvidiaDevice.name, () => {
    it('is false for a process without NVIDIA device files, null once it is gone', async () => {
      const child = await start({});

      expect(holdsNvidiaDevice(child.pid)).toBe(false);
      await stop(child);
      expect(holdsNvidiaDevice(child.pid)).toBeNull();
    });
  });

  describe(listPids.name, () => {
    it('lists this process and a live child, ascending', async () => {
      const child = await start({});

      const sut = listPids();

      expect(sut).toEqual(expect.arrayContaining([process.pid, child.pid]));
      expect(sut).toEqual([...sut].sort((a, b) => a - b));
      expect(sut.every((pid) => Number.isInteger(pid) && pid > 0)).toBe(true);
    });
  });

  describe(pidsUsingGpu.name, () => {
    it('finds processes by index token, UUID token or UUID prefix, and forgets them once gone', async () => {
      const byIndexAndUuid = await start({ CUDA_VISIBLE_DEVICES: '3,GPU-abc123' });
      const onGpu13 = await start({ CUDA_VISIBLE_DEVICES: '13' });
      const otherVar = await start({ MY_CUDA_VISIBLE_DEVICES: '3' });
      const ours = [byIndexAndUuid.pid, onGpu13.pid, otherVar.pid];
      // Other processes on this host may carry CUDA_VISIBLE_DEVICES; only ours are asserted.
      const mine = (pids: number[]): number[] => pids.filter((pid) => ours.includes(pid));

      expect(mine(pidsUsingGpu(3))).toEqual([byIndexAndUuid.pid]);
      expect(mine(pidsUsingGpu(1))).toEqual([]);
      expect(mine(pidsUsingGpu(13))).toEqual([onGpu13.pid]);
      expect(mine(pidsUsingGpu(5, { uuid: 'GPU-abc12345-0000-4000-8000-000000000000' }))).toEqual([
        byIndexAndUuid.pid,
      ]);
      expect(mine(pidsUsingGpu(5, { uuid: 'GPU-abd12345-0000-4000-8000-000000000000' }))).toEqual([]);
      expect(mine(pidsUsingGpu(3, { uid: process.getuid?.() }))).toEqual([byIndexAndUuid.pid]);
      expect(mine(pidsUsingGpu(3, { uid: 54321 }))).toEqual([]);

      await stop(byIndexAndUuid);

      expect(mine(pidsUsingGpu(3))).toEqual([]);
    });
  });

  describe(cudaVisibleDeviceTokens.name, () => {
    it.each([
      ['', []],
      ['0', ['0']],
      [' 1, 2,,GPU-x ', ['1', '2', 'GPU-x']],
    ])('%j → %j', (value, tokens) => {
      expect(cudaVisibleDeviceTokens(value)).toEqual(tokens);
    });
  });

  describe(tokenNamesGpu.name, () => {
    const uuid = 'GPU-6b1f2c1e-51a4-8d6e-3b3a-0c9a2f1d7e11';
    it.each<[string, number, string | null, boolean]>([
      ['2', 2, null, true],
      ['2', 12, null, false],
      ['02', 2, null, true],
      ['-1', 1, null, false],
      [uuid, 0, uuid, true],
      ['GPU-6B1F', 0, uuid, true],
      ['GPU-', 0, uuid, false],
      ['6b1f2c1e', 0, uuid, false],
      [uuid, 0, null, false],
    ])('%j names GPU %d (uuid %j): %s', (token, index, gpuUuid, expected) => {
      expect(tokenNamesGpu(token, index, gpuUuid)).toBe(expected);
    });
  });
});
