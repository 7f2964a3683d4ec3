import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { QueryBus } from '@nestjs/cqrs';
import { Clock } from '@trainyard/core';
import { JobListeners, VERIFIED_TTL_MS } from './job-listeners';

/** A clock the test moves. */
class TestClock extends Clock {
  t = 1_000_000;
  override monotonic(): number {
    return this.t;
  }
}

/** Another process listening on 127.0.0.1:`port` (not one of the job's). */
async function otherListener(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['-e', `require('net').createServer().listen(${port}, '127.0.0.1', () => console.log('up'))`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await once(child.stdout, 'data');
  return child;
}

describe("JobListeners (real sockets): a job's port checked, its answer reused briefly", () => {
  let server: Server;
  let port: number;
  let other: ChildProcess | null = null;
  const clock = new TestClock();
  let asked = 0;
  // The job's processes: this test process holds its socket.
  const queries = { execute: async () => (asked++, [process.pid]) } as unknown as QueryBus;

  beforeEach(async () => {
    server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
    asked = 0;
  });
  afterEach(async () => {
    if (other && other.exitCode === null) {
      other.kill('SIGKILL');
      await once(other, 'exit');
    }
    other = null;
    if (server.listening) await new Promise((r) => server.close(r));
  });

  async function swapToOther(): Promise<void> {
    await new Promise((r) => server.close(r));
    other = await otherListener(port);
  }

  it('re-reads the socket tables once the answer is older than VERIFIED_TTL_MS, and then refuses a new holder', async () => {
    const listeners = new JobListeners(queries, clock);
    await listeners.assertOwnedBy('q_1', ['127.0.0.1'], port);
    expect(asked).toBe(1);
    await swapToOther();
    clock.t += VERIFIED_TTL_MS - 1;
    await expect(listeners.assertOwnedBy('q_1', ['127.0.0.1'], port)).resolves.toBeUndefined(); // within the TTL
    clock.t += 1;
    await expect(listeners.assertOwnedBy('q_1', ['127.0.0.1'], port)).rejects.toThrow(
      `held by a process that is not the job's (pid ${other!.pid}`,
    );
  });

  it('keeps asking the job for its processes only when a socket is new to it, and forgets at once after a failed connection', async () => {
    const listeners = new JobListeners(queries, clock);
    await listeners.assertOwnedBy('q_1', ['127.0.0.1'], port);
    clock.t += VERIFIED_TTL_MS * 5;
    await listeners.assertOwnedBy('q_1', ['127.0.0.1'], port); // same socket: no new question
    expect(asked).toBe(1);
    await swapToOther();
    listeners.forget('q_1', port);
    await expect(listeners.assertOwnedBy('q_1', ['127.0.0.1'], port)).rejects.toThrow("not the job's");
  });
});
