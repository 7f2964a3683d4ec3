import { TestBed } from '@angular/core/testing';
import type { Client, ServiceDto } from '@trainyard/sdk';
import { API } from '../core/api';
import { ServicesStore } from './services.store';

function service(state: ServiceDto['state']): ServiceDto {
  return { type: 'command', name: 'sleeper', state } as unknown as ServiceDto;
}

describe(ServicesStore.name, () => {
  it('never lets an older answer replace a newer one when loads overlap', async () => {
    // Each GET /api/services answers when the test says so, in the order it chooses.
    const answers: Array<(data: ServiceDto[]) => void> = [];
    const client = {
      get: vi.fn(async ({ url }: { url: string }) => {
        if (url === '/api/services')
          return new Promise((resolve) => answers.push((data) => resolve({ data })));
        if (url === '/api/jobs') return { data: { items: [], total: 0, next_cursor: null } };
        return { data: [] }; // job types
      }),
    };
    TestBed.configureTestingModule({
      providers: [ServicesStore, { provide: API, useFactory: () => client as unknown as Client }],
    });
    const sut = TestBed.inject(ServicesStore);
    const older = sut.load();
    const newer = sut.load();
    await vi.waitFor(() => expect(answers).toHaveLength(2));
    answers[1]([service('running')]);
    await newer;
    answers[0]([service('starting')]);
    await older;
    expect(sut.services().map((s) => s.state)).toEqual(['running']);
  });

  it('does not let an older failure cover a newer answer: it resolves false instead of throwing', async () => {
    const answers: Array<{ resolve: (data: ServiceDto[]) => void; reject: (err: Error) => void }> = [];
    const client = {
      get: vi.fn(async ({ url }: { url: string }) => {
        if (url === '/api/services')
          return new Promise((resolve, reject) =>
            answers.push({ resolve: (data) => resolve({ data }), reject }),
          );
        if (url === '/api/jobs') return { data: { items: [], total: 0, next_cursor: null } };
        return { data: [] };
      }),
    };
    TestBed.configureTestingModule({
      providers: [ServicesStore, { provide: API, useFactory: () => client as unknown as Client }],
    });
    const sut = TestBed.inject(ServicesStore);
    const older = sut.load();
    const newer = sut.load();
    await vi.waitFor(() => expect(answers).toHaveLength(2));
    answers[1].resolve([service('running')]);
    await expect(newer).resolves.toBe(true);
    answers[0].reject(new Error('network down a second ago'));
    await expect(older).resolves.toBe(false);
    expect(sut.services().map((s) => s.state)).toEqual(['running']);
  });
});
