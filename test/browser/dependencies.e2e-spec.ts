import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Client,
  createTrainyardClient,
  getArray,
  getJob,
  setPassword,
  submitJob,
  type SubmitJobRequestDto,
} from '@trainyard/sdk';
import { Browser, Page } from 'playwright-core';
import { SpawnedServer, spawnServer } from '../support/spawned-server';
import { freePort } from '../support/ports';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { closeConsole } from './console-session';
import { CONSOLE_INDEX, launchChromium, SCREENSHOTS } from './browser';

/** The job pane's dependencies, dependents and array (progress, Cancel array), in Chromium. */
describe('job pane: dependencies and arrays (browser e2e)', () => {
  const temp = makeTempHome();
  let server: SpawnedServer;
  let api: Client;
  let browser: Browser;
  let page: Page;

  const submit = async (body: Partial<SubmitJobRequestDto>) =>
    (
      await submitJob({
        client: api,
        body: { job_type: 'command', requested_gpus: 0, job_params: { argv: ['sleep', '60'] }, ...body },
      })
    ).data;

  beforeAll(async () => {
    if (!existsSync(CONSOLE_INDEX)) throw new Error(`${CONSOLE_INDEX} is missing: run npx ng build first`);
    const port = await freePort();
    server = await spawnServer(temp.home, ['--port', String(port), '--fake-gpus', '1']);
    api = createTrainyardClient({ baseUrl: server.baseUrl, token: server.token ?? undefined });
    await setPassword({ client: api, body: { new_password: 'correct horse battery' } });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 800, height: 720 } });
    page.setDefaultTimeout(20_000);
    await page.goto(`${server.baseUrl}/?token=${server.token}`);
  }, 60_000);

  afterAll(async () => {
    // Jobs outlive the server by design: closeConsole stops whatever is still queued or running.
    await closeConsole({ api, browser, server });
    temp.remove();
  });

  it('links a job to what it waits for and back, by keyboard', async () => {
    const head = await submit({ name: 'train' });
    const tail = await submit({
      name: 'eval',
      depends_on: [{ queue_id: head.queue_id, condition: 'after_ok' }],
    });
    await page.goto(`${server.baseUrl}/jobs/${tail.queue_id}`);
    const deps = page.getByRole('group', { name: 'Dependencies' });
    await deps.getByText('after it succeeds').waitFor();
    await page.getByText(`waiting for ${head.queue_id} to succeed`).waitFor();
    await deps.getByRole('link', { name: head.queue_id }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/jobs/${head.queue_id}`);
    const dependents = page.getByRole('group', { name: 'Dependents' });
    await dependents.getByRole('link', { name: 'eval' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'job-dependencies-800.png') });
  });

  it('shows an array with its progress and cancels it whole after asking', async () => {
    const first = await submit({
      name: 'sweep',
      job_params: { argv: ['sh', '-c', 'test {index} -eq 0 || sleep 60'] },
      array: { count: 3, max_running: 1 },
    });
    const arrayId = first.array_id!;
    await waitFor(
      async () => {
        const { counts } = (await getArray({ client: api, path: { array_id: arrayId } })).data;
        return counts.done === 1 && counts.running === 1;
      },
      'the first job of the array to end and the second to run',
      30_000,
    );
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(`${server.baseUrl}/jobs/${first.queue_id}`);
    const group = page.getByRole('group', { name: 'Array' });
    await group.getByText('1/3').waitFor();
    await group.getByText(arrayId).waitFor();
    await group.getByRole('button', { name: 'Cancel array' }).click();
    const dialog = page.getByRole('dialog', { name: `Cancel array ${arrayId}?` });
    await dialog
      .getByText('1 queued job is cancelled (kept as aborted) and 1 running job is stopped')
      .waitFor();
    await dialog.getByRole('button', { name: 'Cancel array' }).click();
    await waitFor(
      async () => {
        const { data } = await getArray({ client: api, path: { array_id: arrayId } });
        return data.total === 3 && data.finished === 3 ? data : undefined; // the cancelled one stays, aborted
      },
      'the array to be cancelled',
      30_000,
    );
    await page.reload();
    await group.getByText('3/3').waitFor();
    expect(await group.getByRole('button', { name: 'Cancel array' }).count()).toBe(0);
  });

  it("retries an array's failed jobs from the pane; the copy and its original link to each other, and the button goes", async () => {
    const first = await submit({
      name: 'flaky',
      job_params: { argv: ['sh', '-c', 'test {index} -eq 0 || exit 2'] },
      array: { count: 2 },
    });
    const arrayId = first.array_id!;
    const ended = await waitFor(async () => {
      const { data } = await getArray({ client: api, path: { array_id: arrayId } });
      return data.finished === 2 ? data : undefined;
    }, 'the array to end');
    const failed = ended.jobs.find((j) => j.array_index === 1)!.queue_id;
    await page.goto(`${server.baseUrl}/jobs/${first.queue_id}`);
    const group = page.getByRole('group', { name: 'Array' });
    await group.getByText('1 failed').waitFor();
    // Scrolled down the list, on this job: a retry asks first and leaves both where they were.
    const list = page.locator('.list-pane');
    await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
    const scrolled = await list.evaluate((el) => el.scrollTop);
    await group.getByRole('button', { name: 'Retry failed' }).click();
    const dialog = page.getByRole('dialog', { name: `Retry 1 job of array ${arrayId}?` });
    await dialog.getByText('(1 job) is queued again as a new array').waitFor();
    await dialog.getByRole('button', { name: 'Queue 1 job again' }).click();
    await page.getByText(/Retrying 1 job as array a_/).waitFor();
    await group.getByText('retried as').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/jobs/${first.queue_id}`);
    expect(await list.evaluate((el) => el.scrollTop)).toBe(scrolled);
    const { data: after } = await getArray({ client: api, path: { array_id: arrayId } });
    const copy = after.jobs.find((j) => j.array_index === 1)!.retried_as!;
    await page.goto(`${server.baseUrl}/jobs/${copy}`);
    const retries = page.getByRole('group', { name: 'Retry of' });
    await retries.getByRole('link', { name: failed }).waitFor();
    // The failed original: linked to its copy; its array says as what it was retried, and offers
    // no second retry of the same failures (the server would refuse it).
    await page.goto(`${server.baseUrl}/jobs/${failed}`);
    await page.getByRole('group', { name: 'Retried as' }).getByRole('link', { name: copy }).waitFor();
    await group.getByText('retried as').waitFor();
    expect(await group.getByRole('button', { name: 'Retry failed' }).count()).toBe(0);
  });

  it('names, before a kill, the queued jobs that will end aborted because of it (after_ok, not after_any)', async () => {
    const head = await submit({ name: 'pretrain' });
    await submit({ name: 'finetune', depends_on: [{ queue_id: head.queue_id, condition: 'after_ok' }] });
    await submit({ name: 'notify', depends_on: [{ queue_id: head.queue_id, condition: 'after_any' }] });
    await waitFor(
      async () =>
        (await getJob({ client: api, path: { queue_id: head.queue_id } })).data.pid !== null || undefined,
      'pretrain to run',
    );
    await page.goto(`${server.baseUrl}/jobs/${head.queue_id}`);
    const pane = page.locator('ty-job-detail');
    await pane.getByRole('button', { name: /^Kill/ }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Kill pretrain?' });
    await dialog
      .getByRole('note')
      .getByText(
        /^1 queued job that depends on it will end aborted \(dependency_failed\): finetune \([0-9a-f]+\)\.$/,
      )
      .waitFor();
    expect(await dialog.getByText('notify').count()).toBe(0);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it("lists an array's jobs (only them) from the array id in a job's pane, as a removable filter", async () => {
    const first = await submit({ name: 'grid', array: { count: 2 } });
    const arrayId = first.array_id!;
    // A job that only mentions the array id: a text search would list it too.
    const other = await submit({ name: `after-${arrayId}`, job_params: { argv: ['echo', arrayId] } });
    await page.goto(`${server.baseUrl}/jobs/${first.queue_id}?status=failed`);
    await page.getByRole('group', { name: 'Array' }).getByRole('button', { name: arrayId }).click();
    await page.waitForURL(
      (url) =>
        url.searchParams.get('array') === arrayId &&
        !url.searchParams.has('status') &&
        !url.searchParams.has('q'),
    );
    expect(new URL(page.url()).pathname).toBe(`/jobs/${first.queue_id}`);
    await page.locator('tr[data-job-id]').nth(1).waitFor();
    expect(await page.locator('tr[data-job-id]').count()).toBe(2);
    expect(await page.locator(`tr[data-job-id="${other.queue_id}"]`).count()).toBe(0);
    // A reload keeps it; its chip takes it away.
    await page.reload();
    const chip = page.getByRole('button', { name: `array ${arrayId} ✕` });
    await chip.click();
    await page.waitForURL((url) => !url.searchParams.has('array'));
    await page.locator(`tr[data-job-id="${other.queue_id}"]`).waitFor();
  });

  it('cleans up only finished jobs older than the age chosen, as `sched cleanup --older-than 7d` does', async () => {
    await page.goto(`${server.baseUrl}/jobs`);
    await page.getByRole('button', { name: 'Clean up finished…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Clean up finished jobs' });
    await dialog.getByRole('button', { name: /^Delete \d+ jobs?$/ }).waitFor();
    await dialog.getByLabel('Ended more than').selectOption('7d');
    await dialog.getByRole('checkbox', { name: 'done' }).uncheck();
    await dialog.getByText('Every failed and aborted job that ended more than 7d ago').waitFor();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    // Every job here ended minutes ago: none is old enough.
    await page.getByText('No finished job matched.').waitFor();
  });
});
