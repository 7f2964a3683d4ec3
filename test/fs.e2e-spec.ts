import {
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { type Answer, rawRequest, request } from './support/http';
import { InProcessServer, startInProcessServer } from './support/in-process-server';
import { makeTempHome } from './support/temp-home';

/**
 * The Files API against real directories under /tmp: `jailed` runs with --fs-root, `free` without
 * (and with a deep fake $HOME, so the home denylist entry is reachable past the depth floor).
 */
describe('files API (e2e, real server, real directories)', () => {
  let work: string; // /tmp/ty-fs-XXXX: 3 components, below the depth floor
  let root: string; // the --fs-root of `jailed`
  let outside: string;
  let fakeHome: string;
  let jailed: InProcessServer;
  let free: InProcessServer;

  const call = (server: InProcessServer, method: string, path: string, body?: unknown) =>
    request(server.baseUrl, method, path, { token: server.token, body });
  const raw = async (server: InProcessServer, method: string, path: string) => {
    const answer = await rawRequest(server.baseUrl, method, path, {
      authorization: `Bearer ${server.token}`,
    });
    const json = answer.headers['content-type']?.startsWith('application/json');
    return { ...answer, body: (json ? JSON.parse(answer.text) : null) as { code: string; details: unknown } };
  };
  const q = encodeURIComponent;
  const field = (answer: Answer) =>
    (answer.body as { details?: Array<{ field: string }> }).details?.[0]?.field;

  beforeAll(async () => {
    work = realpathSync(mkdtempSync(join(tmpdir(), 'ty-fs-')));
    root = join(work, 'root');
    outside = join(work, 'outside');
    fakeHome = join(work, 'home', 'me');
    for (const dir of [root, join(root, 'sub'), join(root, 'dir', 'inner'), outside, `${root}2`, fakeHome])
      mkdirSync(dir, { recursive: true });
    writeFileSync(join(outside, 'secret.txt'), 'outside secret');
    writeFileSync(join(`${root}2`, 'secret.txt'), 'sibling secret');
    writeFileSync(join(root, 'a.txt'), 'alpha');
    writeFileSync(join(root, '.hidden'), 'h');
    writeFileSync(join(root, 'dir', 'inner', 'f.txt'), 'inner');
    symlinkSync(outside, join(root, 'link-out'));
    symlinkSync(join(outside, 'secret.txt'), join(root, 'file-link'));
    symlinkSync(join(root, 'sub'), join(root, 'link-in'));
    jailed = await startInProcessServer({ argv: ['--fs-root', root] });
    free = await startInProcessServer({ env: { HOME: fakeHome } });
  });
  afterAll(async () => {
    await jailed?.close(true);
    await free?.close(true);
    rmSync(work, { recursive: true, force: true });
  });

  describe('attack matrix', () => {
    it.each([
      ['literal ..', () => `${root}/../outside`],
      ['percent-encoded ..', () => `${root}/%2e%2e/outside`],
      ['encoded slash and ..', () => `${root}%2F..%2Foutside`],
      ['literal .', () => `${root}/./sub`],
      ['relative', () => 'tmp/x'],
      ['NUL', () => `${root}/a.txt%00.png`],
    ])(
      'browse/source refuse a path with %s (400 naming path), never reading outside',
      async (_name, spell) => {
        for (const route of ['/api/fs/browse?files_too=true&path=', '/api/fs/source?path=']) {
          // Raw: the query reaches the server byte for byte (the `..` is not normalised away by a client).
          const path = spell();
          const answer = await raw(jailed, 'GET', `${route}${path.includes('%') ? path : q(path)}`);
          expect([route, answer.status, answer.body.code]).toEqual([route, 400, 'VALIDATION_FAILED']);
          expect(answer.body.details).toEqual([expect.objectContaining({ field: 'path' })]);
          expect(answer.text).not.toContain('outside secret');
        }
      },
    );

    it('refuses a symbolic link in any component, first or last, pointing out or in (400)', async () => {
      const cases: Array<[string, string, unknown]> = [
        ['GET', `/api/fs/browse?path=${q(join(root, 'link-out'))}`, undefined],
        ['GET', `/api/fs/source?path=${q(join(root, 'link-out', 'secret.txt'))}`, undefined],
        ['GET', `/api/fs/source?path=${q(join(root, 'file-link'))}`, undefined],
        ['GET', `/api/fs/source?path=${q(join(root, 'link-in', 'x'))}`, undefined],
        ['PUT', '/api/fs/source', { path: join(root, 'link-out', 'secret.txt'), content: 'pwned' }],
        ['PUT', '/api/fs/source', { path: join(root, 'file-link'), content: 'pwned' }],
        ['POST', '/api/fs/new-file', { parent: join(root, 'link-out'), name: 'planted' }],
        ['POST', '/api/fs/mkdir', { parent: join(root, 'link-out'), name: 'planted' }],
        ['POST', '/api/fs/copy', { src: join(root, 'file-link'), dest_dir: join(root, 'sub') }],
        ['POST', '/api/fs/copy', { src: join(root, 'a.txt'), dest_dir: join(root, 'link-out') }],
        ['POST', '/api/fs/move', { src: join(root, 'a.txt'), dest_dir: join(root, 'link-out') }],
        ['POST', '/api/fs/rename', { path: join(root, 'link-out'), new_name: 'renamed' }],
        ['POST', '/api/fs/delete-file', { path: join(root, 'file-link'), confirmed: true }],
        ['POST', '/api/fs/delete-dir', { path: join(root, 'link-out'), confirmed: true }],
      ];
      for (const server of [jailed, free]) {
        for (const [method, path, body] of cases) {
          const answer = await call(server, method, path, body);
          expect([method, path, answer.status, answer.body.code]).toEqual([
            method,
            path,
            400,
            'VALIDATION_FAILED',
          ]);
          expect(answer.body.message).toMatch(/symbolic link/);
        }
      }
      expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('outside secret');
      expect(readdirSync(outside)).toEqual(['secret.txt']);
      expect(existsSync(join(root, 'link-out'))).toBe(true);
    });

    it('browsing an --fs-root offers no parent (it is outside); a directory inside it offers the root', async () => {
      const atRoot = await call(jailed, 'GET', `/api/fs/browse?path=${q(root)}`);
      expect([atRoot.status, atRoot.body.parent]).toEqual([200, null]);
      mkdirSync(join(root, 'sub'), { recursive: true });
      const below = await call(jailed, 'GET', `/api/fs/browse?path=${q(join(root, 'sub'))}`);
      expect([below.status, below.body.parent]).toEqual([200, root]);
      // Without --fs-root every directory but / has one.
      expect((await call(free, 'GET', `/api/fs/browse?path=${q(root)}`)).body.parent).toBe(work);
    });

    it("with --fs-root, the editor still reads and saves the server's own config file, and nothing else of the state directory", async () => {
      // The console's ⚙ opens it: before, a 403 "outside the directories this server may touch".
      const config = jailed.config.config_file;
      const read = await raw(jailed, 'GET', `/api/fs/source?path=${q(config)}`);
      expect(read.status).toBe(200);
      expect(read.text).toBe(readFileSync(config, 'utf8'));
      const content = `${read.text}\n# edited in the console\n`;
      const saved = await call(jailed, 'PUT', '/api/fs/source', {
        path: config,
        content,
        expected_mtime: read.headers['x-mtime'],
      });
      expect(saved.status).toBe(200);
      expect(readFileSync(config, 'utf8')).toBe(content);
      // That one file: its secrets beside it, its directory and other operations on it stay out.
      const refused: Array<[string, string, unknown]> = [
        ['GET', `/api/fs/source?path=${q(join(jailed.home, 'auth_token'))}`, undefined],
        ['PUT', '/api/fs/source', { path: join(jailed.home, 'auth_token'), content: 'x' }],
        ['GET', `/api/fs/browse?files_too=true&path=${q(jailed.home)}`, undefined],
        ['POST', '/api/fs/rename', { path: config, new_name: 'gone.yaml' }],
        ['POST', '/api/fs/copy', { src: config, dest_dir: root }],
        ['POST', '/api/fs/delete-file', { path: config, confirmed: true }],
      ];
      for (const [method, path, body] of refused) {
        const answer = await call(jailed, method, path, body);
        expect([method, path, answer.status]).toEqual([method, path, 403]);
      }
      expect(readFileSync(config, 'utf8')).toBe(content);
    });

    it('a config file kept behind a symbolic link: ⚙ opens its real file, and a services change writes through the link', async () => {
      // Before: ⚙ opened the link's path (400, "must not go through a symbolic link"), and a service
      // added in the console replaced the link with a copy (temp file + rename over the link).
      const dotfiles = join(work, 'dotfiles');
      mkdirSync(dotfiles, { recursive: true });
      const real = join(dotfiles, 'trainyard.yaml');
      writeFileSync(real, 'services: {}\n');
      const link = join(work, 'linked-config.yaml');
      symlinkSync(real, link);
      const linked = await startInProcessServer({ argv: ['--config', link] });
      try {
        const path = await call(linked, 'GET', '/api/server-config-path');
        expect(path.body).toEqual({ path: real });
        const read = await raw(linked, 'GET', `/api/fs/source?path=${q(real)}`);
        expect([read.status, read.text]).toEqual([200, 'services: {}\n']);
        const added = await call(linked, 'POST', '/api/services', {
          type: 'command',
          name: 'idle',
          enabled: false,
          args: { argv: ['sleep', '1'] },
        });
        expect(added.status).toBe(200);
        expect(lstatSync(link).isSymbolicLink()).toBe(true);
        expect(readFileSync(real, 'utf8')).toContain('idle');
      } finally {
        await linked.close(true);
      }
    });

    it('confines every operation to --fs-root, sources and destinations alike (403), a sibling with the same prefix too', async () => {
      const secret = join(outside, 'secret.txt');
      const cases: Array<[string, string, unknown, string]> = [
        ['GET', `/api/fs/browse?path=${q(outside)}`, undefined, 'path'],
        ['GET', `/api/fs/browse?path=${q(`${root}2`)}`, undefined, 'path'],
        ['GET', `/api/fs/source?path=${q(secret)}`, undefined, 'path'],
        ['GET', `/api/fs/source?path=${q(join(`${root}2`, 'secret.txt'))}`, undefined, 'path'],
        ['PUT', '/api/fs/source', { path: secret, content: 'pwned' }, 'path'],
        ['POST', '/api/fs/copy', { src: secret, dest_dir: root }, 'src'],
        ['POST', '/api/fs/copy', { src: join(root, 'a.txt'), dest_dir: outside }, 'dest_dir'],
        ['POST', '/api/fs/move', { src: join(root, 'a.txt'), dest_dir: outside }, 'dest_dir'],
        ['POST', '/api/fs/move', { src: secret, dest_dir: root }, 'src'],
        ['POST', '/api/fs/new-file', { parent: outside, name: 'planted' }, 'parent'],
        ['POST', '/api/fs/mkdir', { parent: work, name: 'planted' }, 'parent'],
        ['POST', '/api/fs/delete-file', { path: secret, confirmed: true }, 'path'],
        ['POST', '/api/fs/delete-dir', { path: outside, confirmed: true }, 'path'],
        ['POST', '/api/search-roots', { path: outside }, 'path'],
        ['GET', `/api/fs/asset?base=${q(outside)}&asset=x.png`, undefined, 'base'],
      ];
      for (const [method, path, body, name] of cases) {
        const answer = await call(jailed, method, path, body);
        expect([method, path, answer.status, answer.body.code, field(answer)]).toEqual([
          method,
          path,
          403,
          'FORBIDDEN',
          name,
        ]);
        expect(answer.text).not.toContain('outside secret');
      }
      expect(readdirSync(outside)).toEqual(['secret.txt']);
      expect(readFileSync(secret, 'utf8')).toBe('outside secret');
      expect(existsSync(join(root, 'a.txt'))).toBe(true);
      // Inside the root everything works, the root itself included.
      const listing = await call(jailed, 'GET', `/api/fs/browse?path=${q(root)}`);
      expect(listing.status).toBe(200);
    });

    it('refuses control characters (NUL, a newline…), separators, . and .. in new names (400 naming the field)', async () => {
      for (const name of [
        'a/b',
        'a\\b',
        '.',
        '..',
        'nul\u0000x',
        'line\nbreak',
        'bell\u0007',
        'del\u007f',
        'c1\u0085',
        'report\u202etxt.exe',
        'isolate\u2066x',
        '',
      ]) {
        for (const [path, body, f] of [
          ['/api/fs/mkdir', { parent: root, name }, 'name'],
          ['/api/fs/new-file', { parent: root, name }, 'name'],
          ['/api/fs/rename', { path: join(root, 'a.txt'), new_name: name }, 'new_name'],
          ['/api/fs/copy', { src: join(root, 'a.txt'), dest_dir: root, target_name: name }, 'target_name'],
        ] as const) {
          const answer = await call(jailed, 'POST', path, body);
          expect([path, name, answer.status, field(answer)]).toEqual([path, name, 400, f]);
        }
      }
      const nulPath = await call(jailed, 'POST', '/api/fs/new-file', {
        parent: `${root}\u0000/x`,
        name: 'y',
      });
      expect([nulPath.status, field(nulPath)]).toEqual([400, 'parent']);
      expect(readdirSync(root).sort()).toEqual([
        '.hidden',
        'a.txt',
        'dir',
        'file-link',
        'link-in',
        'link-out',
        'sub',
      ]);
    });

    it('keeps the depth floor (< 4 components → 403) and the directory denylist (403)', async () => {
      writeFileSync(join(work, 'shallow.txt'), 'x');
      const floor: Array<[string, unknown]> = [
        ['/api/fs/delete-dir', { path: work, confirmed: true }],
        ['/api/fs/delete-dir', { path: '/tmp', confirmed: true }],
        ['/api/fs/delete-dir', { path: '/', confirmed: true }],
        ['/api/fs/delete-file', { path: '/etc/hostname', confirmed: true }],
        ['/api/fs/rename', { path: work, new_name: 'moved' }],
        ['/api/fs/move', { src: work, dest_dir: fakeHome }],
        ['/api/fs/new-file', { parent: '/tmp', name: `ty-floor-${process.pid}` }],
        ['/api/fs/mkdir', { parent: '/tmp', name: `ty-floor-${process.pid}` }],
        ['/api/fs/copy', { src: join(root, 'a.txt'), dest_dir: '/tmp' }],
      ];
      for (const [path, body] of floor) {
        const answer = await call(free, 'POST', path, body);
        expect([path, answer.status, answer.body.code]).toEqual([path, 403, 'FORBIDDEN']);
        expect(answer.body.message).toMatch(/too close to \//);
      }
      expect(existsSync(work)).toBe(true);
      expect(existsSync(`/tmp/ty-floor-${process.pid}`)).toBe(false);
      expect(existsSync('/tmp/a.txt')).toBe(false);

      // Deep enough, but protected: the server user's home, and an --fs-root itself.
      const home = await call(free, 'POST', '/api/fs/delete-dir', { path: fakeHome, confirmed: true });
      expect([home.status, home.body.message]).toEqual([403, expect.stringMatching(/protected/)]);
      const moveHome = await call(free, 'POST', '/api/fs/rename', { path: fakeHome, new_name: 'x' });
      expect(moveHome.status).toBe(403);
      const fsRoot = await call(jailed, 'POST', '/api/fs/delete-dir', { path: root, confirmed: true });
      expect([fsRoot.status, fsRoot.body.message]).toEqual([403, expect.stringMatching(/protected/)]);
      expect(existsSync(fakeHome) && existsSync(root)).toBe(true);
    });

    it('deletes only with confirmed: true (400 CONFIRMATION_REQUIRED otherwise)', async () => {
      for (const confirmed of [undefined, false]) {
        const file = await call(jailed, 'POST', '/api/fs/delete-file', {
          path: join(root, 'a.txt'),
          confirmed,
        });
        const dir = await call(jailed, 'POST', '/api/fs/delete-dir', { path: join(root, 'dir'), confirmed });
        expect([file.status, file.body.code, dir.status, dir.body.code]).toEqual([
          400,
          'CONFIRMATION_REQUIRED',
          400,
          'CONFIRMATION_REQUIRED',
        ]);
      }
      expect(existsSync(join(root, 'a.txt')) && existsSync(join(root, 'dir', 'inner', 'f.txt'))).toBe(true);
    });

    it('never overwrites: an existing target is a 409 for new-file, mkdir, rename, copy and move', async () => {
      const scratch = join(root, 'overwrite');
      mkdirSync(join(scratch, 'to'), { recursive: true });
      writeFileSync(join(scratch, 'one.txt'), 'one');
      writeFileSync(join(scratch, 'two.txt'), 'two');
      writeFileSync(join(scratch, 'to', 'one.txt'), 'other one');
      const cases: Array<[string, unknown]> = [
        ['/api/fs/new-file', { parent: scratch, name: 'one.txt' }],
        ['/api/fs/mkdir', { parent: scratch, name: 'to' }],
        ['/api/fs/rename', { path: join(scratch, 'one.txt'), new_name: 'two.txt' }],
        ['/api/fs/copy', { src: join(scratch, 'one.txt'), dest_dir: join(scratch, 'to') }],
        ['/api/fs/copy', { src: join(scratch, 'one.txt'), dest_dir: scratch }],
        ['/api/fs/move', { src: join(scratch, 'one.txt'), dest_dir: join(scratch, 'to') }],
      ];
      for (const [path, body] of cases) {
        const answer = await call(jailed, 'POST', path, body);
        expect([path, answer.status, answer.body.code]).toEqual([path, 409, 'PATH_EXISTS']);
      }
      expect(readFileSync(join(scratch, 'one.txt'), 'utf8')).toBe('one');
      expect(readFileSync(join(scratch, 'two.txt'), 'utf8')).toBe('two');
      expect(readFileSync(join(scratch, 'to', 'one.txt'), 'utf8')).toBe('other one');
      // Its own name, or the folder it is in, changes nothing (a rename to its own name was a 409).
      for (const [path, body] of [
        ['/api/fs/rename', { path: join(scratch, 'one.txt'), new_name: 'one.txt' }],
        ['/api/fs/move', { src: join(scratch, 'one.txt'), dest_dir: scratch }],
      ] as const) {
        const answer = await call(jailed, 'POST', path, body);
        expect([path, answer.status, answer.body.path]).toEqual([path, 200, join(scratch, 'one.txt')]);
      }
      expect(readFileSync(join(scratch, 'one.txt'), 'utf8')).toBe('one');
    });

    it('takes a trailing / to name a directory: after a file it is a 400 (POSIX ENOTDIR), not the file', async () => {
      const scratch = join(root, 'trailing');
      mkdirSync(scratch, { recursive: true });
      const file = join(scratch, 'f.txt');
      writeFileSync(file, 'kept');
      const answers = [
        await call(jailed, 'GET', `/api/fs/source?path=${q(`${file}/`)}`),
        await call(jailed, 'PUT', '/api/fs/source', { path: `${file}/`, content: 'overwritten' }),
        await call(jailed, 'POST', '/api/fs/rename', { path: `${file}/`, new_name: 'g.txt' }),
        await call(jailed, 'POST', '/api/fs/delete-file', { path: `${file}/`, confirmed: true }),
      ];
      for (const answer of answers)
        expect([answer.status, answer.body.details]).toEqual([
          400,
          [{ field: 'path', message: `path: ${file} is not a directory (a trailing / names one)` }],
        ]);
      expect(readFileSync(file, 'utf8')).toBe('kept');
      // A directory's may have one.
      const listed = await call(jailed, 'GET', `/api/fs/browse?path=${q(`${scratch}/`)}`);
      expect([listed.status, listed.body.path]).toEqual([200, scratch]);
    });
  });

  it('auto_rename picks stem (copy).ext, stem (copy 2).ext, ...; target_name sets the name', async () => {
    const dup = join(root, 'dup');
    mkdirSync(join(dup, 'tree', 'deep'), { recursive: true });
    writeFileSync(join(dup, 'a.tar.gz'), 'archive');
    writeFileSync(join(dup, 'tree', 'deep', 'x'), 'x');
    writeFileSync(join(dup, '.env'), 'E=1');
    const copy = (src: string, extra: object = {}) =>
      call(jailed, 'POST', '/api/fs/copy', {
        src: join(dup, src),
        dest_dir: dup,
        auto_rename: true,
        ...extra,
      });
    expect((await copy('a.tar.gz')).body.path).toBe(join(dup, 'a.tar (copy).gz'));
    expect((await copy('a.tar.gz')).body.path).toBe(join(dup, 'a.tar (copy 2).gz'));
    expect((await copy('a.tar.gz')).body.path).toBe(join(dup, 'a.tar (copy 3).gz'));
    expect((await copy('tree')).body.path).toBe(join(dup, 'tree (copy)'));
    expect((await copy('.env')).body.path).toBe(join(dup, '.env (copy)'));
    expect((await copy('a.tar.gz', { target_name: 'b.yaml' })).body.path).toBe(join(dup, 'b.yaml'));
    expect((await copy('a.tar.gz', { target_name: 'b.yaml' })).body.path).toBe(join(dup, 'b (copy).yaml'));
    expect(readFileSync(join(dup, 'a.tar (copy 2).gz'), 'utf8')).toBe('archive');
    expect(readFileSync(join(dup, 'tree (copy)', 'deep', 'x'), 'utf8')).toBe('x');
    // A name near the 255-byte limit: the copy's stem is shortened to fit (before: a 400 blaming dest_dir).
    const long = `${'é'.repeat(125)}.txt`;
    writeFileSync(join(dup, long), 'long');
    const copied = await copy(long);
    expect(copied.status).toBe(200);
    expect(Buffer.byteLength(basename(copied.body.path))).toBeLessThanOrEqual(255);
    expect(basename(copied.body.path)).toMatch(/^é+ \(copy\)\.txt$/);
    expect(readFileSync(copied.body.path, 'utf8')).toBe('long');
    // Into another directory the name is kept when free.
    const other = await call(jailed, 'POST', '/api/fs/copy', {
      src: join(dup, 'a.tar.gz'),
      dest_dir: join(root, 'sub'),
      auto_rename: true,
    });
    expect(other.body.path).toBe(join(root, 'sub', 'a.tar.gz'));
    // A directory into itself is refused, not copied forever.
    const self = await call(jailed, 'POST', '/api/fs/copy', {
      src: join(dup, 'tree'),
      dest_dir: join(dup, 'tree', 'deep'),
    });
    expect(self.status).toBe(400);
  });

  it('creates, renames, moves and deletes; browse lists dirs first, files and dotfiles on request', async () => {
    const base = join(root, 'ops');
    expect((await call(jailed, 'POST', '/api/fs/mkdir', { parent: root, name: 'ops' })).body).toEqual({
      path: base,
    });
    expect((await call(jailed, 'POST', '/api/fs/new-file', { parent: base, name: 'n.txt' })).status).toBe(
      200,
    );
    expect((await call(jailed, 'POST', '/api/fs/mkdir', { parent: base, name: 'd' })).status).toBe(200);
    expect(statSync(join(base, 'n.txt')).size).toBe(0);

    const dirsOnly = await call(jailed, 'GET', `/api/fs/browse?path=${q(base)}`);
    expect(dirsOnly.body).toEqual({
      path: base,
      parent: root,
      entries: [{ name: 'd', path: join(base, 'd'), kind: 'dir' }],
      hidden: 0,
    });
    const all = await call(
      jailed,
      'GET',
      `/api/fs/browse?path=${q(root + '/')}&files_too=true&show_hidden=1`,
    );
    const names = (all.body.entries as Array<{ name: string; kind: string }>).map(
      (e) => `${e.kind}:${e.name}`,
    );
    expect(names.slice(0, 4)).toEqual(['dir:dir', 'dir:dup', 'dir:ops', 'dir:overwrite']);
    expect(names).toEqual(expect.arrayContaining(['file:.hidden', 'file:a.txt', 'symlink:link-out']));
    const noHidden = await call(jailed, 'GET', `/api/fs/browse?path=${q(root)}&files_too=true`);
    expect(JSON.stringify(noHidden.body)).not.toContain('.hidden');
    // What was left out is counted (a folder of dotfiles is not empty); folders only, without files_too.
    const dots = join(base, 'dots');
    mkdirSync(join(dots, '.cache'), { recursive: true });
    writeFileSync(join(dots, '.env'), 'x');
    expect((await call(jailed, 'GET', `/api/fs/browse?path=${q(dots)}&files_too=true`)).body).toMatchObject({
      entries: [],
      hidden: 2,
    });
    expect((await call(jailed, 'GET', `/api/fs/browse?path=${q(dots)}`)).body.hidden).toBe(1);
    expect((await call(jailed, 'GET', `/api/fs/browse?path=${q(dots)}&show_hidden=true`)).body.hidden).toBe(
      0,
    );
    expect((await call(jailed, 'GET', `/api/fs/browse?path=${q(root)}&show_hidden=yes`)).status).toBe(400);

    const renamed = await call(jailed, 'POST', '/api/fs/rename', {
      path: join(base, 'n.txt'),
      new_name: 'm.txt',
    });
    expect(renamed.body.path).toBe(join(base, 'm.txt'));
    const moved = await call(jailed, 'POST', '/api/fs/move', {
      src: join(base, 'm.txt'),
      dest_dir: join(base, 'd'),
    });
    expect(moved.body.path).toBe(join(base, 'd', 'm.txt'));
    expect(existsSync(join(base, 'm.txt'))).toBe(false);
    const notFile = await call(jailed, 'POST', '/api/fs/delete-file', {
      path: join(base, 'd'),
      confirmed: true,
    });
    expect(notFile.status).toBe(400);
    expect(
      (await call(jailed, 'POST', '/api/fs/delete-file', { path: join(base, 'd', 'm.txt'), confirmed: true }))
        .status,
    ).toBe(200);
    expect((await call(jailed, 'POST', '/api/fs/delete-dir', { path: base, confirmed: true })).status).toBe(
      200,
    );
    expect(existsSync(base)).toBe(false);

    const quick = await call(jailed, 'GET', '/api/fs/quick-paths');
    expect(quick.body).toEqual([{ name: 'Root root', path: root }]); // home and state dir are outside the root
  });

  it('answers 4xx for what the file system refuses: 404 missing, 400 not a directory, 403 no permission', async () => {
    const missing = await call(jailed, 'GET', `/api/fs/browse?path=${q(join(root, 'nope'))}`);
    expect([missing.status, missing.body.code, field(missing)]).toEqual([404, 'PATH_NOT_FOUND', 'path']);
    const notDir = await call(jailed, 'GET', `/api/fs/browse?path=${q(join(root, 'a.txt'))}`);
    expect([notDir.status, field(notDir)]).toEqual([400, 'path']);
    const throughFile = await call(jailed, 'GET', `/api/fs/source?path=${q(join(root, 'a.txt', 'x'))}`);
    expect(throughFile.status).toBe(400);
    const dirAsSource = await call(jailed, 'GET', `/api/fs/source?path=${q(root)}`);
    expect(dirAsSource.status).toBe(400);
    const missingParent = await call(jailed, 'POST', '/api/fs/new-file', {
      parent: join(root, 'nope'),
      name: 'x',
    });
    expect([missingParent.status, field(missingParent)]).toEqual([404, 'parent']);
    if (process.getuid!() !== 0) {
      const locked = join(root, 'locked');
      mkdirSync(locked);
      chmodSync(locked, 0o000);
      try {
        const denied = await call(jailed, 'GET', `/api/fs/browse?path=${q(locked)}`);
        expect([denied.status, denied.body.code]).toEqual([403, 'FORBIDDEN']);
      } finally {
        chmodSync(locked, 0o700);
        rmSync(locked, { recursive: true });
      }
    }
  });

  it('a copy or move into a directory the server may not write blames dest_dir and names the destination (403)', async () => {
    const dest = join(root, 'locked-dest');
    mkdirSync(dest);
    const src = join(root, 'movable.txt');
    writeFileSync(src, 'm');
    const unlock = makeUnwritable(dest);
    try {
      for (const route of ['/api/fs/copy', '/api/fs/move']) {
        const answer = await call(jailed, 'POST', route, { src, dest_dir: dest });
        expect([route, answer.status, answer.body.code, field(answer)]).toEqual([
          route,
          403,
          'FORBIDDEN',
          'dest_dir',
        ]);
        const { message } = (answer.body as { details: Array<{ message: string }> }).details[0];
        expect(message).toMatch(new RegExp(`^dest_dir ${join(dest, 'movable.txt')} `));
      }
      expect(readFileSync(src, 'utf8')).toBe('m');
    } finally {
      unlock();
      rmSync(dest, { recursive: true, force: true });
      rmSync(src, { force: true });
    }
  });

  describe('editor source', () => {
    it('never follows a link another process keeps swapping in for the file, saving or reading (a real race)', async () => {
      // The review's attack: notes.txt in a directory another user may write is flipped between a
      // regular file and a link to the operator's file while the operator saves it again and again.
      // The file has a second name (as another user's file would be), so a save is in place: the
      // write that, done through the link, overwrote the operator's file.
      const share = join(root, 'share');
      mkdirSync(share);
      const target = join(outside, 'target.txt');
      writeFileSync(target, 'operator secret');
      linkSync(target, join(outside, 'target.bak')); // in place through the link too
      writeFileSync(join(share, 'keep'), 'shared');
      chmodSync(join(share, 'keep'), 0o666);
      linkSync(join(share, 'keep'), join(share, 'notes.txt'));
      const flipper = spawn(
        process.execPath,
        [
          '-e',
          `const fs = require('fs');
          const [dir, target] = process.argv.slice(1);
          for (let i = 0; ; i++) {
            try {
              if (i % 2) {
                fs.rmSync(dir + '/.r', { force: true });
                fs.linkSync(dir + '/keep', dir + '/.r');
                fs.renameSync(dir + '/.r', dir + '/notes.txt');
              } else {
                fs.rmSync(dir + '/.l', { force: true });
                fs.symlinkSync(target, dir + '/.l');
                fs.renameSync(dir + '/.l', dir + '/notes.txt');
              }
            } catch {}
          }`,
          share,
          target,
        ],
        { stdio: 'ignore' },
      );
      const saves: number[] = [];
      const reads: number[] = [];
      try {
        for (let i = 0; i < 150; i++) {
          const save = await call(jailed, 'PUT', '/api/fs/source', {
            path: join(share, 'notes.txt'),
            content: `save ${i}`,
          });
          saves.push(save.status);
          if (save.status !== 200) expect([save.status, field(save)]).toEqual([save.status, 'path']);
          const read = await call(jailed, 'GET', `/api/fs/source?path=${q(join(share, 'notes.txt'))}`);
          reads.push(read.status);
          if (read.status !== 200) expect([read.status, field(read)]).toEqual([read.status, 'path']);
          expect(read.text).not.toContain('operator secret');
          expect(readFileSync(target, 'utf8')).toBe('operator secret');
        }
      } finally {
        flipper.kill();
        await new Promise((resolve) => flipper.once('exit', resolve));
      }
      // Each save either wrote the regular file or was refused, naming path: 400 (a link at the name),
      // 403 (the checks resolved the link: outside --fs-root), 409 (swapped while it was saved).
      expect(saves.filter((s) => ![200, 400, 403, 409].includes(s))).toEqual([]);
      expect(reads.filter((s) => ![200, 400, 403].includes(s))).toEqual([]);
      expect(saves).toContain(200);
      expect(readFileSync(join(share, 'keep'), 'utf8')).toMatch(/^save \d+$/);
      rmSync(share, { recursive: true });
    });

    it('read → outside write → PUT with the old mtime: 409 with both mtimes → PUT without: saved, mode kept', async () => {
      const file = join(root, 'config.yaml');
      writeFileSync(file, 'a: 1\n');
      chmodSync(file, 0o640);
      const read = await call(jailed, 'GET', `/api/fs/source?path=${q(file)}`);
      expect(read.status).toBe(200);
      expect(read.text).toBe('a: 1\n');
      const mtime = read.headers.get('x-mtime')!;
      expect(mtime).toBe(statSync(file, { bigint: true }).mtimeNs.toString());

      // Someone else saves it (a second later, whatever the file system's timestamp resolution).
      writeFileSync(file, 'a: 2\n');
      const later = new Date(Number(BigInt(mtime) / 1000000n) + 1000);
      utimesSync(file, later, later);

      const conflict = await call(jailed, 'PUT', '/api/fs/source', {
        path: file,
        content: 'a: 3\n',
        expected_mtime: mtime,
      });
      const current = statSync(file, { bigint: true }).mtimeNs.toString();
      expect(conflict.status).toBe(409);
      expect(conflict.body).toMatchObject({
        code: 'FILE_CHANGED',
        details: { message: expect.any(String), current_mtime: current, expected_mtime: mtime },
      });
      expect(readFileSync(file, 'utf8')).toBe('a: 2\n');

      const forced = await call(jailed, 'PUT', '/api/fs/source', { path: file, content: 'a: 3\n' });
      expect(forced.status).toBe(200);
      expect(readFileSync(file, 'utf8')).toBe('a: 3\n');
      expect(statSync(file).mode & 0o777).toBe(0o640);
      expect(forced.body).toEqual({
        path: file,
        mtime: statSync(file, { bigint: true }).mtimeNs.toString(),
        size: 5,
      });

      // The returned mtime is exact: saving on top of it succeeds, through the original's path too.
      const next = await call(jailed, 'PUT', '/api/template/source', {
        path: file,
        content: 'a: 4\n',
        expected_mtime: forced.body.mtime,
      });
      expect(next.status).toBe(200);
      const alias = await call(jailed, 'GET', `/api/template/source?path=${q(file)}`);
      expect([alias.text, alias.headers.get('x-mtime')]).toEqual(['a: 4\n', next.body.mtime]);
      expect(readdirSync(root).filter((n) => n.includes('.tmp'))).toEqual([]); // no temp file left
    });

    it("keeps a saved file's owner, group and hard links (a save is in place where a rename would lose them)", async () => {
      const dir = join(root, 'owners');
      mkdirSync(dir);
      try {
        const others = process.getuid?.() === 0; // only root can hand a file to another user
        const file = join(dir, 'run.sh');
        writeFileSync(file, 'echo 1\n');
        chmodSync(file, 0o750);
        if (others) chownSync(file, 65534, 65534);
        const owner = statSync(file);
        expect(
          (await call(jailed, 'PUT', '/api/fs/source', { path: file, content: 'echo 2\n' })).status,
        ).toBe(200);
        const saved = statSync(file);
        expect([saved.uid, saved.gid, saved.mode & 0o7777]).toEqual([owner.uid, owner.gid, 0o750]);

        // A file with another name (a hard link): both names keep showing the one file.
        const link = join(dir, 'run-link.sh');
        linkSync(file, link);
        expect(
          (await call(jailed, 'PUT', '/api/fs/source', { path: file, content: 'echo 3\n' })).status,
        ).toBe(200);
        expect(readFileSync(link, 'utf8')).toBe('echo 3\n');
        expect(statSync(file).ino).toBe(statSync(link).ino);
        expect(statSync(file).nlink).toBe(2);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('refuses binary (415) and oversized (413) files, writes up to 10 MiB, and needs an existing file', async () => {
      const nul = join(root, 'nul.bin');
      writeFileSync(nul, Buffer.concat([Buffer.from('text'), Buffer.from([0]), Buffer.from('more')]));
      const latin1 = join(root, 'latin1.txt');
      writeFileSync(latin1, Buffer.from([0x63, 0x61, 0x66, 0xe9])); // "café" in Latin-1
      for (const path of [nul, latin1]) {
        const answer = await call(jailed, 'GET', `/api/fs/source?path=${q(path)}`);
        expect([answer.status, answer.body.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
      }
      const bom = join(root, 'bom.txt');
      writeFileSync(bom, '\ufeffkept');
      expect((await raw(jailed, 'GET', `/api/fs/source?path=${q(bom)}`)).text).toBe('\ufeffkept');

      const big = join(root, 'big.txt');
      writeFileSync(big, 'x');
      truncateSync(big, 10 * 1024 * 1024 + 1);
      const bigRead = await call(jailed, 'GET', `/api/fs/source?path=${q(big)}`);
      expect([bigRead.status, bigRead.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);

      const target = join(root, 'write.txt');
      writeFileSync(target, '');
      const tooBig = await call(jailed, 'PUT', '/api/fs/source', {
        path: target,
        content: 'y'.repeat(10 * 1024 * 1024 + 1),
      });
      expect([tooBig.status, tooBig.body.code, field(tooBig)]).toEqual([413, 'PAYLOAD_TOO_LARGE', 'content']);
      // Above the server's usual 1 MiB body limit, within the editor's.
      const fits = 'line of text\n'.repeat(200_000);
      const ok = await call(jailed, 'PUT', '/api/fs/source', { path: target, content: fits });
      expect(ok.status).toBe(200);
      expect(readFileSync(target, 'utf8')).toBe(fits);

      const absent = await call(jailed, 'PUT', '/api/fs/source', {
        path: join(root, 'absent.txt'),
        content: 'x',
      });
      expect([absent.status, absent.body.code]).toEqual([404, 'PATH_NOT_FOUND']);
      expect(existsSync(join(root, 'absent.txt'))).toBe(false);
      // Read-only to a server running as root too (access() would let root write anything).
      const readOnly = join(root, 'read-only.txt');
      writeFileSync(readOnly, 'keep');
      chmodSync(readOnly, 0o444);
      const refused = await call(jailed, 'PUT', '/api/fs/source', { path: readOnly, content: 'x' });
      expect([refused.status, refused.body.code, field(refused)]).toEqual([403, 'FORBIDDEN', 'path']);
      expect(readFileSync(readOnly, 'utf8')).toBe('keep');
      const badMtime = await call(jailed, 'PUT', '/api/fs/source', {
        path: target,
        content: 'x',
        expected_mtime: 1.5,
      });
      expect([badMtime.status, field(badMtime)]).toEqual([400, 'expected_mtime']);
      // What a save writes, a read must open: a NUL early on would make the file binary (415).
      const nulSave = await call(jailed, 'PUT', '/api/fs/source', { path: target, content: 'nul\u0000byte' });
      expect([nulSave.status, field(nulSave)]).toEqual([400, 'content']);
      expect(readFileSync(target, 'utf8')).toBe(fits);
    });
  });

  it('serves README images inside base only, typed, nosniff, sandboxed, at most 50 MiB', async () => {
    const readme = join(root, 'readme');
    mkdirSync(join(readme, 'img'), { recursive: true });
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    writeFileSync(join(readme, 'img', 'a.png'), png);
    writeFileSync(join(readme, 'notes.txt'), 'text');
    writeFileSync(join(readme, 'huge.png'), '');
    truncateSync(join(readme, 'huge.png'), 50 * 1024 * 1024 + 1);
    symlinkSync(join(outside, 'secret.txt'), join(readme, 'img', 'evil.png'));
    const asset = (rel: string) =>
      fetch(`${jailed.baseUrl}/api/fs/asset?base=${q(readme)}&asset=${rel}`, {
        headers: { authorization: `Bearer ${jailed.token}` },
      });

    const ok = await asset('img/a.png');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
    expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
    expect(ok.headers.get('content-security-policy')).toContain('sandbox');
    expect(Buffer.from(await ok.arrayBuffer())).toEqual(png);

    for (const [rel, status] of [
      ['..%2Fa.txt', 400],
      ['img%2F..%2F..%2Fa.txt', 400],
      ['%2Fetc%2Fhostname', 400],
      ['img%2Fevil.png', 400],
      ['notes.txt', 415],
      ['huge.png', 413],
      ['missing.png', 404],
    ] as const) {
      const answer = await asset(rel);
      expect([rel, answer.status]).toEqual([rel, status]);
      expect(await answer.text()).not.toContain('outside secret');
    }
  });

  it('keeps search roots in the database across a restart', async () => {
    const { home, remove } = makeTempHome();
    const first = await startInProcessServer({ home, argv: ['--fs-root', root] });
    const created = join(root, 'roots', 'made', 'here');
    expect((await call(first, 'POST', '/api/search-roots', { path: join(root, 'sub') })).status).toBe(200);
    const add = await call(first, 'POST', '/api/search-roots', { path: created, create: true });
    expect(add.body.map((r: { path: string }) => r.path)).toEqual([join(root, 'sub'), created]);
    expect(statSync(created).isDirectory()).toBe(true);
    // Idempotent; a file, a missing directory without create, and a bad path are refused.
    expect((await call(first, 'POST', '/api/search-roots', { path: created })).body).toHaveLength(2);
    expect((await call(first, 'POST', '/api/search-roots', { path: join(root, 'a.txt') })).status).toBe(400);
    expect((await call(first, 'POST', '/api/search-roots', { path: join(root, 'none') })).status).toBe(404);
    expect((await call(first, 'POST', '/api/search-roots', { path: 'relative' })).status).toBe(400);
    await first.close();

    const second = await startInProcessServer({ home, argv: ['--fs-root', root] });
    try {
      const listed = await call(second, 'GET', '/api/search-roots');
      expect(listed.body).toEqual([
        { path: join(root, 'sub'), added_at: expect.any(String) },
        { path: created, added_at: expect.any(String) },
      ]);
      const removed = await call(second, 'DELETE', `/api/search-roots?path=${q(join(root, 'sub'))}`);
      expect(removed.body).toEqual([{ path: created, added_at: expect.any(String) }]);
      expect(existsSync(join(root, 'sub'))).toBe(true);
      expect((await call(second, 'DELETE', `/api/search-roots?path=${q(join(root, 'sub'))}`)).status).toBe(
        404,
      );
      const journal = await call(second, 'GET', '/api/journal');
      const types = (journal.body.items as Array<{ type: string }>).map((e) => e.type);
      expect(types.filter((t) => t.startsWith('fs.'))).toEqual([
        'fs.search_root_added.v1',
        'fs.search_root_added.v1',
        'fs.search_root_removed.v1',
      ]);
    } finally {
      await second.close();
      remove();
    }
  });

  it('is behind the auth gate', async () => {
    for (const [method, path] of [
      ['GET', `/api/fs/browse?path=${q(root)}`],
      ['GET', `/api/fs/source?path=${q(join(root, 'a.txt'))}`],
      ['GET', `/api/template/source?path=${q(join(root, 'a.txt'))}`],
      ['GET', '/api/search-roots'],
    ]) {
      expect([path, (await request(jailed.baseUrl, method, path)).status]).toEqual([path, 401]);
    }
  });
});

/**
 * Makes `dir` refuse new entries even to a server running as root (immutable, or a read-only bind
 * mount where chattr is not supported); chmod 0555 otherwise. Returns the undo.
 */
function makeUnwritable(dir: string): () => void {
  if (process.getuid?.() !== 0) {
    chmodSync(dir, 0o555);
    return () => chmodSync(dir, 0o755);
  }
  if (spawnSync('chattr', ['+i', dir]).status === 0) return () => spawnSync('chattr', ['-i', dir]);
  const bind = spawnSync('sh', ['-c', 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1"', 'sh', dir]);
  if (bind.status !== 0) throw new Error(`cannot make ${dir} unwritable to root: ${bind.stderr.toString()}`);
  return () => spawnSync('umount', [dir]);
}
