import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTrainyardClient, setPassword } from '@trainyard/sdk';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { SpawnedServer, spawnServer } from '../support/spawned-server';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { CONSOLE_INDEX, SCREENSHOTS, launchChromium } from './browser';

/**
 * The Edit view in Chromium against the built server: open by URL, edit, Ctrl+S writes the file;
 * an outside change makes the next save a conflict (Compare shows the diff editor, Reload takes the
 * disk's version); a binary file says so in its tab; splits and tab dragging; the footer's ⚙; and
 * every request — Monaco, its workers and styles included — stays on the server's own origin.
 */
describe('Edit view (browser e2e)', () => {
  const temp = makeTempHome();
  const work = join(temp.home, 'work', 'proj');
  const config = join(work, 'train.yaml');
  let server: SpawnedServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const csp: string[] = [];
  const pageErrors: string[] = [];

  /** What Monaco shows (it renders spaces as no-break spaces). */
  const shown = async (selector: string) =>
    (await page.locator(selector).innerText()).replace(/\u00a0/g, ' ');
  const editorText = (group = 0) => shown(`section[data-group="${group}"] .view-lines`);
  const activeText = () => shown('.group.active .view-lines');
  const tab = (name: string, group = 0) =>
    page.locator(`section[data-group="${group}"] [role="tab"]`, { hasText: name });

  beforeAll(async () => {
    if (!existsSync(CONSOLE_INDEX)) throw new Error(`${CONSOLE_INDEX} is missing: run npm run build first`);
    mkdirSync(work, { recursive: true });
    // Confined to the work tree, as a lab would run it: the state directory (and its config) is outside.
    server = await spawnServer(temp.home, ['--fake-gpus', '1', '--fs-root', work]);
    const api = createTrainyardClient({ baseUrl: server.baseUrl, token: server.token ?? undefined });
    await setPassword({ client: api, body: { new_password: 'correct horse battery' } });
    browser = await launchChromium();
    context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) csp.push(msg.text());
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${server.baseUrl}/?token=${server.token}`);
    await page.getByRole('heading', { name: 'GPUs' }).waitFor();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
    temp.remove();
  });

  afterEach(() => expect(pageErrors).toEqual([]));

  it('opens a file by URL, highlights Forgather YAML + Jinja, and Ctrl+S writes it', async () => {
    writeFileSync(config, 'lr: 0.1\n-- if use_cuda:\ndevice: {{ device }}\n<< endif\n');
    await page.goto(`${server.baseUrl}/edit?path=${encodeURIComponent(config)}&line=2`);
    await waitFor(async () => (await editorText()).includes('device: {{ device }}'), 'the file in Monaco');
    expect(await tab('train.yaml').getAttribute('aria-selected')).toBe('true');
    await expect(page.locator('section[data-group="0"] .lang').innerText()).resolves.toBe('YAML + Jinja');

    // Monaco's own lexer on our Monarch definition: a line statement is Jinja, {{ }} is delimited.
    const tokens = await page.evaluate(() => {
      type Tokenize = (text: string, language: string) => { type: string }[][];
      const monaco = (globalThis as unknown as { monaco: { editor: { tokenize: Tokenize } } }).monaco;
      return monaco.editor
        .tokenize('-- if x:\nk: {{ y }}', 'forgather-yaml')
        .map((line) => line.map((t) => t.type));
    });
    expect(tokens[0][0]).toBe('keyword.control.fyaml');
    expect(tokens[0]).toContain('keyword.fyaml');
    expect(tokens[1]).toEqual(
      expect.arrayContaining(['type.fyaml', 'delimiter.jinja.fyaml', 'variable.fyaml']),
    );

    // ?line=2 put the cursor on line 2: typing lands there.
    await page.keyboard.press('End');
    await page.keyboard.type(' # edited');
    await tab('train.yaml').locator('.dirty-dot').waitFor();
    await page.keyboard.press('Control+s');
    await waitFor(
      () => readFileSync(config, 'utf8').includes('-- if use_cuda: # edited'),
      'the save on disk',
    );
    await tab('train.yaml').locator('.dirty-dot').waitFor({ state: 'detached' });
    // The URL follows the active tab (and dropped the line).
    expect(new URL(page.url()).searchParams.get('path')).toBe(config);
  });

  it('a save after an outside change opens the conflict dialog: Compare, then Reload', async () => {
    writeFileSync(config, 'lr: 0.5 # changed outside\n');
    await page.locator('section[data-group="0"] .view-lines').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('mine: 1');
    await page.keyboard.press('Control+s');
    const dialog = page.getByRole('dialog', { name: 'train.yaml changed on disk' });
    await dialog.waitFor();
    // Nothing was written over the outside change.
    expect(readFileSync(config, 'utf8')).toBe('lr: 0.5 # changed outside\n');

    await dialog.getByRole('button', { name: 'Compare' }).click();
    const diff = dialog.locator('.monaco-diff-editor');
    await diff.waitFor();
    await waitFor(
      async () => (await shown('dialog .monaco-diff-editor')).includes('changed outside'),
      'the diff',
    );
    expect(await shown('dialog .monaco-diff-editor')).toContain('mine: 1');
    await page.screenshot({ path: join(SCREENSHOTS, 'editor-conflict-compare.png') });

    await dialog.getByRole('button', { name: 'Take the disk version' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await waitFor(async () => (await editorText()).includes('lr: 0.5 # changed outside'), 'the disk content');
    expect(await editorText()).not.toContain('mine: 1');
    expect(await tab('train.yaml').locator('.dirty-dot').count()).toBe(0);

    // The reload took the disk's mtime: the next save goes through without a conflict.
    await page.locator('section[data-group="0"] .view-lines').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('after: 2');
    await page.keyboard.press('Control+s');
    await waitFor(() => readFileSync(config, 'utf8').includes('after: 2'), 'the save after reload');
  });

  it('a binary file says so inside its tab', async () => {
    const binary = join(work, 'weights.bin');
    writeFileSync(binary, Buffer.from([0x50, 0x4b, 0x00, 0x01, 0xff, 0x00, 0x10]));
    await page.goto(`${server.baseUrl}/edit?path=${encodeURIComponent(binary)}`);
    const alert = page.locator('section[data-group="0"] .body [role="alert"]');
    await alert.waitFor();
    expect(await alert.innerText()).toContain('Not a text file');
    expect(await tab('weights.bin').getAttribute('aria-selected')).toBe('true');
  });

  it('splits, drags a tab between the splits, and opening an open path focuses its tab', async () => {
    const script = join(work, 'run.sh');
    writeFileSync(script, 'echo hello\n');
    await page.goto(`${server.baseUrl}/edit?path=${encodeURIComponent(script)}`);
    await waitFor(async () => (await editorText()).includes('echo hello'), 'run.sh');
    const openForm = async (path: string) => {
      await page.getByLabel('Open a file by its absolute path').fill(path);
      await page.getByRole('button', { name: 'Open', exact: true }).click();
    };
    await openForm(config);
    await waitFor(async () => (await editorText()).includes('after: 2'), 'train.yaml');
    await page.getByRole('button', { name: 'Split the editor' }).first().click();
    await tab('train.yaml', 1).waitFor();
    // Drag run.sh from the left split onto the right split's tab bar.
    await tab('run.sh', 0).dragTo(page.locator('section[data-group="1"] .tabbar'));
    await tab('run.sh', 1).waitFor();
    expect(await tab('run.sh', 0).count()).toBe(0);
    await waitFor(async () => (await editorText(1)).includes('echo hello'), 'run.sh in the right split');

    // Opening a path that is already open focuses its tab instead of opening it twice.
    await tab('train.yaml', 0).click();
    await openForm(script);
    await waitFor(
      async () => (await tab('run.sh', 1).getAttribute('aria-selected')) === 'true',
      'run.sh focused',
    );
    expect(await page.locator('[role="tab"]', { hasText: 'run.sh' }).count()).toBe(1);
    expect(await page.locator('section[data-group="1"]').getAttribute('class')).toContain('active');
    await page.screenshot({ path: join(SCREENSHOTS, 'editor-split.png') });
  });

  it('⚙ in the footer opens server_config.yaml, outside --fs-root, and saves it', async () => {
    const serverConfig = join(temp.home, 'server_config.yaml');
    await page.getByRole('button', { name: 'Open server_config.yaml' }).click();
    await page.locator('[role="tab"]', { hasText: 'server_config.yaml' }).waitFor();
    expect(new URL(page.url()).searchParams.get('path')).toBe(serverConfig);
    // Before: "Cannot open the file … is outside the directories this server may touch (--fs-root)".
    await waitFor(
      async () => (await activeText()).includes('# Trainyard server configuration.'),
      'the config',
    );
    expect(await page.locator('.group.active .body [role="alert"]').count()).toBe(0);
    await page.locator('.group.active .view-lines').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('# from the console\n');
    await page.keyboard.press('Control+s');
    await waitFor(
      () => readFileSync(serverConfig, 'utf8').includes('# from the console'),
      'the save on disk',
    );
  });

  it('a refused open leaves no dead tab, same-named tabs show their folder, the path box the open file', async () => {
    await page.goto(`${server.baseUrl}/edit`);
    const openForm = async (path: string) => {
      await page.getByLabel('Open a file by its absolute path').fill(path);
      await page.getByRole('button', { name: 'Open', exact: true }).click();
    };
    const alert = page.locator('.group.active .body [role="alert"]');
    const tabOf = (path: string) => page.locator(`[role="tab"][data-path="${path}"]`);
    const refused: Array<[string, RegExp]> = [
      ['proj/hello.py', /absolute path/],
      [`${work}/../proj/hello.py`, /\.\./],
      [work, /not a regular file/],
      [join(work, 'missing.py'), /File not found/],
    ];
    for (const [i, [path, why]] of refused.entries()) {
      await openForm(path);
      await waitFor(async () => why.test(await alert.innerText().catch(() => '')), `the refusal of ${path}`);
      // Before: every refused path kept its tab, each an error.
      expect(await tabOf(path).count()).toBe(1);
      for (const [earlier] of refused.slice(0, i)) expect(await tabOf(earlier).count()).toBe(0);
    }
    const [a, b] = [join(work, 'a', 'hello.py'), join(work, 'b', 'hello.py')];
    for (const file of [a, b]) {
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, `print(${JSON.stringify(file)})\n`);
      await openForm(file);
      await waitFor(async () => (await activeText()).includes(file), file);
    }
    expect(await tabOf(refused[3][0]).count()).toBe(0);
    // Two "hello.py" tabs: each says which folder it is in; the path box shows the active one's path.
    expect(await tabOf(a).innerText()).toMatch(/hello\.py\s*a\b/);
    expect(await tabOf(b).innerText()).toMatch(/hello\.py\s*b\b/);
    const box = page.getByLabel('Open a file by its absolute path');
    expect(await box.inputValue()).toBe(b);
    await tabOf(a).click();
    await waitFor(async () => (await box.inputValue()) === a, 'the path box to follow the tab');
  });

  it('figure: a 5 MiB file opens (click → text visible)', async () => {
    const big = join(work, 'big.yaml');
    const line = (i: number) => `key_${String(i).padStart(7, '0')}: {{ value_${i} }}  # padding padding\n`;
    let text = '';
    for (let i = 0; text.length < 5 * 1024 * 1024; i++) text += line(i);
    writeFileSync(big, text);
    await page.getByLabel('Open a file by its absolute path').fill(big);
    const started = Date.now();
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await waitFor(async () => {
      const shown = await page.locator('.group.active .view-lines').innerText();
      return shown.includes('key_0000000');
    }, 'the 5 MiB file');
    const ms = Date.now() - started;
    process.stdout.write(`figure: 5 MiB file, click → text visible: ${ms} ms\n`);
    expect(ms).toBeLessThan(15_000);
  });

  it('keeps a UTF-8 byte-order mark and CRLF line ends through a save', async () => {
    const file = join(work, 'bom.yaml');
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    writeFileSync(file, Buffer.concat([bom, Buffer.from('bom: 1\r\nnext: 2\r\n')]));
    await page.goto(`${server.baseUrl}/edit?path=${encodeURIComponent(file)}&line=2`);
    await waitFor(async () => (await editorText()).includes('next: 2'), 'the file in Monaco');
    await page.keyboard.press('End');
    await page.keyboard.type(' # x');
    await tab('bom.yaml').locator('.dirty-dot').waitFor();
    await page.keyboard.press('Control+s');
    await waitFor(() => readFileSync(file, 'utf8').includes('# x'), 'the save on disk');
    expect(readFileSync(file)).toEqual(Buffer.concat([bom, Buffer.from('bom: 1\r\nnext: 2 # x\r\n')]));
  });

  it('every request stayed on the server origin and nothing broke the CSP', () => {
    const origin = new URL(server.baseUrl).origin;
    const foreign = requests.filter(
      (url) => !url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== origin,
    );
    expect(foreign).toEqual([]);
    // Monaco's files really came from this server.
    expect(requests.some((url) => url.startsWith(`${origin}/assets/monaco/min/vs/`))).toBe(true);
    expect(csp).toEqual([]);
  });
});
