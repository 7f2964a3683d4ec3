/** Shortest node id prefix shown after a shared hostname (a UUID's first group). */
const MIN_SUFFIX = 8;

/**
 * What to call each node in the console, by node id: its hostname, or, when other nodes share that
 * hostname, `hostname · <id prefix>` — the shortest prefix (at least 8 characters) that tells those
 * nodes apart. `nodes` may repeat a node (e.g. members and bundle ranks together); its first
 * hostname counts.
 */
export function nodeLabels(
  nodes: Iterable<{ node_id: string; hostname: string }>,
): ReadonlyMap<string, string> {
  const hostnameOf = new Map<string, string>();
  for (const n of nodes) if (!hostnameOf.has(n.node_id)) hostnameOf.set(n.node_id, n.hostname);
  const idsByHost = new Map<string, string[]>();
  for (const [id, host] of hostnameOf) idsByHost.set(host, [...(idsByHost.get(host) ?? []), id]);

  const labels = new Map<string, string>();
  for (const [host, ids] of idsByHost) {
    if (ids.length === 1) {
      labels.set(ids[0], host);
      continue;
    }
    let len = MIN_SUFFIX;
    while (new Set(ids.map((id) => id.slice(0, len))).size < ids.length) len++;
    for (const id of ids) labels.set(id, `${host} · ${id.slice(0, len)}`);
  }
  return labels;
}
