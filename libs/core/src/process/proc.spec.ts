import { spawn } from 'node:child_process';
import { isProcessAlive, jobProcesses, protectedPids, readStat, signalAll } from './proc';

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe(jobProcesses.name, () => {
  it('finds descendants and re-parented members of their sessions, never this process or its ancestors', async () => {
    // A detached root whose grandchild starts a new session and outlives its parent.
    const sut = spawn('sh', ['-c', 'setsid sh -c "sleep 30" & sleep 30'], {
      detached: true,
      stdio: 'ignore',
    });
    await until(() => jobProcesses(sut.pid!).length >= 3);
    const found = jobProcesses(sut.pid!).map((s) => s.pid);
    expect(found).toContain(sut.pid);
    expect([...protectedPids()].some((pid) => found.includes(pid))).toBe(false);
    const sessions = new Set(jobProcesses(sut.pid!).map((s) => s.sid));
    signalAll([sut.pid!], 'SIGKILL');
    await until(() => !isProcessAlive(sut.pid!));
    // The orphaned setsid child is still found through its session.
    const orphans = jobProcesses(sut.pid!, sessions);
    expect(orphans.length).toBeGreaterThanOrEqual(1);
    signalAll(
      orphans.map((s) => s.pid),
      'SIGKILL',
    );
    await until(() => jobProcesses(sut.pid!, sessions).length === 0);
  });

  it('reads start time so a reused pid is not mistaken for the job', () => {
    const me = readStat(process.pid)!;
    expect(isProcessAlive(process.pid, me.startTime)).toBe(true);
    expect(isProcessAlive(process.pid, `${me.startTime}1`)).toBe(false);
  });
});
