import { existsSync } from 'node:fs';
import {
  type Client,
  cancelQueueItem,
  controlJob,
  createTrainyardClient,
  listJobs,
  setPassword,
  submitJob,
} from '@trainyard/sdk';
import { Browser, BrowserContext, type BrowserContextOptions, Page } from 'playwright-core';
import { SpawnedServer, spawnServer } from '../support/spawned-server';
import { CONSOLE_INDEX, launchChromium } from './browser';

/** The password the console helpers set on each server. */
export const PASSWORD = 'correct horse battery';

/** A built server and a Chromium page signed in to its console. */
export interface ConsoleSession {
  server: SpawnedServer;
  api: Client;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Uncaught errors in the page; a spec checks it stays empty after each test. */
  pageErrors: string[];
}

/** Chromium and one page, and the uncaught errors seen in it. */
export type ConsolePage = Pick<ConsoleSession, 'browser' | 'context' | 'page' | 'pageErrors'>;

/**
 * Launches Chromium and opens the built console of `server` by its token link, waiting for the GPUs
 * view. The server should have a password already, or the console asks for one first. `options` go
 * to the browser context (viewport, colour scheme). Closes Chromium again if the page never loads.
 * With `shared`, a new context of that browser instead (close the context, not the browser): a
 * Chromium launch costs seconds of CPU, a context next to none.
 */
export async function openConsolePage(
  server: Pick<SpawnedServer, 'baseUrl' | 'token'>,
  options: BrowserContextOptions = {},
  shared?: Browser,
): Promise<ConsolePage> {
  if (!existsSync(CONSOLE_INDEX)) throw new Error(`${CONSOLE_INDEX} is missing: run npx ng build first`);
  const browser = shared ?? (await launchChromium());
  let context: BrowserContext | undefined;
  try {
    context = await browser.newContext(options);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${server.baseUrl}/?token=${server.token}`);
    await page.getByRole('heading', { name: 'GPUs' }).waitFor();
    return { browser, context, page, pageErrors };
  } catch (err) {
    await (shared ? context?.close() : browser.close());
    throw err;
  }
}

/**
 * Starts the built server in `home`, sets a password (so the token link signs straight in rather
 * than asking for one) and opens the console at 1280×800 on the GPUs view. `args` go to the server
 * (e.g. `--goodseed-dir DIR`), `env` into its environment (e.g. a PATH with the fake tools first).
 */
export async function openConsole(
  home: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<ConsoleSession> {
  if (!existsSync(CONSOLE_INDEX)) throw new Error(`${CONSOLE_INDEX} is missing: run npx ng build first`);
  const server = await spawnServer(home, args, env);
  const api = createTrainyardClient({ baseUrl: server.baseUrl, token: server.token ?? undefined });
  await setPassword({ client: api, body: { new_password: PASSWORD } });
  return { server, api, ...(await openConsolePage(server, { viewport: { width: 1280, height: 800 } })) };
}

/** Stops every job still queued or running (force-kill, else cancel), then closes Chromium and the server. */
export async function closeConsole(session: Partial<ConsoleSession> | undefined): Promise<void> {
  const api = session?.api;
  try {
    if (api) {
      const { data } = await listJobs({ client: api, query: { status: 'queued,starting,running' } });
      for (const job of data.items) {
        await controlJob({ client: api, path: { queue_id: job.queue_id, action: 'force-kill' } }).catch(() =>
          cancelQueueItem({ client: api, path: { queue_id: job.queue_id } }).catch(() => undefined),
        );
      }
    }
  } finally {
    // Even when the server is down (a test failed while it was stopped): Chromium must not outlive jest.
    await session?.context?.close();
    await session?.browser?.close();
    await session?.server?.stop();
  }
}

/** Queues a 0-GPU `command` job named `name` running `argv` (default `true`); resolves with its queue_id. */
export async function submitNamedCommand(
  api: Client,
  name: string,
  argv: string[] = ['true'],
  requestedGpus = 0,
): Promise<string> {
  const { data } = await submitJob({
    client: api,
    body: { job_type: 'command', requested_gpus: requestedGpus, job_params: { argv }, name },
  });
  return data.queue_id;
}
