import { expectAffected, replayRule, type ReplayRule } from '@trainyard/journal';
import { SearchRootAddedEvent, SearchRootRemovedEvent } from '../fs.events';
import { SearchRootEntity } from './search-root.entity';

/** How `fs.*` entries change a replica's `search_roots` rows (the same writes as the live path). */
export const FS_REPLAY_RULES: readonly ReplayRule[] = [
  replayRule(SearchRootAddedEvent, async (tx, e) => {
    await tx.insert(SearchRootEntity, { path: e.path, added_at: e.added_at });
  }),
  replayRule(SearchRootRemovedEvent, async (tx, e) => {
    expectAffected(await tx.delete(SearchRootEntity, { path: e.path }), 1, `search root ${e.path}`);
  }),
];
