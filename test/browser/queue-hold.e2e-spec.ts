import { join } from 'node:path';
import { getJob, setScheduler } from '@trainyard/sdk';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { SCREENSHOTS } from './browser';
import { type ConsoleSession, closeConsole, openConsole, submitNamedCommand } from './console-session';

/** Hold / Release of a queued job: in the Queue view and the Jobs row ⋯ menu (browser e2e). */
describe('holding and releasing a queued job in the console (browser e2e)', () => {
  const temp = makeTempHome();
  let session: ConsoleSession;
  let first: string;
  let second: string;

  // 1 GPU each, on the session's one fake GPU: queued while the scheduler is paused.
  const submit = (name: string) => submitNamedCommand(session.api, name, ['true'], 1);
  const held = async (id: string) =>
    (await getJob({ client: session.api, path: { queue_id: id } })).data.held;

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

  it('holds a job from the Queue view: it is marked held, keeps its place, and Release lets it go', async () => {
    const { page, server } = session;
    await page.goto(`${server.baseUrl}/queue`);
    const row = page.locator(`tr[data-queue-id="${first}"]`);
    await row.waitFor();

    await page.getByRole('button', { name: 'Hold first-job' }).click();
    await page.getByText('first-job is held: it stays queued, in its place, until released.').waitFor();
    // Live, through the jobs stream: the row says held and why it waits, and offers Release.
    await row.locator('.status-held', { hasText: 'held' }).waitFor();
    await row.getByText('held by the user (release it to let it start)').waitFor();
    expect(await held(first)).toBe(true);
    const ids = await page
      .locator('tbody tr[data-queue-id]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-queue-id')));
    expect(ids).toEqual([first, second]);
    // The header and the sidebar's Queue count say how many of the waiting jobs are held.
    await page.locator('.page-head .summary').filter({ hasText: '2 waiting (1 held)' }).waitFor();
    await page.locator('.sidebar [aria-label="2 queued (1 held)"]').waitFor();
    await page.locator('.sidebar .count.held', { hasText: '1 held' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'queue-hold.png') });

    await page.getByRole('button', { name: 'Release first-job' }).click();
    await page.getByRole('button', { name: 'Hold first-job' }).waitFor();
    expect(await row.locator('.status-held').count()).toBe(0);
    expect(await held(first)).toBe(false);
  });

  it('holds and releases from the Jobs row ⋯ menu; the status column reads held', async () => {
    const { page, server } = session;
    await page.goto(`${server.baseUrl}/jobs`);
    const row = page.locator(`tr[data-job-id="${second}"]`);
    await row.waitFor();
    await page.getByRole('button', { name: 'More actions for second-job' }).click();
    await page.getByRole('menuitem', { name: 'Hold (keep it from starting)' }).click();
    await row.locator('.status', { hasText: /^held$/ }).waitFor();
    expect(await held(second)).toBe(true);
    // The Held filter lists the held jobs only (status=held in the URL).
    const filters = page.getByRole('group', { name: 'Filter by status' });
    await filters.getByRole('button', { name: 'Held' }).click();
    await waitFor(() => new URL(page.url()).searchParams.get('status') === 'held', 'status=held in the URL');
    await page.locator(`tr[data-job-id="${first}"]`).waitFor({ state: 'detached' });
    expect(
      await page
        .locator('tbody tr[data-job-id]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job-id'))),
    ).toEqual([second]);
    await filters.getByRole('button', { name: 'All' }).click();
    await page.locator(`tr[data-job-id="${first}"]`).waitFor();

    await page.getByRole('button', { name: 'More actions for second-job' }).click();
    await page.getByRole('menuitem', { name: 'Release (let it start)' }).click();
    await row.locator('.status', { hasText: /^queued$/ }).waitFor();
    await waitFor(
      async () => ((await held(second)) === false ? true : undefined),
      'second-job to be released',
    );
  });
});
