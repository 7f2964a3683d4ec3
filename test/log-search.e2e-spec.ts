import { stripVTControlCharacters } from 'node:util';
import { jobsApi } from './support/api';
import { InProcessServer, startInProcessServer } from './support/in-process-server';

/**
 * A 120,000-line log (more than the console's terminal keeps): line reads by number or byte
 * offset, and a search through all of it on the server — ANSI escapes stripped, invalid UTF-8 as
 * U+FFFD, bounded results — with 400s that name the field.
 */
describe('job log range reads and search (e2e, in-process server)', () => {
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;
  let id: string;
  const LINES = 120_000;

  beforeAll(async () => {
    server = await startInProcessServer();
    api = jobsApi(server.baseUrl, server.token);
    // Line 5 carries colour codes in the middle of the word searched for; line 7 has a stray 0xff;
    // line 9 is a progress bar redrawn 2,000 times with \r (~100,000 characters), then an error.
    const script =
      `for (i = 1; i <= ${LINES}; i++) {` +
      ` if (i == 5) printf "needle-\\033[31mfive\\033[0m here\\n";` +
      ` else if (i == 7) printf "bad \\377 byte\\n";` +
      ` else if (i == 9) { for (j = 1; j <= 2000; j++) printf "\\r%d/2000 [%s]", j, "${'#'.repeat(40)}";` +
      ` printf "\\rRuntimeError: CUDA out of memory\\n" }` +
      ` else printf "line %d \\033[3%dmok\\033[0m\\n", i, i % 8 }`;
    const { body } = await api.command(['awk', `BEGIN { ${script} }`]);
    id = body.queue_id;
    await api.waitStatus(id, ['done'], 30_000);
  }, 60_000);
  afterAll(() => server.close(true));

  const get = (path: string) => api.call('GET', `/api/jobs/${id}${path}`);

  it('finds a line from the top of the log, colours stripped, with its line number and offset', async () => {
    const { status, body } = await get('/log/search?q=needle-five');
    expect(status).toBe(200);
    expect(body).toMatchObject({ truncated: false, timed_out: false, scanned_lines: LINES });
    expect(body.matches).toEqual([
      { line: 5, offset: expect.any(Number), text: 'needle-five here', column: 0 },
    ]);
    // The offset is where line 5 starts: a range read from there begins with it.
    const at = await get(`/log?offset=${body.matches[0].offset}&lines=1`);
    expect(at.headers.get('x-trainyard-log-line')).toBe('5');
    expect(at.text.startsWith('needle-\x1b[31mfive')).toBe(true);
  });

  it('searches case-insensitively by default, by regex on request, and bounds the result count', async () => {
    expect((await get('/log/search?q=NEEDLE')).body.matches).toHaveLength(1);
    expect((await get('/log/search?q=NEEDLE&case_sensitive=true')).body.matches).toHaveLength(0);
    const regex = await get(`/log/search?q=${encodeURIComponent('^line 1199(98|99) ok$')}&regex=true`);
    expect(regex.body.matches.map((m: { line: number }) => m.line)).toEqual([119_998, 119_999]);
    // A plain query is literal: "." is no wildcard.
    expect((await get('/log/search?q=line.1')).body.matches).toHaveLength(0);
    const many = await get('/log/search?q=ok&limit=10');
    expect(many.body).toMatchObject({ truncated: true });
    expect(many.body.matches.map((m: { line: number }) => m.line)).toEqual([
      1, 2, 3, 4, 6, 8, 10, 11, 12, 13,
    ]);
  });

  it('shows an invalid byte as U+FFFD in search results', async () => {
    const { body } = await get('/log/search?q=bad');
    expect(body.matches).toEqual([
      { line: 7, offset: expect.any(Number), text: 'bad \ufffd byte', column: 0 },
    ]);
  });

  it('finds an error printed after a long \\r progress bar on the same line, and returns the part around it', async () => {
    const { body } = await get('/log/search?q=cuda%20out%20of%20memory');
    expect(body).toMatchObject({ truncated: false, timed_out: false, lines_cut: 0 });
    expect(body.matches).toHaveLength(1);
    const [match] = body.matches;
    expect(match.line).toBe(9);
    expect(match.column).toBeGreaterThan(90_000);
    expect(match.text).toMatch(/2000 \[#+\]\rRuntimeError: CUDA out of memory$/);
  });

  it('reads lines by number: any part of the log, with where it lies', async () => {
    const first = await get('/log?line=1&lines=3');
    expect(first.status).toBe(200);
    expect(stripVTControlCharacters(first.text).split(/\r?\n/)).toEqual([
      'line 1 ok',
      'line 2 ok',
      'line 3 ok',
      '',
    ]);
    expect(first.headers.get('x-trainyard-log-line')).toBe('1');
    expect(first.headers.get('x-trainyard-log-offset')).toBe('0');
    expect(first.headers.get('x-trainyard-log-lines')).toBe('3');
    const end = Number(first.headers.get('x-trainyard-log-end'));
    expect(end).toBe(Buffer.byteLength(first.text));
    // The next read continues exactly where this one ended.
    const next = await get(`/log?offset=${end}&lines=1`);
    expect(next.headers.get('x-trainyard-log-line')).toBe('4');
    expect(next.text).toMatch(/^line 4 /);

    const middle = await get('/log?line=70000&lines=50000');
    expect(middle.headers.get('x-trainyard-log-lines')).toBe('50000');
    expect(middle.text).toMatch(/^line 70000 /);
    expect(middle.text.trimEnd().split('\n').at(-1)).toMatch(/^line 119999 /);

    const size = Number(middle.headers.get('x-trainyard-log-size'));
    const past = await get(`/log?line=${LINES + 10}`);
    expect(past.text).toBe('');
    expect(past.headers.get('x-trainyard-log-line')).toBe(String(LINES + 1));
    expect(past.headers.get('x-trainyard-log-offset')).toBe(String(size));
    // lines=0: only which line a byte offset is in (how a viewer numbers a stream that starts late).
    const count = await get(`/log?offset=${size}&lines=0`);
    expect(count.text).toBe('');
    expect(count.headers.get('x-trainyard-log-line')).toBe(String(LINES + 1));
    // The last lines, as `tail -n` counts them (`trainyard job tail -n`).
    const last = await get('/log?last=2');
    expect(stripVTControlCharacters(last.text).trimEnd().split(/\r?\n/)).toEqual([
      `line ${LINES - 1} ok`,
      `line ${LINES} ok`,
    ]);
    expect(last.headers.get('x-trainyard-log-line')).toBe(String(LINES - 1));
    expect(Number(last.headers.get('x-trainyard-log-end'))).toBe(size);
  });

  it('refuses bad parameters with a 400 naming the field', async () => {
    const cases: [string, string][] = [
      ['/log/search', 'q'],
      ['/log/search?q=', 'q'],
      ['/log/search?q=(&regex=true', 'q'],
      ['/log/search?q=x&regex=yes', 'regex'],
      ['/log/search?q=x&case_sensitive=1', 'case_sensitive'],
      ['/log/search?q=x&limit=0', 'limit'],
      ['/log/search?q=x&limit=1001', 'limit'],
      ['/log/search?q=x&limit=1e2', 'limit'],
      ['/log?line=0', 'line'],
      ['/log?line=-1', 'line'],
      ['/log?offset=abc', 'offset'],
      ['/log?lines=50001', 'lines'],
      ['/log?line=2&offset=0', 'offset'],
      ['/log?line=2&last=1', 'last'],
      ['/log?last=-1', 'last'],
      ['/log?bogus=1', 'bogus'],
    ];
    for (const [path, field] of cases) {
      const { status, text } = await get(path);
      expect({ path, status }).toEqual({ path, status: 400 });
      expect({ path, names: text.includes(field) }).toEqual({ path, names: true });
    }
    expect((await api.call('GET', '/api/jobs/q_1700000000000_deadbeef/log/search?q=x')).status).toBe(404);
    expect((await api.call('GET', '/api/jobs/q_1700000000000_deadbeef/log')).status).toBe(404);
  });
});
