import { ArgumentsHost, Logger } from '@nestjs/common';
import { DomainExceptionFilter } from './domain-exception.filter';
import { redactSecrets } from './redact';

const TOKEN = 'a'.repeat(64);

describe(redactSecrets.name, () => {
  it.each([
    [`GET /api/jobs?token=${TOKEN}`, 'GET /api/jobs?token=[redacted]'],
    [`/api/jobs?limit=5&token=${TOKEN}&x=1`, '/api/jobs?limit=5&token=[redacted]&x=1'],
    [`/api/jobs?TOKEN=${TOKEN}`, '/api/jobs?TOKEN=[redacted]'],
    [`authorization: Bearer ${TOKEN}`, 'authorization: Bearer [redacted]'],
    [`cookie: trainyard_session=${TOKEN}; other=1`, 'cookie: trainyard_session=[redacted]; other=1'],
    [`cookie: trainyard_session_8765=${TOKEN}`, 'cookie: trainyard_session_8765=[redacted]'],
    [`login with ut_${'b'.repeat(48)} failed`, 'login with ut_[redacted] failed'],
  ])('%s → %s', (line, expected) => {
    expect(redactSecrets(line)).toBe(expected);
    expect(redactSecrets(line)).not.toContain(TOKEN);
  });

  it('redacts a short bearer credential too, but not the words of a message to a user', () => {
    expect(redactSecrets('Authorization: Bearer abc123')).toBe('Authorization: Bearer [redacted]');
    const advice = 'too many attempts: use the bearer token, which is always accepted';
    expect(redactSecrets(advice)).toBe(advice);
    expect(redactSecrets('the Bearer token is always accepted')).toBe('the Bearer token is always accepted');
  });

  it('leaves ordinary lines alone', () => {
    const line = 'request 7 GET /api/jobs/q_1700000000000_deadbeef?limit=5 failed: tokens=3';
    expect(redactSecrets(line)).toBe(line);
  });
});

describe('DomainExceptionFilter logging', () => {
  it('logs a 5xx without the ?token= of its URL or a token quoted in the error', () => {
    const logged: string[] = [];
    const spy = jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => {
      logged.push(String(message));
    });
    const reply = { header: () => reply, status: () => reply, send: () => reply };
    const host = {
      switchToHttp: () => ({
        getRequest: () => ({ id: 'req-1', method: 'GET', url: `/api/jobs?token=${TOKEN}` }),
        getResponse: () => reply,
      }),
    } as unknown as ArgumentsHost;
    try {
      new DomainExceptionFilter().catch(new Error(`fetch http://x/?token=${TOKEN} failed`), host);
    } finally {
      spy.mockRestore();
    }
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('GET /api/jobs?token=[redacted] failed');
    expect(logged[0]).not.toContain(TOKEN);
  });
});
