import { TestBed } from '@angular/core/testing';
import type { Stream, StreamClose } from '@trainyard/sdk';
import { ServerReachability } from './api';
import type { AuthStore } from './auth.store';
import { LiveStream } from './live-stream';

/** A stream the test ends by hand (`drop`), as a server going away ends a WebSocket. */
function fakeStream(): Stream<StreamClose> & { drop(code: number): void } {
  let drop!: (close: StreamClose) => void;
  const closed = new Promise<StreamClose>((resolve) => (drop = resolve));
  return {
    closed,
    close: () => drop({ code: 1000, reason: '' }),
    drop: (code) => drop({ code, reason: '' }),
  };
}

describe(LiveStream.name, () => {
  let reachability: ServerReachability;
  let streams: ReturnType<typeof fakeStream>[];
  let live: LiveStream;
  // Asks the server, as the real one does: its answer (or none) reaches the reachability too.
  const auth = {
    checkSession: async () => {
      await reachability.fetch('/api/auth/status').catch(() => undefined);
      return true;
    },
  } as unknown as AuthStore;
  /** One request of the console through the reachability fetch: answered or not. */
  const request = async (answered: boolean) => {
    vi.stubGlobal(
      'fetch',
      answered
        ? async () => new Response('{}')
        : async () => Promise.reject(new TypeError('Failed to fetch')),
    );
    await reachability.fetch('/api/health').catch(() => undefined);
  };
  const settle = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };

  beforeEach(() => {
    vi.useFakeTimers();
    vi.stubGlobal('fetch', async () => new Response('{}')); // the server answers until a test says
    reachability = TestBed.inject(ServerReachability);
    streams = [];
    live = TestBed.runInInjectionContext(
      () =>
        new LiveStream(auth, () => {
          const stream = fakeStream();
          streams.push(stream);
          return stream;
        }),
    );
  });

  afterEach(() => {
    live.stop();
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('reconnects as soon as the server answers again, not when its backoff ends', async () => {
    live.start();
    expect(streams).toHaveLength(1);
    // A restart: the stream goes away and the server stops answering.
    streams[0].drop(1001);
    await request(false);
    await settle();
    expect(live.connection()).toBe('reconnecting');
    expect(streams).toHaveLength(1); // waiting out the backoff

    await request(true);
    expect(streams).toHaveLength(2);
  });

  it('reconnects at once when its own question about the session is the first one answered', async () => {
    live.start();
    await request(false); // the server went away
    vi.stubGlobal('fetch', async () => new Response('{}'));
    streams[0].drop(1006);
    await settle();
    await vi.advanceTimersByTimeAsync(0);
    expect(streams).toHaveLength(2);
  });

  it('leaves a live stream alone when the server answers again', async () => {
    live.start();
    await request(false);
    await request(true);
    expect(streams).toHaveLength(1);
  });

  it('still waits out the backoff when the server never stopped answering', async () => {
    live.start();
    streams[0].drop(1006);
    await settle();
    await request(true);
    expect(streams).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(streams).toHaveLength(2);
  });
});
