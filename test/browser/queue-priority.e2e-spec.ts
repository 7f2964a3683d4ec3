import { join } from 'node:path';
import { getJob, setScheduler } from '@trainyard/sdk';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { SCREENSHOTS } from './browser';
import { type ConsoleSession, closeConsole, openConsole, submitNamedCommand } from './console-session';

/** "Change priority…" of a queued job: in the Queue view and the Jobs row ⋯ menu (browser e2e). */
describe('changing a queued job priority in the console (browser e2e)', () => {
  const temp = makeTempHome();
  let session: ConsoleSession;
  let first: string;
  let second: string;

  // 1 GPU each, on the session's one fake GPU: queued while the scheduler is paused.
  const submit = (name: string) => submitNamedCommand(session.api, name, ['true'], 1);
  const rowIds = () =>
    session.page
      .locator('tbody tr[data-queue-id]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-queue-id')));

  beforeAll(async () => {
    session = await openConsole(temp.home, ['--fake-gpus', '1']);
    await setScheduler({ client: session.api, body: { enabled: false } });
    first = await submit('first-job');
    second = await submit('second-job');
  });
  afterAll(async () => {
    await closeConsole(session);
    temp.remove();
  });
  afterEach(() => expect(session.pageErrors).toEqual([]));

  it('raises a job from the Queue view: the dialog shows the current value, the list reorders live', async () => {
    const { page, server, api } = session;
    await page.goto(`${server.baseUrl}/queue`);
    await page.locator(`tr[data-queue-id="${second}"]`).waitFor();
    expect(await rowIds()).toEqual([first, second]);

    await page.getByRole('button', { name: 'Change priority of second-job' }).click();
    const dialog = page.getByRole('dialog', { name: 'Change priority of second-job' });
    await dialog.waitFor();
    const field = dialog.getByLabel('Priority');
    expect(await field.inputValue()).toBe('0');

    // A bad value is refused at the field, naming the problem; the dialog stays open.
    await field.fill('1.5');
    await field.press('Enter');
    await dialog
      .getByText('Priority must be a whole number from -1,000,000 to 1,000,000, e.g. 10 or -5.')
      .waitFor();
    expect((await getJob({ client: api, path: { queue_id: second } })).data.priority).toBe(0);

    await field.fill('8');
    await dialog.getByRole('button', { name: 'Set priority' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await waitFor(
      async () => ((await rowIds())[0] === second ? true : undefined),
      'second-job to move to the top of the queue',
    );
    const row = page.locator(`tr[data-queue-id="${second}"]`);
    expect(await row.locator('td.num.mono.opt').first().innerText()).toBe('8');
    await page.getByText('second-job: priority 0 → 8.').waitFor();
    expect((await getJob({ client: api, path: { queue_id: second } })).data).toMatchObject({
      status: 'queued',
      priority: 8,
    });
    await page.screenshot({ path: join(SCREENSHOTS, 'queue-priority.png') });
  });

  it('changes it from the Jobs row ⋯ menu too, starting from the current value', async () => {
    const { page, server, api } = session;
    await page.goto(`${server.baseUrl}/jobs`);
    await page.locator(`tr[data-job-id="${first}"]`).waitFor();
    await page.getByRole('button', { name: 'More actions for first-job' }).click();
    await page.getByRole('menuitem', { name: 'Change priority…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Change priority of first-job' });
    const field = dialog.getByLabel('Priority');
    expect(await field.inputValue()).toBe('0');
    await field.fill('-4');
    await field.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    expect((await getJob({ client: api, path: { queue_id: first } })).data.priority).toBe(-4);
  });
});

/** With --priority-aging, the Queue view shows what a waiting job is placed by (browser e2e). */
describe('the Queue view under priority aging (browser e2e)', () => {
  const temp = makeTempHome();
  let session: ConsoleSession;

  beforeAll(async () => {
    // 36,000 per hour: a waiting job gains 10 a second.
    session = await openConsole(temp.home, ['--fake-gpus', '1', '--priority-aging', '36000']);
    await setScheduler({ client: session.api, body: { enabled: false } });
  });
  afterAll(async () => {
    await closeConsole(session);
    temp.remove();
  });
  afterEach(() => expect(session.pageErrors).toEqual([]));

  it("shows the aged priority under the job's own, as `sched list` does", async () => {
    const { page, server } = session;
    const id = await submitNamedCommand(session.api, 'aging-job', ['true'], 1);
    await new Promise((r) => setTimeout(r, 1500));
    await page.goto(`${server.baseUrl}/queue`);
    // Before: only the job's own priority (0), while the scheduler placed it as 15 or more.
    const cell = page.locator(`tr[data-queue-id="${id}"] td.num.mono.opt`).first();
    await cell.locator('.aged').waitFor();
    const [own, aged] = (await cell.innerText()).split(/\s+aged\s+/);
    expect(own.trim()).toBe('0');
    expect(Number(aged)).toBeGreaterThanOrEqual(15);
    expect(aged).toMatch(/^\d+(\.\d)?$/);
    await page.screenshot({ path: join(SCREENSHOTS, 'queue-aged-priority.png') });
  });
});
