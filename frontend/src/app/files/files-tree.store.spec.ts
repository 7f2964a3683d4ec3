import { TestBed } from '@angular/core/testing';
import { type Client, type DirEntryDto, TrainyardApiError } from '@trainyard/sdk';
import { API } from '../core/api';
import { type FileEvent, FileEvents } from '../core/file-events';
import { ToastStore } from '../core/toast.store';
import { FilesTreeStore, type TreeRow } from './files-tree.store';

const dir = (path: string): DirEntryDto => ({
  name: path.slice(path.lastIndexOf('/') + 1),
  path,
  kind: 'dir',
});
const file = (path: string): DirEntryDto => ({ ...dir(path), kind: 'file' });

/** A fake disk behind the generated client: `listing[path]` is what browse answers. */
describe(FilesTreeStore.name, () => {
  let listing: Record<string, DirEntryDto[]>;
  let client: {
    get: ReturnType<typeof vi.fn>;
    post: ReturnType<typeof vi.fn>;
    delete: ReturnType<typeof vi.fn>;
  };
  let sut: FilesTreeStore;
  let events: FileEvent[];
  let toasts: ToastStore;

  const browsed = () =>
    client.get.mock.calls.filter(([o]) => o.url === '/api/fs/browse').map(([o]) => o.query.path as string);
  const shown = (rows: TreeRow[] = sut.rows()) =>
    rows.map(
      (r) =>
        `${'  '.repeat(r.level - 1)}${r.type === 'entry' ? r.name + (r.expanded ? '/' : '') : `(${r.text})`}`,
    );

  beforeEach(async () => {
    localStorage.clear();
    listing = {
      '/w/root': [dir('/w/root/a'), file('/w/root/f.txt')],
      '/w/root/a': [dir('/w/root/a/b'), file('/w/root/a/x.yaml')],
      '/w/root/a/b': [],
    };
    client = {
      get: vi.fn(async (o: { url: string; query?: { path: string } }) => {
        if (o.url === '/api/search-roots') return { data: [{ path: '/w/root', added_at: '' }] };
        const entries = listing[o.query!.path];
        if (!entries) throw new TrainyardApiError(404, 'PATH_NOT_FOUND', `path not found: ${o.query!.path}`);
        return { data: { path: o.query!.path, parent: null, entries } };
      }),
      post: vi.fn(),
      delete: vi.fn(),
    };
    TestBed.configureTestingModule({
      providers: [FilesTreeStore, { provide: API, useValue: client as unknown as Client }],
    });
    sut = TestBed.inject(FilesTreeStore);
    toasts = TestBed.inject(ToastStore);
    events = [];
    TestBed.inject(FileEvents).on((e) => events.push(e));
    await sut.loadRoots();
  });

  it('shows the roots closed and lists nothing until a directory is opened', () => {
    expect(shown()).toEqual(['root']);
    expect(browsed()).toEqual([]);
  });

  it('lists a directory when it is first opened, and not again on re-open', async () => {
    await sut.expand('/w/root');
    await sut.expand('/w/root/a');
    expect(shown()).toEqual(['root/', '  a/', '    b', '    x.yaml', '  f.txt']);
    sut.collapse('/w/root/a');
    expect(shown()).toEqual(['root/', '  a', '  f.txt']);
    await sut.toggle('/w/root/a');
    expect(browsed()).toEqual(['/w/root', '/w/root/a']);
    await sut.expand('/w/root/a/b');
    expect(shown()).toContain('      (Empty)');
  });

  it('keys each row uniquely when a directory shows both as a root and inside another root', async () => {
    client.get.mockResolvedValueOnce({
      data: [
        { path: '/w/root', added_at: '' },
        { path: '/w/root/a', added_at: '' },
      ],
    });
    await sut.loadRoots();
    await sut.expand('/w/root');
    const keys = sut.rows().flatMap((r) => (r.type === 'entry' && r.path === '/w/root/a' ? [r.key] : []));
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(2);
  });

  it('shows a listing error under the directory', async () => {
    listing['/w/root'].push(dir('/w/root/gone'));
    await sut.expand('/w/root');
    await sut.expand('/w/root/gone');
    expect(sut.rows().at(-1)).toMatchObject({
      type: 'note',
      error: true,
      text: 'path not found: /w/root/gone',
    });
  });

  it('drops a listing answered after a newer one was asked for', async () => {
    let answerOld!: (v: unknown) => void;
    client.get.mockImplementationOnce(() => new Promise((resolve) => (answerOld = resolve)));
    const first = sut.expand('/w/root');
    await sut.load('/w/root');
    answerOld({ data: { path: '/w/root', parent: null, entries: [file('/w/root/stale')] } });
    await first;
    expect(shown()).toEqual(['root/', '  a', '  f.txt']);
  });

  it('lists the open directories again with show hidden, and remembers the choice', async () => {
    await sut.expand('/w/root');
    await sut.expand('/w/root/a');
    sut.collapse('/w/root/a');
    client.get.mockClear();
    await sut.setShowHidden(true);
    // Only what is on screen is asked for again; the closed `a` lists when next opened.
    expect(client.get.mock.calls.map(([o]) => [o.query.path, o.query.show_hidden])).toEqual([
      ['/w/root', true],
    ]);
    await sut.expand('/w/root/a');
    expect(browsed()).toEqual(['/w/root', '/w/root/a']);
    expect(JSON.parse(localStorage.getItem('trainyard.files')!)).toMatchObject({ showHidden: true });
  });

  it('creates a folder and lists its parent again, opening it', async () => {
    client.post.mockImplementation(async (o: { url: string; body: { parent: string; name: string } }) => {
      listing['/w/root'] = [...listing['/w/root'], dir(`${o.body.parent}/${o.body.name}`)];
      return { data: { path: `${o.body.parent}/${o.body.name}` } };
    });
    expect(await sut.newFolder('/w/root', 'new')).toBe('/w/root/new');
    expect(client.post).toHaveBeenCalledWith(
      expect.objectContaining({ url: '/api/fs/mkdir', body: { parent: '/w/root', name: 'new' } }),
    );
    expect(shown()).toEqual(['root/', '  a', '  f.txt', '  new']);
  });

  it('renames an open directory: its parent lists again, open directories below follow, others hear of it', async () => {
    await sut.expand('/w/root');
    await sut.expand('/w/root/a');
    await sut.expand('/w/root/a/b');
    sut.copy('/w/root/a/x.yaml');
    client.post.mockImplementation(async () => {
      listing['/w/root'] = [dir('/w/root/z'), file('/w/root/f.txt')];
      listing['/w/root/z'] = listing['/w/root/a'].map((e) => ({ ...e, path: e.path.replace('/a/', '/z/') }));
      listing['/w/root/z/b'] = [];
      delete listing['/w/root/a'];
      return { data: { path: '/w/root/z' } };
    });

    expect(await sut.rename('/w/root/a', 'z')).toBe('/w/root/z');
    await vi.waitFor(() =>
      expect(shown()).toEqual(['root/', '  z/', '    b/', '      (Empty)', '    x.yaml', '  f.txt']),
    );
    expect(client.post).toHaveBeenCalledWith(
      expect.objectContaining({ url: '/api/fs/rename', body: { path: '/w/root/a', new_name: 'z' } }),
    );
    expect([...sut.expanded()].sort()).toEqual(['/w/root', '/w/root/z', '/w/root/z/b']);
    expect(events).toEqual([{ kind: 'renamed', from: '/w/root/a', to: '/w/root/z' }]);
    expect(sut.clipboard()).toEqual({ path: '/w/root/z/x.yaml', mode: 'copy' });
  });

  it('deletes with confirmed: true, forgets the tree below, and tells the editor', async () => {
    await sut.expand('/w/root');
    await sut.expand('/w/root/a');
    sut.cut('/w/root/a/x.yaml');
    client.post.mockImplementation(async (o: { body: { path: string } }) => {
      listing['/w/root'] = [file('/w/root/f.txt')];
      return { data: { path: o.body.path } };
    });

    expect(await sut.delete('/w/root/a', true)).toBe(true);
    expect(client.post).toHaveBeenCalledWith(
      expect.objectContaining({ url: '/api/fs/delete-dir', body: { path: '/w/root/a', confirmed: true } }),
    );
    expect(shown()).toEqual(['root/', '  f.txt']);
    expect(sut.expanded().has('/w/root/a')).toBe(false);
    expect(sut.dirs().has('/w/root/a')).toBe(false);
    expect(sut.clipboard()).toBeNull();
    expect(events).toEqual([{ kind: 'deleted', path: '/w/root/a' }]);
  });

  it('pastes a cut as a move (refreshing both directories) and a copy with auto_rename', async () => {
    await sut.expand('/w/root');
    await sut.expand('/w/root/a');
    client.post.mockImplementation(async (o: { url: string; body: { src: string; dest_dir: string } }) => ({
      data: { path: `${o.body.dest_dir}/moved` },
    }));
    sut.cut('/w/root/f.txt');
    client.get.mockClear();
    await sut.paste('/w/root/a');
    expect(client.post).toHaveBeenLastCalledWith(
      expect.objectContaining({ url: '/api/fs/move', body: { src: '/w/root/f.txt', dest_dir: '/w/root/a' } }),
    );
    expect(browsed().sort()).toEqual(['/w/root', '/w/root/a']);
    expect(sut.clipboard()).toBeNull();
    expect(events).toEqual([{ kind: 'renamed', from: '/w/root/f.txt', to: '/w/root/a/moved' }]);

    sut.copy('/w/root/a/x.yaml');
    await sut.paste('/w/root');
    expect(client.post).toHaveBeenLastCalledWith(
      expect.objectContaining({
        url: '/api/fs/copy',
        body: { src: '/w/root/a/x.yaml', dest_dir: '/w/root', auto_rename: true },
      }),
    );
    expect(sut.clipboard()).toEqual({ path: '/w/root/a/x.yaml', mode: 'copy' });
  });

  it('duplicates next to the original, with target_name when one is given', async () => {
    client.post.mockResolvedValue({ data: { path: '/w/root/a/x (copy).yaml' } });
    await sut.duplicate('/w/root/a/x.yaml');
    expect(client.post).toHaveBeenLastCalledWith(
      expect.objectContaining({
        body: { src: '/w/root/a/x.yaml', dest_dir: '/w/root/a', auto_rename: true },
      }),
    );
    await sut.duplicate('/w/root/a/x.yaml', 'y.yaml');
    expect(client.post).toHaveBeenLastCalledWith(
      expect.objectContaining({
        body: { src: '/w/root/a/x.yaml', dest_dir: '/w/root/a', target_name: 'y.yaml' },
      }),
    );
  });

  it("toasts the server's message when an operation is refused, changing nothing", async () => {
    await sut.expand('/w/root');
    client.post.mockRejectedValue(
      new TrainyardApiError(403, 'FORBIDDEN', 'path is too shallow to change (at least 4 components)'),
    );
    expect(await sut.delete('/w/root/f.txt', false)).toBe(false);
    expect(toasts.toasts().map((t) => `${t.kind}:${t.message}`)).toEqual([
      'error:path is too shallow to change (at least 4 components)',
    ]);
    expect(events).toEqual([]);
    expect(shown()).toEqual(['root/', '  a', '  f.txt']);
  });
});
