import { TestBed } from '@angular/core/testing';
import { SERVER_DID_NOT_ANSWER, ServerReachability } from './api';
import { ToastStore } from './toast.store';

describe(ToastStore.name, () => {
  let sut: ToastStore;

  beforeEach(() => {
    vi.useFakeTimers();
    sut = TestBed.inject(ToastStore);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  const messages = () => sut.toasts().map((t) => `${t.kind}:${t.message}`);

  it('dismisses each kind after its lifetime', () => {
    sut.info('info');
    sut.success('success');
    sut.error('error');
    vi.advanceTimersByTime(3499);
    expect(messages()).toEqual(['info:info', 'success:success', 'error:error']);
    vi.advanceTimersByTime(1);
    expect(messages()).toEqual(['success:success', 'error:error']);
    vi.advanceTimersByTime(500);
    expect(messages()).toEqual(['error:error']);
    vi.advanceTimersByTime(3999);
    expect(messages()).toEqual(['error:error']);
    vi.advanceTimersByTime(1);
    expect(messages()).toEqual([]);
  });

  it('keeps the same message one toast and restarts its timer', () => {
    sut.error('poll failed');
    vi.advanceTimersByTime(7000);
    sut.error('poll failed');
    expect(sut.toasts()).toHaveLength(1);
    vi.advanceTimersByTime(7999);
    expect(messages()).toEqual(['error:poll failed']);
    vi.advanceTimersByTime(1);
    expect(messages()).toEqual([]);
  });

  it('shows the same text of another kind separately', () => {
    sut.error('x');
    sut.info('x');
    expect(messages()).toEqual(['error:x', 'info:x']);
  });

  it('keeps only the newest four', () => {
    for (const n of [1, 2, 3, 4, 5]) sut.info(`m${n}`);
    expect(messages()).toEqual(['info:m2', 'info:m3', 'info:m4', 'info:m5']);
  });

  it('dismisses on demand, and the old timer does no harm', () => {
    sut.info('a');
    sut.info('b');
    const [a] = sut.toasts();
    sut.dismiss(a.id);
    expect(messages()).toEqual(['info:b']);
    vi.advanceTimersByTime(10_000);
    expect(messages()).toEqual([]);
  });

  it('holds a toast while pointed at, and re-arms it on release', () => {
    sut.success('saved');
    const [toast] = sut.toasts();
    sut.hold(toast.id);
    vi.advanceTimersByTime(60_000);
    expect(messages()).toEqual(['success:saved']);
    sut.release(toast.id);
    vi.advanceTimersByTime(3999);
    expect(messages()).toEqual(['success:saved']);
    vi.advanceTimersByTime(1);
    expect(messages()).toEqual([]);
  });

  it('leaves "the server did not answer" to the outage banner while the server is unreachable', async () => {
    const reachability = TestBed.inject(ServerReachability);
    sut.error(SERVER_DID_NOT_ANSWER);
    expect(messages()).toEqual([`error:${SERVER_DID_NOT_ANSWER}`]);
    sut.dismiss(sut.toasts()[0].id);
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('Failed to fetch')));
    await reachability.fetch('/api/health').catch(() => undefined);
    vi.unstubAllGlobals();
    expect(reachability.reachable()).toBe(false);
    sut.error(SERVER_DID_NOT_ANSWER);
    sut.error('Job q_1 is not running');
    expect(messages()).toEqual(['error:Job q_1 is not running']);
  });
});
