import { ServerLogger } from './server-logger';

describe(ServerLogger.name, () => {
  it('redacts credentials from every line it prints, stack traces included', () => {
    const written: string[] = [];
    const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const logger = new ServerLogger(false, ['log', 'error', 'warn']);
      const token = 'c'.repeat(64);
      logger.log(`GET /api/jobs?token=${token}`, 'HTTP');
      logger.warn(`Authorization: Bearer ${token}`, 'HTTP');
      logger.error(`request failed`, `Error: at /api/x?token=${token}`, 'HTTP');
      expect(written.join('')).not.toContain(token);
      expect(written.join('')).toContain('token=[redacted]');
      expect(written.join('')).toContain('Bearer [redacted]');
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });

  it('writes ISO 8601 times, and no colour codes unless asked for (a terminal)', () => {
    const written: string[] = [];
    const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    try {
      new ServerLogger(false, ['log'], false).log('plain', 'Jobs');
      new ServerLogger(false, ['log'], true).log('coloured', 'Jobs');
    } finally {
      out.mockRestore();
    }
    const [plain, coloured] = written;
    expect(plain).toMatch(/ \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z /);
    expect(plain).toContain('plain');
    expect(plain).not.toContain('\x1b[');
    expect(coloured).toContain('\x1b[');
  });

  it('logs an error without a stack (Logger#error with a message only) instead of throwing', () => {
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const logger = new ServerLogger(false, ['error']);
      expect(() => logger.error('recording the end failed; retrying', 'Jobs')).not.toThrow();
    } finally {
      err.mockRestore();
      out.mockRestore();
    }
  });
});
