import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Client, createTrainyardClient, setPassword } from '@trainyard/sdk';
import { awaitClusterFormed, nodeOf, type ClusterNode } from '../support/cluster';
import { natsServer, type NatsServer } from '../support/nats-server';
import { freePort } from '../support/ports';
import { spawnServer } from '../support/spawned-server';
import { makeTempHome } from '../support/temp-home';
import { CONSOLE_INDEX } from './browser';
import { type ConsolePage, PASSWORD, openConsolePage } from './console-session';

/** A real cluster of built servers and a Chromium page signed in to node 0's console. */
export interface ClusterSession extends ConsolePage {
  nats: NatsServer;
  nodes: ClusterNode[];
  /** The node ids, in `nodes` order. */
  ids: string[];
  /** An SDK client per node, in `nodes` order. */
  apis: Client[];
  /** The nodes' state directories, then nats-server's store. */
  homes: Array<{ home: string; remove: () => void }>;
}

/**
 * Starts a real `nats-server -js` and `nodes` (default 2) built servers with `fakeGpus` (default 1)
 * fake GPUs each, joined to it as cluster `cluster` (so its name shows in the console); waits until
 * they agree on one master, sets a password on every node (so the token link, and the console's
 * sign-in to another node, go straight in), and opens node 0's console in dark mode at `viewport`
 * on the GPUs view. On failure it stops whatever it started.
 */
export async function openClusterConsole(options: {
  cluster: string;
  viewport: { width: number; height: number };
  nodes?: number;
  fakeGpus?: number;
}): Promise<ClusterSession> {
  if (!existsSync(CONSOLE_INDEX)) throw new Error(`${CONSOLE_INDEX} is missing: run npx ng build first`);
  const prefix = `trainyard-${options.cluster}-`;
  const homes = Array.from({ length: options.nodes ?? 2 }, () => makeTempHome(prefix));
  const store = makeTempHome(`${prefix}nats-`);
  const session: Partial<ClusterSession> = { homes: [...homes, store], nodes: [] };
  try {
    const nats = (session.nats = natsServer(await freePort(), join(store.home, 'js')));
    await nats.start();
    const args = [
      '--fake-gpus',
      String(options.fakeGpus ?? 1),
      '--cluster',
      options.cluster,
      ...nats.clientArgs,
      '--cluster-address',
      '127.0.0.1',
    ];
    // Each server joins the session as soon as it is up (at its home's index): a failure stops it too.
    const nodes: ClusterNode[] = (session.nodes = []);
    await Promise.all(
      homes.map(async (h, i) => {
        nodes[i] = nodeOf(await spawnServer(h.home, args, nats.clientEnv));
      }),
    );
    session.ids = await awaitClusterFormed(nodes);
    session.apis = nodes.map((n) =>
      createTrainyardClient({ baseUrl: n.server.baseUrl, token: n.server.token ?? undefined }),
    );
    for (const api of session.apis) await setPassword({ client: api, body: { new_password: PASSWORD } });
    const page = await openConsolePage(nodes[0].server, { colorScheme: 'dark', viewport: options.viewport });
    return Object.assign(session, page) as ClusterSession;
  } catch (err) {
    await closeClusterConsole(session);
    throw err;
  }
}

/** Closes Chromium, kills the nodes, stops nats-server and removes every state directory. */
export async function closeClusterConsole(session: Partial<ClusterSession> | undefined): Promise<void> {
  await session?.context?.close();
  await session?.browser?.close();
  // filter: a failed start leaves holes.
  await Promise.all((session?.nodes ?? []).filter(Boolean).map((n) => n.server.stop('SIGKILL')));
  await session?.nats?.stop();
  for (const h of session?.homes ?? []) h.remove();
}
