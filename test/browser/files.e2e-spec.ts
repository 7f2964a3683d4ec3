import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  type Client,
  TrainyardApiError,
  addSearchRoot,
  createTrainyardClient,
  deleteDirectory,
  setPassword,
} from '@trainyard/sdk';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { SpawnedServer, spawnServer } from '../support/spawned-server';
import { makeTempHome } from '../support/temp-home';
import { CONSOLE_INDEX, SCREENSHOTS, launchChromium } from './browser';

/**
 * The sidebar Files tree and the path picker against the built server and a real directory: a
 * search root lists only when opened, the context menu creates, renames, duplicates and deletes
 * (after a confirmation naming the path), a refused operation shows the server's message, and the
 * submit dialog's Browse… fills the working directory.
 */
describe('files tree (browser e2e)', () => {
  const temp = makeTempHome();
  // Directly under the temp directory, so its own path is too shallow to change (the depth floor).
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'ty-files-')));
  const proj = join(root, 'proj');
  let server: SpawnedServer;
  let api: Client;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const browsed: string[] = [];

  const row = (path: string) => page.locator(`li[role="treeitem"][data-path="${path}"]`);
  // The item's label exactly (its accessible name also holds the key hint, e.g. "Rename…F2").
  const menuItem = (label: string) =>
    page.getByRole('menuitem').filter({ has: page.locator(`span:text-is("${label}")`) });
  const prompt = (title: string) => page.getByRole('dialog', { name: title });
  const answerPrompt = async (title: string, name: string, confirm: string) => {
    const dialog = prompt(title);
    await dialog.waitFor();
    await dialog.getByRole('textbox').fill(name);
    await dialog.getByRole('button', { name: confirm }).click();
    await dialog.waitFor({ state: 'hidden' });
  };

  beforeAll(async () => {
    if (!existsSync(CONSOLE_INDEX)) throw new Error(`${CONSOLE_INDEX} is missing: run npx ng build first`);
    mkdirSync(join(proj, 'sub'), { recursive: true });
    writeFileSync(join(proj, 'readme.md'), '# hi\n');
    writeFileSync(join(root, 'top.txt'), 'top\n');
    writeFileSync(join(root, '.hidden'), 'dot\n');
    // A user job type whose path param does not say whether it names a file or a folder.
    writeFileSync(
      join(temp.home, 'server_config.yaml'),
      'job_types:\n  - name: export\n    argv: ["echo", "{src}"]\n    params:\n      - { name: src, type: path, required: true }\n',
    );
    server = await spawnServer(temp.home);
    api = createTrainyardClient({ baseUrl: server.baseUrl, token: server.token ?? undefined });
    await setPassword({ client: api, body: { new_password: 'correct horse battery' } });
    await addSearchRoot({ client: api, body: { path: root } });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('request', (req) => {
      const url = new URL(req.url());
      if (url.pathname === '/api/fs/browse') browsed.push(url.searchParams.get('path') ?? '');
    });
    await page.goto(`${server.baseUrl}/?token=${server.token}`);
    await page.getByRole('heading', { name: 'GPUs' }).waitFor();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
    temp.remove();
    rmSync(root, { recursive: true, force: true });
  });

  afterEach(() => expect(pageErrors).toEqual([]));

  it('shows the search root closed, lists a directory only when it is opened, by click or arrow keys', async () => {
    await row(root).waitFor();
    expect(await row(root).getAttribute('aria-expanded')).toBe('false');
    expect(browsed).toEqual([]);

    await row(root).click();
    await row(proj).waitFor();
    await row(join(root, 'top.txt')).waitFor();
    expect(await row(join(root, '.hidden')).count()).toBe(0);
    expect(browsed).toEqual([root]);

    // Keyboard: down to proj, right opens it (one more listing), down into it, left back up.
    await row(root).focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    await row(join(proj, 'readme.md')).waitFor();
    expect(browsed).toEqual([root, proj]);
    await page.keyboard.press('ArrowRight');
    await expectFocused(join(proj, 'sub'));
    await page.keyboard.press('ArrowLeft');
    await expectFocused(proj);
    await page.keyboard.press('ArrowLeft');
    await row(join(proj, 'readme.md')).waitFor({ state: 'detached' });
  });

  it('shows dotfiles with "hidden" ticked', async () => {
    const toggle = page.getByRole('checkbox', { name: 'hidden' });
    await toggle.check();
    await row(join(root, '.hidden')).waitFor();
    await toggle.uncheck();
    await row(join(root, '.hidden')).waitFor({ state: 'detached' });
  });

  it('says a folder of dotfiles holds hidden entries, in the tree and the picker (not "Empty")', async () => {
    const dots = join(root, 'dots');
    mkdirSync(join(dots, '.cache'), { recursive: true });
    writeFileSync(join(dots, '.env'), 'x');
    // The tree lists files too: both count.
    // Listed again (made behind the tree's back) by showing and hiding dotfiles.
    const toggle = page.getByRole('checkbox', { name: 'hidden' });
    await toggle.check();
    await toggle.uncheck();
    await row(dots).click();
    await page.locator('li', { hasText: 'Only hidden entries (2): tick “hidden”' }).waitFor();
    await row(dots).click();
    // The folder picker lists folders: only .cache counts.
    await page.locator('button.new-job').click();
    const dialog = page.getByRole('dialog', { name: 'New job' });
    await dialog.getByLabel('Job type').selectOption('command');
    await dialog.getByRole('textbox', { name: 'Working directory' }).fill(dots);
    await dialog.locator('.field:has(#submit-cwd)').getByRole('button', { name: 'Browse…' }).click();
    const picker = page.getByRole('dialog', { name: 'Choose a folder' });
    await picker.getByText('Nothing here but 1 hidden (tick “hidden” to show them)').waitFor();
    await picker.getByRole('checkbox', { name: 'hidden' }).check();
    await picker.getByRole('button', { name: '.cache/' }).waitFor();
    await picker.getByRole('checkbox', { name: 'hidden' }).uncheck();
    await picker.getByRole('button', { name: 'Cancel' }).click();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    rmSync(dots, { recursive: true });
  });

  it('creates a folder and a file through the context menu', async () => {
    await row(proj).click({ button: 'right' });
    await menuItem('New folder…').click();
    await answerPrompt('New folder', 'models', 'Create');
    await row(join(proj, 'models')).waitFor();
    expect(existsSync(join(proj, 'models'))).toBe(true);

    await row(proj).click({ button: 'right' });
    await menuItem('New file…').click();
    await answerPrompt('New file', 'train.yaml', 'Create');
    await row(join(proj, 'train.yaml')).waitFor();
    // …and opens it in the editor, as creating a file in an editor does.
    await page.waitForURL(
      (url) => url.pathname === '/edit' && url.searchParams.get('path') === join(proj, 'train.yaml'),
    );
    await page.locator('[role="tab"]', { hasText: 'train.yaml' }).waitFor();
    expect(readdirSync(proj).sort()).toEqual(['models', 'readme.md', 'sub', 'train.yaml']);
  });

  it('keeps the name prompt open with the refusal by its field, and the name typed, until a name is taken', async () => {
    // Before: the prompt closed at once, the name was lost, and only a toast said why.
    await row(proj).click({ button: 'right' });
    await menuItem('New file…').click();
    const dialog = prompt('New file');
    const name = dialog.getByRole('textbox');
    await name.fill('../evil.txt');
    await dialog.getByRole('button', { name: 'Create' }).click();
    // Refused by the console (no request), as its own hint says.
    await dialog.getByRole('alert').filter({ hasText: '"../evil.txt" is not a bare name' }).waitFor();
    expect(await name.getAttribute('aria-invalid')).toBe('true');
    // Refused by the server: it exists.
    await name.fill('readme.md');
    await name.press('Enter');
    await dialog.getByRole('alert').filter({ hasText: 'already exists' }).waitFor();
    expect(await name.inputValue()).toBe('readme.md');
    expect(await dialog.isVisible()).toBe(true);
    // Corrected: made, and the prompt closes.
    await name.fill('notes.md');
    await name.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    await row(join(proj, 'notes.md')).waitFor();
    expect(existsSync(join(root, 'evil.txt'))).toBe(false);
    await page.goto(`${server.baseUrl}/queue`);
    await row(proj).waitFor();
    rmSync(join(proj, 'notes.md'));
  });

  it('renames (F2 opens the prompt too), duplicates as "name (copy)" and under a chosen name', async () => {
    await row(join(proj, 'train.yaml')).focus();
    await page.keyboard.press('F2');
    await answerPrompt('Rename train.yaml', 'config.yaml', 'Rename');
    await row(join(proj, 'config.yaml')).waitFor();
    await row(join(proj, 'train.yaml')).waitFor({ state: 'detached' });
    expect(existsSync(join(proj, 'config.yaml'))).toBe(true);

    await row(join(proj, 'config.yaml')).click({ button: 'right' });
    await menuItem('Duplicate').click();
    await row(join(proj, 'config (copy).yaml')).waitFor();
    expect(existsSync(join(proj, 'config (copy).yaml'))).toBe(true);

    // Duplicate as…: the name offered is the next free-looking one; a taken name is the server's 409.
    await row(join(proj, 'config.yaml')).click({ button: 'right' });
    await menuItem('Duplicate as…').click();
    expect(await prompt('Duplicate config.yaml').getByRole('textbox').inputValue()).toBe(
      'config (copy).yaml',
    );
    // Refused: said by the field, the prompt open to give another name.
    await prompt('Duplicate config.yaml').getByRole('button', { name: 'Duplicate' }).click();
    await prompt('Duplicate config.yaml')
      .getByRole('alert')
      .filter({ hasText: /exists/i })
      .waitFor();
    await answerPrompt('Duplicate config.yaml', 'eval.yaml', 'Duplicate');
    await row(join(proj, 'eval.yaml')).waitFor();
    expect(readdirSync(proj).sort()).toEqual([
      'config (copy).yaml',
      'config.yaml',
      'eval.yaml',
      'models',
      'readme.md',
      'sub',
    ]);
  });

  it('deletes permanently after a confirmation that names the path', async () => {
    const copy = join(proj, 'config (copy).yaml');
    await row(copy).click({ button: 'right' });
    await menuItem('Delete permanently…').click();
    const dialog = page.getByRole('dialog', { name: 'Delete this file permanently?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(`${copy} will be deleted`);
    await dialog.getByRole('button', { name: 'Delete permanently' }).click();
    await row(copy).waitFor({ state: 'detached' });
    expect(existsSync(copy)).toBe(false);
    expect(existsSync(join(proj, 'config.yaml'))).toBe(true);
  });

  it('an editor tab follows its file when the tree renames it, and closes when the tree deletes it', async () => {
    const before = join(proj, 'eval.yaml');
    const after = join(proj, 'final.yaml');
    const tab = (name: string) => page.locator('[role="tab"]', { hasText: name });
    await page.goto(`${server.baseUrl}/edit?path=${encodeURIComponent(before)}`);
    await tab('eval.yaml').waitFor();
    await row(before).focus();
    await page.keyboard.press('F2');
    await answerPrompt('Rename eval.yaml', 'final.yaml', 'Rename');
    await tab('final.yaml').waitFor();
    expect(await tab('eval.yaml').count()).toBe(0);

    await row(after).click({ button: 'right' });
    await menuItem('Delete permanently…').click();
    await page
      .getByRole('dialog', { name: 'Delete this file permanently?' })
      .getByRole('button', { name: 'Delete permanently' })
      .click();
    await tab('final.yaml').waitFor({ state: 'detached' });
    expect(existsSync(after)).toBe(false);
  });

  it('offers no action on a symbolic link that the server refuses, and says why when it is opened', async () => {
    const refused = 'Symbolic links are not followed or changed from the console.';
    const link = join(root, 'readme-link.md');
    symlinkSync(join(proj, 'readme.md'), link);
    await page.locator('nav.sidebar').getByRole('button', { name: 'Refresh', exact: true }).click();
    await row(link).waitFor();
    expect(await row(link).locator('.tag').textContent()).toBe('link');

    await row(link).click({ button: 'right' });
    for (const label of ['Rename…', 'Cut', 'Copy', 'Duplicate', 'Duplicate as…', 'Delete permanently…']) {
      expect(await menuItem(label).isDisabled()).toBe(true);
      expect(await menuItem(label).getAttribute('title')).toBe(refused);
    }
    await page.keyboard.press('Escape');
    await page.getByRole('menu').waitFor({ state: 'detached' });

    // Enter (as a click) would open a file or folder: on a link it says why nothing opens.
    await row(link).focus();
    await page.keyboard.press('Enter');
    await page.locator('.toast', { hasText: refused }).waitFor();
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'files-symlink.png') });
  });

  it("shows the server's 403 when an operation is refused (too shallow to delete), and changes nothing", async () => {
    const expected = await deleteDirectory({ client: api, body: { path: root, confirmed: true } }).then(
      () => null,
      (err: TrainyardApiError) => `${err.status} ${err.message}`,
    );
    expect(expected).toMatch(/^403 /);
    const parent = realpathSync(tmpdir());
    await addSearchRoot({ client: api, body: { path: parent } });
    await page.locator('nav.sidebar').getByRole('button', { name: 'Refresh', exact: true }).click();
    await row(parent).click();
    const mine = page.locator(`li[role="treeitem"][aria-level="2"][data-path="${root}"]`);
    await mine.click({ button: 'right' });
    await menuItem('Delete permanently…').click();
    await page
      .getByRole('dialog', { name: 'Delete this folder permanently?' })
      .getByRole('button', { name: 'Delete permanently' })
      .click();
    await page.locator('.toast', { hasText: expected!.slice(4).replace(/\.$/, '') }).waitFor();
    expect(existsSync(root)).toBe(true);

    // Forget that root again (menu → Remove from the tree): the directory stays.
    await row(parent).click({ button: 'right' });
    await menuItem('Remove from the tree').click();
    await row(parent).waitFor({ state: 'detached' });
  });

  it('adds a search root with the path picker', async () => {
    await page.getByRole('button', { name: 'Add a search root' }).click();
    const picker = page.getByRole('dialog', { name: 'Add a search root' });
    await picker.waitFor();
    await picker.getByRole('button', { name: basename(root), exact: true }).click(); // a search root's chip
    await picker.getByRole('button', { name: 'proj/' }).click();
    await picker.getByRole('button', { name: 'models/' }).click();
    await picker.getByText('Nothing here').waitFor(); // models is listed (empty)
    expect(await picker.getByRole('textbox', { name: 'Folder' }).inputValue()).toBe(join(proj, 'models'));
    await picker.getByRole('button', { name: 'Add root' }).click();
    await page.locator(`li[role="treeitem"][aria-level="1"][data-path="${join(proj, 'models')}"]`).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'files-tree.png') });
  });

  it('after a path it cannot list, the picker shows no other folder and offers nothing to add', async () => {
    await page.getByRole('button', { name: 'Add a search root' }).click();
    const picker = page.getByRole('dialog', { name: 'Add a search root' });
    await picker.waitFor();
    await picker.getByRole('button', { name: basename(root), exact: true }).click();
    await picker.getByRole('button', { name: 'proj/' }).waitFor();
    const field = picker.getByRole('textbox', { name: 'Folder' });
    const missing = join(root, 'no-such-folder');
    await field.fill(missing);
    await field.press('Enter');
    await picker.getByRole('alert').filter({ hasText: 'no-such-folder' }).waitFor();
    // Before: the listing and the footer still showed the root, and "Add root" stayed enabled.
    expect(await picker.getByRole('button', { name: 'proj/' }).count()).toBe(0);
    await picker.getByText('No folder listed').waitFor();
    expect(await picker.locator('.current').innerText()).toBe('');
    expect(await picker.getByRole('button', { name: 'Add root' }).isDisabled()).toBe(true);
    // A folder it can list makes it choosable again.
    await field.fill(root);
    await field.press('Enter');
    await picker.getByRole('button', { name: 'proj/' }).waitFor();
    expect(await picker.getByRole('button', { name: 'Add root' }).isEnabled()).toBe(true);
    await picker.getByRole('button', { name: 'Cancel' }).click();
    await picker.waitFor({ state: 'hidden' });
  });

  it('keeps a path typed while a listing is still loading', async () => {
    await page.getByRole('button', { name: 'Add a search root' }).click();
    const picker = page.getByRole('dialog', { name: 'Add a search root' });
    await picker.getByRole('button', { name: basename(root), exact: true }).waitFor();
    await picker.locator('ul.listing:not([aria-busy])').waitFor(); // the first listing is in
    // The next listing is held until the path has been typed, as on a slow server.
    let release!: () => void;
    const typed = new Promise<void>((resolve) => (release = resolve));
    let held!: () => void;
    const holding = new Promise<void>((resolve) => (held = resolve));
    const browse = (url: URL): boolean => url.pathname === '/api/fs/browse';
    await page.route(browse, async (route) => {
      held();
      await typed;
      await route.continue();
    });
    const answered = page.waitForResponse((r) => browse(new URL(r.url())));
    await picker.getByRole('button', { name: basename(root), exact: true }).click();
    await holding;
    const field = picker.getByRole('textbox', { name: 'Folder' });
    const mine = join(proj, 'sub');
    await field.fill(mine);
    release();
    await answered;
    await page.unroute(browse);
    await picker.locator('ul.listing:not([aria-busy])').waitFor();
    // Before: the late listing wrote its own folder over the typed path, and Enter then did nothing.
    expect(await field.inputValue()).toBe(mine);
    await field.press('Enter');
    await picker.getByRole('button', { name: 'Parent folder' }).waitFor();
    await picker.locator('.current', { hasText: mine }).waitFor();
    await picker.getByRole('button', { name: 'Cancel' }).click();
    await picker.waitFor({ state: 'hidden' });
  });

  it("sets the submit dialog's working directory with Browse…", async () => {
    await page.locator('button.new-job').click();
    const dialog = page.getByRole('dialog', { name: 'New job' });
    await dialog.waitFor();
    await dialog.getByLabel('Job type').selectOption('command');
    const cwd = dialog.getByRole('textbox', { name: 'Working directory' });
    await cwd.fill(join(proj, 'sub'));
    await dialog.locator('.field:has(#submit-cwd)').getByRole('button', { name: 'Browse…' }).click();
    const picker = page.getByRole('dialog', { name: 'Choose a folder' });
    await picker.waitFor();
    // It starts at the field's value; up one, then pick proj itself.
    expect(await picker.getByRole('textbox', { name: 'Folder' }).inputValue()).toBe(join(proj, 'sub'));
    await picker.getByRole('button', { name: 'Parent folder' }).click();
    await picker.getByRole('button', { name: 'sub/' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'path-picker.png') });
    await picker.getByRole('button', { name: 'Choose' }).click();
    await picker.waitFor({ state: 'hidden' });
    expect(await cwd.inputValue()).toBe(proj);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it("browses for a file where a job type's path names one: Enter on a typed file picks it, not a typo", async () => {
    const scripts = join(root, 'scripts');
    mkdirSync(scripts);
    writeFileSync(join(scripts, 'train.py'), 'print(1)\n');
    writeFileSync(join(scripts, '.env.py'), 'print(2)\n');
    await page.locator('button.new-job').click();
    const dialog = page.getByRole('dialog', { name: 'New job' });
    await dialog.waitFor();
    await dialog.getByLabel('Job type').selectOption('training');
    const script = dialog.locator('#param-script');
    await dialog.locator('.with-browse:has(#param-script)').getByRole('button', { name: 'Browse…' }).click();
    // Training's script is a file (before: a folder picker, which lists no file and chooses a folder).
    const picker = page.getByRole('dialog', { name: 'Choose a file' });
    await picker.waitFor();
    const field = picker.getByRole('textbox', { name: 'File' });
    await field.fill(scripts);
    await field.press('Enter');
    await picker.getByRole('button', { name: 'train.py' }).waitFor();
    // A typo is not picked: the server's answer stays, and so does the dialog.
    await field.fill(join(scripts, 'trian.py'));
    await field.press('Enter');
    await picker.getByRole('alert').waitFor();
    expect(await picker.isVisible()).toBe(true);
    // Before: Enter on a file's path said "not a directory".
    await field.fill(join(scripts, 'train.py'));
    await field.press('Enter');
    await picker.waitFor({ state: 'hidden' });
    expect(await script.inputValue()).toBe(join(scripts, 'train.py'));
    // A hidden file typed is found too, though hidden entries are not shown; typed and entered
    // while the picker still loads its places (held here, as on a slow server). Before: the start
    // folder's listing, which comes after them, superseded the typed path's and the Enter was lost.
    const hidden = join(scripts, '.env.py');
    const quickPaths = (url: URL): boolean => url.pathname === '/api/fs/quick-paths';
    const typedBrowse = (url: URL): boolean =>
      url.pathname === '/api/fs/browse' && url.searchParams.get('path') === hidden;
    const gate = () => {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      return { open, opened };
    };
    const [places, typed, typedAsked] = [gate(), gate(), gate()];
    await page.route(quickPaths, async (route) => {
      await places.opened;
      await route.continue();
    });
    await page.route(typedBrowse, async (route) => {
      typedAsked.open();
      await typed.opened;
      await route.continue();
    });
    await dialog.locator('.with-browse:has(#param-script)').getByRole('button', { name: 'Browse…' }).click();
    await picker.waitFor();
    await field.fill(hidden);
    await field.press('Enter');
    await typedAsked.opened;
    // The places come in while the typed path's listing is under way, then that listing.
    const placesIn = page.waitForResponse((r) => quickPaths(new URL(r.url())));
    places.open();
    await placesIn;
    typed.open();
    await picker.waitFor({ state: 'hidden' });
    await page.unroute(quickPaths);
    await page.unroute(typedBrowse);
    expect(await script.inputValue()).toBe(hidden);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it("browses for a file or a folder where a job type's path does not say which", async () => {
    await page.locator('button.new-job').click();
    const dialog = page.getByRole('dialog', { name: 'New job' });
    await dialog.waitFor();
    await dialog.getByLabel('Job type').selectOption('export');
    const src = dialog.locator('#param-src');
    const browse = dialog.locator('.with-browse:has(#param-src)').getByRole('button', { name: 'Browse…' });
    await browse.click();
    const picker = page.getByRole('dialog', { name: 'Choose a file or folder' });
    await picker.waitFor();
    // The folder opened is the answer...
    await picker.getByRole('button', { name: 'proj/' }).click();
    await picker.locator('.current', { hasText: proj }).waitFor();
    // ...and files are listed beside its folders.
    await picker.getByRole('button', { name: 'readme.md' }).waitFor();
    await picker.getByRole('button', { name: 'Choose' }).click();
    await picker.waitFor({ state: 'hidden' });
    expect(await src.inputValue()).toBe(proj);
    // Or a file of it, clicked then chosen.
    await browse.click();
    await picker.getByRole('button', { name: 'readme.md' }).click();
    // Beside Choose, what it picks: the file (before: the folder listed, read as the choice).
    await picker.locator('.current', { hasText: join(proj, 'readme.md') }).waitFor();
    await picker.getByRole('button', { name: 'Choose' }).click();
    await picker.waitFor({ state: 'hidden' });
    expect(await src.inputValue()).toBe(join(proj, 'readme.md'));
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  async function expectFocused(path: string): Promise<void> {
    await page.locator(`li[role="treeitem"][data-path="${path}"]:focus`).waitFor();
  }
});
