import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { mkdir, stat } from 'node:fs/promises';
import { DomainError } from '@trainyard/core';
import { Journal } from '@trainyard/journal';
import { onPath } from '../fs-errors';
import { FsGuard, invalid, parseAbsolutePath } from '../fs-guard';
import { FS_GUARD } from '../file-ops';
import { SearchRootAddedEvent, SearchRootRemovedEvent } from '../fs.events';
import { type SearchRoot, SearchRootRepository } from '../infrastructure/search-root.repository';
import { AddSearchRootCommand, RemoveSearchRootCommand } from './add-search-root.command';

@CommandHandler(AddSearchRootCommand)
export class AddSearchRootHandler implements ICommandHandler<AddSearchRootCommand, SearchRoot[]> {
  constructor(
    @Inject(FS_GUARD) private readonly guard: FsGuard,
    private readonly roots: SearchRootRepository,
    private readonly journal: Journal,
  ) {}

  async execute({ path: rawPath, create }: AddSearchRootCommand): Promise<SearchRoot[]> {
    const path = await this.guard.path('path', rawPath);
    if (create) await onPath('path', path, () => mkdir(path, { recursive: true }));
    const stats = await onPath('path', path, () => stat(path));
    if (!stats.isDirectory()) throw invalid('path', `path ${path} is not a directory`);
    await this.journal.record(async (tx) => {
      if (await this.roots.find(tx, path)) return { result: undefined, events: [] };
      const root = { path, added_at: new Date().toISOString() };
      await this.roots.add(tx, root);
      return { result: undefined, events: [new SearchRootAddedEvent(root)] };
    });
    return this.roots.list();
  }
}

@CommandHandler(RemoveSearchRootCommand)
export class RemoveSearchRootHandler implements ICommandHandler<RemoveSearchRootCommand, SearchRoot[]> {
  constructor(
    private readonly roots: SearchRootRepository,
    private readonly journal: Journal,
  ) {}

  async execute({ path: rawPath }: RemoveSearchRootCommand): Promise<SearchRoot[]> {
    // Syntax only: a root whose directory is gone (or now outside --fs-root) can still be forgotten.
    const path = parseAbsolutePath('path', rawPath);
    await this.journal.record(async (tx) => {
      if (!(await this.roots.find(tx, path)))
        throw new DomainError('NOT_FOUND', `${path} is not a search root`, [
          { field: 'path', message: `${path} is not a search root` },
        ]);
      await this.roots.remove(tx, path);
      return { result: undefined, events: [new SearchRootRemovedEvent({ path })] };
    });
    return this.roots.list();
  }
}
