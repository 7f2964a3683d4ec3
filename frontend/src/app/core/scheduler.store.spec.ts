import { TestBed } from '@angular/core/testing';
import { type Client, type SchedulerStatusDto, TrainyardApiError } from '@trainyard/sdk';
import { API } from './api';
import { SchedulerStore } from './scheduler.store';
import { ToastStore } from './toast.store';

function status(enabled: boolean): SchedulerStatusDto {
  return { enabled, last_tick_at: null, queued_count: 2, held_count: 0, running_count: 1, tick_count: 7 };
}

describe(SchedulerStore.name, () => {
  let client: { get: ReturnType<typeof vi.fn>; post: ReturnType<typeof vi.fn> };
  let sut: SchedulerStore;
  let toasts: ToastStore;

  beforeEach(() => {
    client = { get: vi.fn(), post: vi.fn() };
    TestBed.configureTestingModule({ providers: [{ provide: API, useValue: client as unknown as Client }] });
    sut = TestBed.inject(SchedulerStore);
    toasts = TestBed.inject(ToastStore);
  });

  const toastMessages = () => toasts.toasts().map((t) => `${t.kind}:${t.message}`);

  it('loads the status, flagging loading while it waits', async () => {
    let answer!: (value: unknown) => void;
    client.get.mockReturnValue(new Promise((resolve) => (answer = resolve)));

    const loading = sut.load();
    expect(sut.loading()).toBe(true);
    answer({ data: status(true) });
    await loading;

    expect(client.get).toHaveBeenCalledWith(expect.objectContaining({ url: '/api/queue/scheduler' }));
    expect(sut.loading()).toBe(false);
    expect(sut.status()).toEqual(status(true));
    expect(sut.error()).toBeNull();
  });

  it('keeps the last status and shows the server message when loading fails', async () => {
    client.get.mockResolvedValueOnce({ data: status(true) });
    await sut.load();
    client.get.mockRejectedValueOnce(new TrainyardApiError(503, 'UNAVAILABLE', 'Database is locked'));
    await sut.load();

    expect(sut.error()).toBe('Database is locked');
    expect(sut.status()).toEqual(status(true));
    expect(sut.loading()).toBe(false);

    client.get.mockResolvedValueOnce({ data: status(false) });
    await sut.load();
    expect(sut.error()).toBeNull();
  });

  it('toggles a running scheduler to paused and says so', async () => {
    client.get.mockResolvedValueOnce({ data: status(true) });
    await sut.load();
    client.post.mockResolvedValueOnce({ data: status(false) });

    await sut.toggle();

    expect(client.post).toHaveBeenCalledWith(
      expect.objectContaining({ url: '/api/queue/scheduler', body: { enabled: false } }),
    );
    expect(sut.status()?.enabled).toBe(false);
    expect(sut.busy()).toBe(false);
    expect(toastMessages()).toEqual(['info:Scheduler paused: running jobs continue.']);
  });

  it('resumes a paused scheduler', async () => {
    client.post.mockResolvedValueOnce({ data: status(true) });
    await sut.setEnabled(true);
    expect(client.post).toHaveBeenCalledWith(expect.objectContaining({ body: { enabled: true } }));
    expect(toastMessages()).toEqual(['info:Scheduler resumed: queued work starts again.']);
  });

  it('never lets an older answer replace a newer one: overlapping loads, or a load overtaken by a toggle', async () => {
    // Each GET answers when the test says so, in the order it chooses.
    const gets: Array<(data: SchedulerStatusDto) => void> = [];
    client.get.mockImplementation(() => new Promise((resolve) => gets.push((data) => resolve({ data }))));
    const older = sut.load();
    const newer = sut.load();
    gets[1](status(false));
    await newer;
    gets[0](status(true));
    await older;
    expect(sut.status()?.enabled).toBe(false);

    // A load begun before a pause whose answer comes after it: the pause stands.
    const stale = sut.load();
    client.post.mockResolvedValueOnce({ data: status(true) });
    await sut.setEnabled(true);
    gets[2](status(false));
    await stale;
    expect(sut.status()?.enabled).toBe(true);
  });

  it('ignores a second change while one is in flight', async () => {
    let answer!: (value: unknown) => void;
    client.post.mockReturnValue(new Promise((resolve) => (answer = resolve)));

    const first = sut.setEnabled(false);
    expect(sut.busy()).toBe(true);
    await sut.setEnabled(true);
    answer({ data: status(false) });
    await first;

    expect(client.post).toHaveBeenCalledTimes(1);
    expect(sut.busy()).toBe(false);
  });

  it('keeps the status and toasts the error when the change fails', async () => {
    client.get.mockResolvedValueOnce({ data: status(true) });
    await sut.load();
    client.post.mockRejectedValueOnce(new TrainyardApiError(403, 'FORBIDDEN', 'Admins only'));

    await sut.toggle();

    expect(sut.status()?.enabled).toBe(true);
    expect(sut.busy()).toBe(false);
    expect(toastMessages()).toEqual(['error:Admins only']);
  });
});
