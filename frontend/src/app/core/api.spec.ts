import { TestBed } from '@angular/core/testing';
import { TrainyardApiError, TrainyardConnectionError } from '@trainyard/sdk';
import { ServerReachability, errorMessage } from './api';

describe('errorMessage', () => {
  it.each([
    new TrainyardConnectionError('http://x/api/jobs', new TypeError('fetch failed')),
    new TrainyardApiError(400, 'VALIDATION_FAILED', 'name is too long.'),
    new TrainyardApiError(404, 'JOB_NOT_FOUND', 'Job q_1 not found'),
    new Error('boom.'),
    'not an error',
  ])('reads right inside a sentence (%s)', (err) => {
    const message = errorMessage(err);
    expect(message).not.toBe('');
    // The log pane and live views say `Interrupted: ${message}. Retrying…`.
    expect(`Interrupted: ${message}. Retrying`).not.toMatch(/[.?!]\. Retrying/);
  });
});

describe(ServerReachability.name, () => {
  afterEach(() => vi.unstubAllGlobals());

  it('turns unreachable on a request that gets no answer and back on the next answer', async () => {
    const sut = TestBed.inject(ServerReachability);
    vi.stubGlobal('fetch', vi.fn().mockRejectedValueOnce(new TypeError('Failed to fetch')));
    await expect(sut.fetch('/api/health')).rejects.toThrow('Failed to fetch');
    expect(sut.reachable()).toBe(false);
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(new Response('{}', { status: 200 })));
    await sut.fetch('/api/health');
    expect(sut.reachable()).toBe(true);
  });

  it('does not blame the server for a request its caller aborted', async () => {
    const sut = TestBed.inject(ServerReachability);
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new DOMException('aborted', 'AbortError')));
    await expect(sut.fetch('/api/jobs')).rejects.toThrow();
    expect(sut.reachable()).toBe(true);
  });
});
