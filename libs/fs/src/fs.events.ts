import { JournalEntryType, type JournaledEvent } from '@trainyard/journal';

// Journal entries about search roots; the fields are the payload and its OpenAPI schema. Changing one
// is a new `.v<N>` (see journal-entry-type.ts); the replay rules are in infrastructure/search-root.replay.ts.
// File operations themselves are node-local side effects and are not journaled.

/** A search root was added. */
@JournalEntryType(
  'fs.search_root_added.v1',
  'a search root was added. A replica inserts the `search_roots` row (a path on the origin node).',
)
export class SearchRootAddedEvent implements JournaledEvent {
  /** Absolute, normalised path. */
  readonly path: string;
  /** ISO 8601 time it was added. */
  readonly added_at: string;

  constructor(fields: SearchRootAddedEvent) {
    this.path = fields.path;
    this.added_at = fields.added_at;
  }
}

/** A search root was removed (the directory itself is untouched). */
@JournalEntryType(
  'fs.search_root_removed.v1',
  'a search root was removed (its directory is untouched). A replica deletes the `search_roots` row.',
)
export class SearchRootRemovedEvent implements JournaledEvent {
  readonly path: string;

  constructor(fields: SearchRootRemovedEvent) {
    this.path = fields.path;
  }
}
