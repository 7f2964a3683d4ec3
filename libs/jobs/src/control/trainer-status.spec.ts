import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DomainError } from '@trainyard/core';
import { callTrainer, MAX_TRAINER_ANSWER_BYTES } from './trainer-control';
import { readTrainerStatus } from './trainer-status';

describe(readTrainerStatus.name, () => {
  it('keeps the known fields, under their alias names too, and drops everything else', () => {
    expect(
      readTrainerStatus({
        global_step: 120,
        max_steps: 1000,
        epoch: 1.5,
        loss: 2.25,
        learning_rate: 3e-4,
        grad_norm: 0.8,
        tokens_per_second: 15000,
        peak_memory_bytes: 2 ** 34,
        state: 'training',
        nested: { loss: 1 },
      }),
    ).toEqual({
      step: 120,
      max_steps: 1000,
      epoch: 1.5,
      loss: 2.25,
      lr: 3e-4,
      grad_norm: 0.8,
      tokens_per_s: 15000,
      peak_memory_bytes: 2 ** 34,
    });
  });

  it.each([
    ['a string', { step: '5' }, 'step'],
    ['a fractional step', { step: 1.5 }, 'step'],
    ['a negative step', { step: -1 }, 'step'],
    ['zero max_steps', { max_steps: 0 }, 'max_steps'],
    ['an unsafe integer', { step: 2 ** 60 }, 'step'],
    ['a negative lr', { lr: -0.1 }, 'lr'],
    ['an object', { loss: { value: 1 } }, 'loss'],
    ['an array', { tokens_per_s: [1] }, 'tokens_per_s'],
    ['a boolean', { grad_norm: true }, 'grad_norm'],
  ])('reads %s as null, keeping the rest', (_what, bad, field) => {
    const status = readTrainerStatus({ epoch: 2, ...bad });
    expect(status).toMatchObject({ epoch: 2, [field]: null });
  });

  it('prefers the standard name when both are given, and a negative loss is still a loss', () => {
    expect(readTrainerStatus({ step: 3, global_step: 9, loss: -0.5 })).toMatchObject({ step: 3, loss: -0.5 });
  });

  it.each([[null], ['text'], [[1, 2]], [{}], [{ state: 'training' }], [{ step: 'x' }]])(
    'says nothing for %j (no status at all)',
    (answer) => {
      expect(readTrainerStatus(answer)).toBeNull();
    },
  );
});

describe(`${callTrainer.name} (the trainer is untrusted)`, () => {
  let dir: string;
  let server: Server;
  let body = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trainer-control-'));
    server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(body),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    writeFileSync(join(dir, 'endpoint.json'), JSON.stringify({ host: '127.0.0.1', port }));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an answer over 64 KiB (502) instead of reading it all', async () => {
    body = JSON.stringify({ loss: 1, pad: 'x'.repeat(MAX_TRAINER_ANSWER_BYTES) });
    const err = await callTrainer(dir, 'GET', '/status').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('TRAINER_UNREACHABLE');
    expect((err as DomainError).message).toContain('more than 65536 bytes');
  });

  it("reads Python's bare NaN / Infinity as null instead of losing the whole answer", async () => {
    body = '{"step": 7, "loss": NaN, "grad_norm": Infinity, "lr": -Infinity}';
    const answer = await callTrainer(dir, 'GET', '/status');
    expect(answer).toEqual({ step: 7, loss: null, grad_norm: null, lr: null });
    expect(readTrainerStatus(answer)).toMatchObject({ step: 7, loss: null });
  });
});

describe(`${callTrainer.name} errors say whether the trainer may have the request`, () => {
  const dirs: string[] = [];
  const endpointDir = (port: number) => {
    const dir = mkdtempSync(join(tmpdir(), 'trainer-control-'));
    writeFileSync(join(dir, 'endpoint.json'), JSON.stringify({ host: '127.0.0.1', port }));
    dirs.push(dir);
    return dir;
  };
  const failure = async (dir: string, timeoutMs?: number, code = 'TRAINER_UNREACHABLE') => {
    const err = await callTrainer(dir, 'POST', '/control', { action: 'stop' }, timeoutMs).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe(code);
    return (err as DomainError).message;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('after a timeout (504, not 502: it may be busy, not gone): the trainer got the action and may still act on it', async () => {
    const received: string[] = [];
    // A trainer whose handler takes longer than the timeout (it answers only when closed).
    const hung = createServer((req) => req.on('data', (d: Buffer) => received.push(d.toString())));
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    try {
      const port = (hung.address() as { port: number }).port;
      const message = await failure(endpointDir(port), 200, 'UPSTREAM_TIMEOUT');
      expect(message).toMatch(/did not answer within 0\.2 s; it may still act on the request$/);
      expect(received.join('')).toBe('{"action":"stop"}');
    } finally {
      hung.closeAllConnections();
      await new Promise((resolve) => hung.close(resolve));
    }
  });

  it('refused: the request was not delivered', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await failure(endpointDir(port))).toBe(
      `trainer control endpoint 127.0.0.1:${port} could not be reached (ECONNREFUSED); the request was not delivered`,
    );
  });

  it('a connection cut before the answer: the trainer may have the request', async () => {
    const crashing = createServer((req) => req.socket.destroy());
    await new Promise<void>((resolve) => crashing.listen(0, '127.0.0.1', resolve));
    try {
      const message = await failure(endpointDir((crashing.address() as { port: number }).port));
      expect(message).toMatch(/failed before answering \(.+\); it may have received the request$/);
    } finally {
      await new Promise((resolve) => crashing.close(resolve));
    }
  });
});
