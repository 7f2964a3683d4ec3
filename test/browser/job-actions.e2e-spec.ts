import { join } from 'node:path';
import { type Client, type SubmitJobRequestDto, getJob, setScheduler, submitJob } from '@trainyard/sdk';
import { Page } from 'playwright-core';
import { SpawnedServer } from '../support/spawned-server';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { SCREENSHOTS } from './browser';
import { type ConsoleSession, closeConsole, openConsole } from './console-session';

/**
 * Job actions in the console against the built server: destructive actions ask first (naming the
 * job and its runtime) and hold the table still meanwhile; a one-line command is split like a shell;
 * a missing program says so; Resubmit pre-fills the form; the pane shows env, end time and why a
 * queued job waits.
 */
describe('job actions (browser e2e)', () => {
  const temp = makeTempHome();
  let server: SpawnedServer;
  let api: Client;
  let page: Page;
  let pageErrors: string[] = [];

  const jobRow = (id: string) => page.locator(`tr[data-job-id="${id}"]`);
  const command = async (
    argv: string[],
    extra: Partial<Omit<SubmitJobRequestDto, 'job_type' | 'job_params'>> = {},
  ) =>
    (
      await submitJob({
        client: api,
        body: { job_type: 'command', requested_gpus: 0, job_params: { argv }, ...extra },
      })
    ).data;
  const jobOf = async (id: string) => (await getJob({ client: api, path: { queue_id: id } })).data;

  let session: ConsoleSession | undefined;
  beforeAll(async () => {
    session = await openConsole(temp.home);
    ({ server, api, page } = session);
    pageErrors = session.pageErrors;
  });

  afterAll(async () => {
    await closeConsole(session);
    temp.remove();
  });

  afterEach(() => expect(pageErrors).toEqual([]));

  it('asks before a kill, naming the job and its runtime; Cancel (and Enter) leave it running, rows hold still', async () => {
    const victim = await command(['sleep', '120'], { name: 'multi-day-run' });
    await page.goto(`${server.baseUrl}/jobs`);
    const row = jobRow(victim.queue_id);
    await row.locator('.status-running').waitFor();

    await row.getByRole('button', { name: 'Kill multi-day-run' }).click();
    const dialog = page.getByRole('dialog', { name: 'Kill multi-day-run?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toMatch(/runtime\s*\d+s/);
    expect(await dialog.textContent()).toContain(victim.queue_id);
    // Focus starts on Cancel: an Enter pressed by habit does not kill.
    await waitFor(
      async () =>
        (await page.evaluate<string>('document.activeElement?.textContent?.trim()')) === 'Cancel' ||
        undefined,
      'focus on Cancel',
    );
    const order = async () =>
      page.locator('tr[data-job-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job-id')));
    const before = await order();
    // A job submitted meanwhile would come in above the row; the table holds still while the dialog is open.
    const newcomer = await command(['sleep', '60'], { name: 'newcomer' });
    await page.waitForTimeout(6_000); // longer than the live poll (5 s), and the stream frame came at once
    expect(await order()).toEqual(before);
    await page.screenshot({ path: join(SCREENSHOTS, 'kill-confirm.png') });

    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    expect((await jobOf(victim.queue_id)).status).toBe('running');
    await jobRow(newcomer.queue_id).waitFor(); // held updates arrive once the dialog closes

    // Confirming does kill it.
    await row.getByRole('button', { name: 'Kill multi-day-run' }).click();
    await dialog.getByRole('button', { name: 'Kill job' }).click();
    await row.locator('.status-aborted').waitFor();
  });

  it('runs a command typed on one line with quotes, previewing its argv; a missing program says "command not found"', async () => {
    await page.goto(`${server.baseUrl}/jobs`);
    await page.locator('button.new-job').click();
    const dialog = page.getByRole('dialog', { name: 'New job' });
    await dialog.waitFor();
    await dialog.getByLabel('Job type').selectOption('command');
    await dialog.getByLabel('argv *').fill(`sh -c 'echo "hello   world" $0' "two words"`);
    const preview = dialog.locator('#param-argv-preview .arg');
    expect(await preview.allTextContents()).toEqual(['sh', '-c', 'echo "hello   world" $0', 'two words']);
    await dialog.getByLabel('Name').fill('one-liner');
    await dialog.getByRole('button', { name: 'Submit' }).click();
    await page.waitForURL(/\/jobs\/q_/);
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
    await waitFor(
      async () => ((await jobOf(id)).status === 'done' ? true : undefined),
      'the one-liner to finish',
    );
    await page.locator('.log-term .xterm-rows', { hasText: 'hello   world two words' }).waitFor();

    await page.locator('button.new-job').click();
    await dialog.waitFor();
    await dialog.getByLabel('argv *').fill('no-such-program-xyz --lr 3e-4');
    await dialog.getByLabel('Name').fill('typo');
    await dialog.getByRole('button', { name: 'Submit' }).click();
    await page.waitForURL((url) => !url.pathname.endsWith(id));
    const pane = page.getByRole('region', { name: 'Job typo' });
    await pane.locator('.job-error', { hasText: 'command not found: no-such-program-xyz' }).waitFor();
  });

  it('resubmits a job through the form, pre-filled with its settings', async () => {
    const cwd = temp.home;
    const settings = {
      name: 'nightly eval',
      env: { GREETING: 'hi there' },
      priority: 3,
      cwd,
      // Every setting the form shows is carried: a 2 min grace lets a trainer finish its checkpoint.
      time_limit_s: 5400,
      kill_grace_s: 120,
      log_cap_bytes: 65_536,
      preemptible: true,
    };
    const old = await command(['sh', '-c', 'echo "$GREETING from $PWD"'], settings);
    await waitFor(
      async () => ((await jobOf(old.queue_id)).status === 'done' ? true : undefined),
      'the job to end',
    );
    await page.goto(`${server.baseUrl}/jobs/${old.queue_id}`);
    const pane = page.getByRole('region', { name: 'Job nightly eval' });
    await pane.getByRole('button', { name: 'Resubmit…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Resubmit nightly eval' });
    await dialog.waitFor();
    // The form fills in once the job types have loaded.
    await waitFor(
      async () => ((await dialog.getByLabel('Job type').inputValue()) === 'command' ? true : undefined),
      'the job type to be filled in',
    );
    expect(await dialog.getByLabel('argv *').inputValue()).toBe(`sh -c 'echo "$GREETING from $PWD"'`);
    expect(await dialog.getByLabel('Name').inputValue()).toBe('nightly eval');
    expect(await dialog.getByLabel('Priority').inputValue()).toBe('3');
    expect(await dialog.getByLabel('GPUs').inputValue()).toBe('0');
    expect(await dialog.getByLabel('Working directory').inputValue()).toBe(cwd);
    expect(await dialog.getByLabel(/^Environment/).inputValue()).toBe('GREETING=hi there');
    await page.evaluate("document.querySelector('dialog[open] details.advanced').open = true");
    expect(await dialog.getByLabel('Time limit').inputValue()).toBe('1h30m');
    expect(await dialog.getByLabel('Kill grace').inputValue()).toBe('2m');
    expect(await dialog.getByLabel('Log cap').inputValue()).toBe('64K');
    await dialog.getByRole('button', { name: 'Submit' }).click();
    await page.waitForURL((url) => !url.pathname.endsWith(old.queue_id));
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
    await waitFor(async () => ((await jobOf(id)).status === 'done' ? true : undefined), 'the copy to end');
    const copy = await jobOf(id);
    expect(copy).toMatchObject(settings);
    expect(copy.job_params).toEqual({ argv: ['sh', '-c', 'echo "$GREETING from $PWD"'] });

    // The pane of a finished job shows its environment and when it ended.
    const donePane = page.getByRole('region', { name: 'Job nightly eval' });
    await donePane.locator('.facts', { hasText: 'GREETING=hi there' }).waitFor();
    await donePane.locator('.facts dt', { hasText: 'ended' }).waitFor();
  });

  it('shows why a queued job waits in its pane', async () => {
    await setScheduler({ client: api, body: { enabled: false } });
    try {
      const waiting = await command(['true'], { name: 'waiter' });
      await page.goto(`${server.baseUrl}/jobs/${waiting.queue_id}`);
      const pane = page.getByRole('region', { name: 'Job waiter' });
      await pane.locator('.pending', { hasText: 'scheduler is paused' }).waitFor();
    } finally {
      await setScheduler({ client: api, body: { enabled: true } });
    }
  });
});
