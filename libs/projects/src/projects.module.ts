import { Module } from '@nestjs/common';
import { FsModule } from '@trainyard/fs';
import { ConfigOverrideRepository } from './infrastructure/config-override.repository';
import { ProjectCatalog } from './project-catalog';
import { ProjectService } from './project-service';
import { ConfigOverridesController, ProjectsController } from './projects.controller';

/** `/api/projects/*` (discovery, detail, artifacts, run, new project/config) and `/api/config/overrides`. */
@Module({
  imports: [FsModule],
  controllers: [ProjectsController, ConfigOverridesController],
  providers: [ProjectCatalog, ProjectService, ConfigOverrideRepository],
})
export class ProjectsModule {}
