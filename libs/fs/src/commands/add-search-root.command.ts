import { Command } from '@nestjs/cqrs';
import type { SearchRoot } from '../infrastructure/search-root.repository';

/**
 * Registers a directory as a search root (with `create`, makes it first, parents included). Answers
 * every search root; adding one already there changes nothing.
 */
export class AddSearchRootCommand extends Command<SearchRoot[]> {
  constructor(
    readonly path: unknown,
    readonly create: boolean,
  ) {
    super();
  }
}

/** Forgets a search root (the directory is untouched); 404 when it is not one. Answers the rest. */
export class RemoveSearchRootCommand extends Command<SearchRoot[]> {
  constructor(readonly path: unknown) {
    super();
  }
}
