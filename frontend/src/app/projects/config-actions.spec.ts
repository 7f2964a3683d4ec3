import { TestBed } from '@angular/core/testing';
import type { Client, ConfigDto, ProjectSummaryDto } from '@trainyard/sdk';
import { API } from '../core/api';
import { ConfirmStore } from '../core/confirm.store';
import { ConfigActions } from './config-actions';

const config: ConfigDto = {
  name: 'train',
  file: '/data/proj/configs/train.yaml',
  job_type: 'command',
  params: [],
  output_dir: '/data/proj/output_models/train',
};
const project = (kind: 'trainyard' | 'forgather'): ProjectSummaryDto => ({
  id: 'p1',
  kind,
  path: '/data/proj',
  root: '/data',
  name: 'Proj',
  description: '',
  default_config: 'train',
  configs: [config],
});

describe(ConfigActions.name, () => {
  let sut: ConfigActions;
  let client: { post: ReturnType<typeof vi.fn> };

  beforeEach(() => {
    client = { post: vi.fn(async () => ({ data: {} })) };
    TestBed.configureTestingModule({
      providers: [{ provide: API, useFactory: () => client as unknown as Client }],
    });
    sut = TestBed.inject(ConfigActions);
  });

  it('offers Delete config for a trainyard.yaml config, and asks before deleting it through the server', async () => {
    const deleted = vi.fn();
    const item = sut.deleteItem(project('trainyard'), config, deleted);
    expect([item.label, item.danger, item.disabled]).toEqual(['Delete config…', true, false]);
    const confirm = TestBed.inject(ConfirmStore);
    item.action();
    const ask = confirm.pending()!;
    expect(ask.danger).toBe(true);
    expect(ask.message).toContain('/data/proj/trainyard.yaml');
    expect(ask.message).toContain(config.file);
    expect(client.post).not.toHaveBeenCalled();
    confirm.answer(true);
    await vi.waitFor(() => expect(deleted).toHaveBeenCalled());
    expect(client.post).toHaveBeenCalledTimes(1);
    expect(client.post.mock.calls[0][0]).toMatchObject({
      url: '/api/projects/{id}/configs/{config}/delete',
      path: { id: 'p1', config: 'train' },
      body: { confirmed: true },
    });
  });

  it('sends nothing when the confirmation is dismissed', async () => {
    const confirm = TestBed.inject(ConfirmStore);
    const done = sut.delete(project('forgather'), config);
    expect(confirm.pending()!.message).toContain(`Delete ${config.file}`);
    confirm.answer(false);
    expect(await done).toBe(false);
    expect(client.post).not.toHaveBeenCalled();
  });

  it('reports a refusal and does not call it deleted', async () => {
    client.post.mockRejectedValue(new Error('config /x resolves outside the search roots'));
    const confirm = TestBed.inject(ConfirmStore);
    const done = sut.delete(project('trainyard'), config);
    confirm.answer(true);
    expect(await done).toBe(false);
  });
});
