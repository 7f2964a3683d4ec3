import { Module } from '@nestjs/common';
import { homedir } from 'node:os';
import { SERVER_CONFIG, type ServerConfig } from '@trainyard/core';
import { AddSearchRootHandler, RemoveSearchRootHandler } from './commands/search-root.handlers';
import { FileOps, FS_GUARD } from './file-ops';
import { FsController, TemplateSourceController } from './fs.controller';
import { FsGuard } from './fs-guard';
import { SearchRootRepository } from './infrastructure/search-root.repository';
import { SearchRootsController } from './search-roots.controller';
import { SourceFiles } from './source-files';

/**
 * Files: `/api/fs/*` (browse, quick paths, create, rename, copy, move, delete, editor source, README
 * images), `/api/template/source` (the original's path for the source) and `/api/search-roots`.
 */
@Module({
  controllers: [FsController, TemplateSourceController, SearchRootsController],
  providers: [
    {
      provide: FS_GUARD,
      // HOME from the server's environment at start (the config holds it; nothing reads process.env);
      // the config file so the editor can open it under --fs-root (that file only, see FsGuard.editable).
      inject: [SERVER_CONFIG],
      useFactory: (config: ServerConfig) =>
        new FsGuard(config.fs_root, config.job_env.HOME || homedir(), config.config_file),
    },
    FileOps,
    SourceFiles,
    SearchRootRepository,
    AddSearchRootHandler,
    RemoveSearchRootHandler,
  ],
  // The projects lib reuses the guard, the guarded file operations and the search roots.
  exports: [FS_GUARD, FileOps, SearchRootRepository],
})
export class FsModule {}
