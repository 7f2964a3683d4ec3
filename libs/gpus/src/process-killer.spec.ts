import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { isProcessAlive, listPids, readParentPid, protectedPids } from '@trainyard/core';
import { type KillCandidate, killProcesses } from './process-killer';

type Running = ChildProcess & { pid: number };

const children: ChildProcess[] = [];

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = once(child, 'exit');
    // The shell's own children die with their process group.
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
  }
});

const free = (...pids: number[]): KillCandidate[] => pids.map((pid) => ({ pid, refuse: null }));

describe(killProcesses.name, () => {
  it('kills a real process but never the server pid or its ancestors', async () => {
    // shell ─┬─ sleep A  (plays the server)
    //        └─ sleep B
    const shell = spawn('bash', ['-c', 'sleep 60 & sleep 60 & wait'], {
      stdio: 'ignore',
      detached: true,
    }) as Running;
    children.push(shell);
    await once(shell, 'spawn');
    const [serverPid, otherPid] = await until(() => {
      const sleeps = listPids().filter((pid) => readParentPid(pid) === shell.pid);
      return sleeps.length === 2 ? sleeps : undefined;
    }, 'both sleeps');

    const sut = await killProcesses(free(shell.pid, serverPid, otherPid, process.pid), {
      selfPid: serverPid,
    });

    expect(sut.pids).toEqual([shell.pid, serverPid, otherPid, process.pid].sort((a, b) => a - b));
    expect(sut.killed).toEqual([otherPid]);
    expect(sut.failed).toEqual(
      [shell.pid, serverPid, process.pid]
        .sort((a, b) => a - b)
        .map((pid) => ({ pid, reason: expect.stringMatching(/server or one of its ancestors/) })),
    );
    expect(isProcessAlive(otherPid)).toBe(false);
    expect(isProcessAlive(serverPid)).toBe(true);
    expect(isProcessAlive(shell.pid)).toBe(true);
  });

  it('reports what it could not kill, with the reason', async () => {
    const signalled: number[] = [];
    const errno = (code: string) => Object.assign(new Error(code), { code });
    const signal = (pid: number): void => {
      if (pid === 20) throw errno('ESRCH');
      if (pid === 30) throw errno('EPERM');
      signalled.push(pid);
    };
    const alive = new Set([40, 50]);

    const sut = await killProcesses(
      [
        ...free(20, 30, 40, 50, 1),
        { pid: 60, refuse: 'not verifiably a GPU process' },
        // Found twice: the refusal wins.
        { pid: 70, refuse: null },
        { pid: 70, refuse: 'had already exited' },
      ],
      {
        selfPid: 999_999,
        parentOf: () => null,
        signal,
        isAlive: (pid) => alive.has(pid) && pid === 50,
        exitWaitMs: 60,
      },
    );

    expect(signalled).toEqual([40, 50]);
    expect(sut.pids).toEqual([1, 20, 30, 40, 50, 60, 70]);
    expect(sut.killed).toEqual([40]);
    expect(sut.failed).toEqual([
      { pid: 1, reason: expect.stringMatching(/never killed/) },
      { pid: 20, reason: 'had already exited' },
      { pid: 30, reason: expect.stringMatching(/not permitted/) },
      { pid: 50, reason: expect.stringMatching(/still alive 0.06 s after SIGKILL/) },
      { pid: 60, reason: 'not verifiably a GPU process' },
      { pid: 70, reason: 'had already exited' },
    ]);
  });

  it('does nothing without candidates', async () => {
    expect(await killProcesses([])).toEqual({ pids: [], killed: [], failed: [] });
  });
});

describe(protectedPids.name, () => {
  it('holds this process and its whole parent chain', () => {
    const sut = protectedPids();

    expect(sut.has(process.pid)).toBe(true);
    expect(sut.has(process.ppid)).toBe(true);
    expect(sut.has(1)).toBe(true);
  });
});
