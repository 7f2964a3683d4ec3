import { existsSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { StatePaths, writeFileAtomic } from '@trainyard/core';

/** A stable id for this host's journal entries (origin_node_id), made on first boot. */
export function loadOrCreateNodeId(paths: StatePaths): string {
  if (existsSync(paths.nodeId)) {
    const id = readFileSync(paths.nodeId, 'utf8').trim();
    if (id) return id;
  }
  const id = randomUUID();
  writeFileAtomic(paths.nodeId, `${id}\n`);
  return id;
}
