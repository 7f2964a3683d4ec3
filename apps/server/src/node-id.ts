import { existsSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { nodeIdProblem, normalNodeId, StatePaths, writeFileAtomic } from '@trainyard/core';

/**
 * A stable id for this host's journal entries (origin_node_id) and its cluster membership, made on
 * first boot. A hand-edited file must hold a node id as the API takes them (upper-case hex is read as
 * its lower case): any other id could never be named in a request.
 */
export function loadOrCreateNodeId(paths: StatePaths): string {
  if (existsSync(paths.nodeId)) {
    const text = readFileSync(paths.nodeId, 'utf8').trim();
    if (text) {
      const id = normalNodeId(text);
      if (!id)
        throw new Error(
          `${nodeIdProblem(paths.nodeId, text)}; fix the file, or remove it and a new id is made at the next start`,
        );
      return id;
    }
  }
  const id = randomUUID();
  writeFileAtomic(paths.nodeId, `${id}\n`);
  return id;
}
