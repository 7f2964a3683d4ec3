import { join } from 'node:path';
import { type Client, deleteService, getJob, listServices, upsertService } from '@trainyard/sdk';
import { Page } from 'playwright-core';
import { SpawnedServer } from '../support/spawned-server';
import { makeTempHome } from '../support/temp-home';
import { freePort } from '../support/ports';
import { waitFor } from '../support/wait';
import { SCREENSHOTS } from './browser';
import { type ConsoleSession, closeConsole, openConsole } from './console-session';

/**
 * The sidebar's Services against the built server: a `command` saved as a service from the submit
 * dialog shows running (green) under Command; ⏹ stops it (its job aborted), ▶ starts it again, ×
 * with a confirmation deletes it from the sidebar and from server_config.yaml.
 */
const FIXTURE_BIN = join(__dirname, '..', 'fixtures', 'bin');

describe('services in the console (browser e2e)', () => {
  const temp = makeTempHome();
  let server: SpawnedServer;
  let api: Client;
  let page: Page;
  let pageErrors: string[] = [];

  const commandGroup = () => page.locator('li.group[data-service-type="command"]');
  const row = (name: string) => commandGroup().locator(`li.instance[data-service="${name}"]`);
  const services = async () => (await listServices({ client: api })).data;
  /** The New job dialog has picked `type` (it loads the job types after it opens). */
  const typeChosen = (type: string) =>
    waitFor(async () => (await page.locator('#job-type').inputValue()) === type, `job type ${type}`);
  const serviceOf = async (name: string) => (await services()).find((s) => s.name === name);

  let session: ConsoleSession | undefined;
  beforeAll(async () => {
    // The fake TensorBoard first on PATH: a tensorboard service runs and serves.
    session = await openConsole(temp.home, [], { PATH: `${FIXTURE_BIN}:${process.env.PATH ?? ''}` });
    ({ server, api, page } = session);
    pageErrors = session.pageErrors;
  });

  afterAll(async () => {
    await closeConsole(session);
    temp.remove();
  });

  afterEach(() => expect(pageErrors).toEqual([]));

  it('lists a launcher per service-capable type, not the batch ones; a launcher opens New job on its type', async () => {
    const sidebar = page.getByRole('navigation', { name: 'Console' });
    await sidebar.getByRole('button', { name: /^Command: start a new one/ }).waitFor();
    await sidebar.getByRole('button', { name: /^Inference: start a new one/ }).waitFor();
    await sidebar.getByRole('button', { name: /^TensorBoard: start a new one/ }).waitFor();
    expect(await page.locator('li.group[data-service-type="training"]').count()).toBe(0);

    await sidebar.getByRole('button', { name: /^TensorBoard: start a new one/ }).click();
    const dialog = page.getByRole('dialog', { name: 'New job' });
    await dialog.waitFor();
    await typeChosen('tensorboard');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it('saves a command as a service, then ⏹ stops it (job aborted), ▶ starts it again, × deletes it', async () => {
    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('button', { name: /^Command: start a new one/ })
      .click();
    const dialog = page.getByRole('dialog', { name: 'New job' });
    await dialog.waitFor();
    await typeChosen('command');
    await dialog.locator('#param-argv').fill('sleep 300');

    // A bad name is refused in the form, before any request.
    await dialog.getByRole('button', { name: 'Save as service…' }).click();
    await dialog.locator('#service-name').fill('web site');
    await dialog.getByRole('button', { name: 'Save service' }).click();
    await dialog.getByText('Letters, digits, - and _ only.').waitFor();
    expect(await services()).toEqual([]);

    // The server's 400 shows inline by field: `name` at the service name, `args.argv` at argv. (The
    // form checks both first, so the request is altered on its way to the real server.)
    await dialog.locator('#service-name').fill('sleeper');
    await page.route('**/api/services', (route) =>
      route.continue({
        postData: JSON.stringify({ ...route.request().postDataJSON(), name: 'bad name', args: { argv: [] } }),
      }),
    );
    await dialog.getByRole('button', { name: 'Save service' }).click();
    await dialog.locator('#service-name[aria-invalid="true"]').waitFor();
    expect(await dialog.locator('#service-name-hint').textContent()).toContain('[A-Za-z0-9_-]+');
    await dialog.locator('#param-argv[aria-invalid="true"]').waitFor();
    expect(await dialog.locator('#param-argv-hint').textContent()).toMatch(/at least 1/);
    await page.screenshot({ path: join(SCREENSHOTS, 'services-save-errors.png') });
    await page.unroute('**/api/services');
    expect(await services()).toEqual([]);

    await dialog.locator('#service-name').fill('sleeper');
    await dialog.getByRole('button', { name: 'Save service' }).click();
    await dialog.waitFor({ state: 'hidden' });

    // Running under Command, green dot and the word beside it.
    const sleeper = row('sleeper');
    await sleeper.locator('.state', { hasText: 'running' }).waitFor();
    expect(await sleeper.locator('.dot').getAttribute('class')).toContain('tone-ok');
    // --ok, light or dark theme.
    expect(
      await sleeper
        .locator('.dot')
        .evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).backgroundColor),
    ).toMatch(/^rgb\((31, 157, 85|76, 195, 138)\)$/);
    await commandGroup().locator('.count', { hasText: '1' }).waitFor();
    const first = await serviceOf('sleeper');
    expect(first).toMatchObject({ enabled: true, state: 'running', args: { argv: ['sleep', '300'] } });
    await page.screenshot({ path: join(SCREENSHOTS, 'services-running.png') });

    // ⏹: stopped and disabled (it stays stopped across restarts), its job aborted.
    await sleeper.getByRole('button', { name: 'Stop sleeper' }).click();
    await sleeper.locator('.state', { hasText: 'disabled' }).waitFor();
    await waitFor(
      async () =>
        (await getJob({ client: api, path: { queue_id: first!.queue_id! } })).data.status === 'aborted' ||
        undefined,
      'the instance aborted',
    );
    expect(await serviceOf('sleeper')).toMatchObject({ enabled: false, queue_id: null });
    await commandGroup().locator('.count').waitFor({ state: 'detached' });

    // ▶: running again, as a new job.
    await sleeper.getByRole('button', { name: 'Start sleeper' }).click();
    await sleeper.locator('.state', { hasText: 'running' }).waitFor();
    const again = await serviceOf('sleeper');
    expect(again).toMatchObject({ enabled: true, state: 'running' });
    expect(again!.queue_id).not.toBe(first!.queue_id);

    // ×: asks first, naming the service; Cancel keeps it.
    await sleeper.getByRole('button', { name: 'Delete sleeper' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete service command/sleeper?' });
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain(again!.queue_id!);
    await page.screenshot({ path: join(SCREENSHOTS, 'services-delete-confirm.png') });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(await serviceOf('sleeper')).toBeDefined();

    await sleeper.getByRole('button', { name: 'Delete sleeper' }).click();
    await confirm.getByRole('button', { name: 'Delete service' }).click();
    await sleeper.waitFor({ state: 'detached' });
    expect(await services()).toEqual([]);
    await waitFor(
      async () =>
        (await getJob({ client: api, path: { queue_id: again!.queue_id! } })).data.status === 'aborted' ||
        undefined,
      'the instance aborted on delete',
    );
  });

  it('keeps the icons, the dots and their actions when the sidebar is collapsed', async () => {
    await page.goto(`${server.baseUrl}/?token=${server.token}`);
    const dialog = page.getByRole('dialog', { name: 'New job' });
    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('button', { name: /^Command: start a new one/ })
      .click();
    await dialog.locator('#param-argv').fill('sleep 301');
    await dialog.getByRole('button', { name: 'Save as service…' }).click();
    await dialog.locator('#service-name').fill('tiny');
    await dialog.locator('#service-name').press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    await row('tiny').locator('.state', { hasText: 'running' }).waitFor();

    await page.getByRole('button', { name: 'Collapse sidebar' }).click();
    const dot = row('tiny').getByRole('button', { name: 'tiny: running (actions)' });
    await dot.waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'services-collapsed.png') });
    await dot.click();
    await page.getByRole('menuitem', { name: 'Stop tiny' }).click();
    await row('tiny').getByRole('button', { name: 'tiny: disabled (actions)' }).waitFor();
    expect(await serviceOf('tiny')).toMatchObject({ enabled: false });
    await page.getByRole('button', { name: 'Expand sidebar' }).click();
  });

  it('a running service that serves has Open ↗ to it, in its row and in the collapsed menu', async () => {
    // Before: only the job pane had it; the sidebar's TensorBoard led to the job, not to TensorBoard.
    await page.goto(`${server.baseUrl}/?token=${server.token}`);
    await upsertService({
      client: api,
      body: {
        type: 'tensorboard',
        name: 'board',
        enabled: true,
        args: { logdir: temp.home, port: await freePort() },
      },
    });
    const board = page.locator('li.group[data-service-type="tensorboard"] li.instance[data-service="board"]');
    const open = board.getByRole('link', { name: 'Open board' });
    await open.waitFor();
    const queueId = (await serviceOf('board'))!.queue_id;
    expect(await open.getAttribute('href')).toBe(`/api/tb/${queueId}/`);
    expect(await open.getAttribute('target')).toBe('_blank');

    await page.getByRole('button', { name: 'Collapse sidebar' }).click();
    await board.getByRole('button', { name: 'board: running (actions)' }).click();
    await page.getByRole('menuitem', { name: `Open /api/tb/${queueId}/ ↗` }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Expand sidebar' }).click();

    await deleteService({ client: api, path: { type: 'tensorboard', name: 'board' } });
    // A service that serves nothing (a command) has none.
    await waitFor(async () => (await page.locator('li.instance a.open').count()) === 0, 'no Open ↗ left');
  });

  it('a failing service says why in its tooltip and leads to its last instance', async () => {
    await page.goto(`${server.baseUrl}/?token=${server.token}`);
    await upsertService({
      client: api,
      body: { type: 'command', name: 'missing', enabled: true, args: { argv: ['ty-no-such-command'] } },
    });
    const entry = row('missing').locator('.what');
    // Before: "Last instance failed (exit code 127)" and no way to the job.
    const title = await waitFor(async () => {
      const text = (await entry.getAttribute('title')) ?? '';
      return /command not found: ty-no-such-command[^]*Open its last instance q_/.test(text)
        ? text
        : undefined;
    }, 'the error and the last instance in the tooltip');
    const instance = /Open its last instance (q_\S+)/.exec(title)![1];
    expect((await getJob({ client: api, path: { queue_id: instance } })).data.error).toBe(
      'command not found: ty-no-such-command',
    );
    await entry.click();
    // Its last instance, or a newer one if it restarted meanwhile.
    await waitFor(() => /^\/jobs\/q_/.test(new URL(page.url()).pathname), 'the job page');
    await deleteService({ client: api, path: { type: 'command', name: 'missing' } });
  });
});
