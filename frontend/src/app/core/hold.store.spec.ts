import { TestBed } from '@angular/core/testing';
import { type Client, TrainyardApiError } from '@trainyard/sdk';
import { API } from './api';
import { HoldStore } from './hold.store';
import { ToastStore } from './toast.store';

describe(HoldStore.name, () => {
  let client: { post: ReturnType<typeof vi.fn> };
  let sut: HoldStore;
  let toasts: ToastStore;
  const job = { queue_id: 'q_1796000000000_0000000a', name: 'train', held: false };

  beforeEach(() => {
    client = { post: vi.fn(async () => ({ data: { ...job, held: true } })) };
    TestBed.configureTestingModule({ providers: [{ provide: API, useValue: client as unknown as Client }] });
    sut = TestBed.inject(HoldStore);
    toasts = TestBed.inject(ToastStore);
  });

  it('holds a job that is not held (POST /api/queue/{id}/hold) and says it keeps its place', async () => {
    expect(await sut.toggle(job)).toBe(true);
    expect(client.post).toHaveBeenCalledWith(
      expect.objectContaining({ url: '/api/queue/{queue_id}/hold', path: { queue_id: job.queue_id } }),
    );
    expect(toasts.toasts().map((t) => t.message)).toEqual([
      'train is held: it stays queued, in its place, until released.',
    ]);
    expect(sut.busy().size).toBe(0);
  });

  it('releases a held job (POST /api/queue/{id}/release)', async () => {
    expect(await sut.toggle({ ...job, held: true, name: null })).toBe(true);
    expect(client.post).toHaveBeenCalledWith(
      expect.objectContaining({ url: '/api/queue/{queue_id}/release' }),
    );
    expect(toasts.toasts().map((t) => t.message)).toEqual([`${job.queue_id} released: it may start.`]);
  });

  it("says the server's reason when the job is no longer queued", async () => {
    client.post.mockRejectedValueOnce(
      new TrainyardApiError(409, 'JOB_NOT_QUEUED', `${job.queue_id} is running, not queued`),
    );
    expect(await sut.toggle(job)).toBe(false);
    expect(toasts.toasts().map((t) => t.message)).toEqual([`${job.queue_id} is running, not queued`]);
    expect(sut.busy().size).toBe(0);
  });

  it('sends one request at a time per job (a double click holds once)', async () => {
    const first = sut.toggle(job);
    expect(await sut.toggle(job)).toBe(false);
    await first;
    expect(client.post).toHaveBeenCalledTimes(1);
  });
});
