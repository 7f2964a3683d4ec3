import { spawn } from 'node:child_process';
import { isAlive, jobProcesses, protectedPids, readStat, signalAll } from './process-tree';
import { shellQuote } from './shell-quote';

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
    await until(() => !isAlive(sut.pid!));
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
    expect(isAlive(process.pid, me.startTime)).toBe(true);
    expect(isAlive(process.pid, `${me.startTime}1`)).toBe(false);
  });
});

describe(shellQuote.name, () => {
  it.each([['plain'], ["it's"], ['$(rm -rf /)'], ['a b\nc'], ['']])(
    'round-trips %j through sh',
    async (arg) => {
      const child = spawn('sh', ['-c', `printf %s ${shellQuote(arg)}`]);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise((r) => child.on('close', r));
      expect(out).toBe(arg);
    },
  );
});
