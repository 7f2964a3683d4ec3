import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '@trainyard/core';
import { AddSearchRootCommand, RemoveSearchRootCommand } from './commands/add-search-root.command';
import { AddSearchRootRequestDto, SearchRootDto, SearchRootQueryDto } from './fs.dto';
import { SearchRootRepository } from './infrastructure/search-root.repository';

/** Directories the files tree starts from; stored in the database (journaled), so they survive restarts. */
@ApiTags('fs')
@Controller('search-roots')
export class SearchRootsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly roots: SearchRootRepository,
  ) {}

  /** Every search root, oldest first. */
  @Get()
  @ApiErrors(401)
  async listSearchRoots(): Promise<SearchRootDto[]> {
    return this.roots.list();
  }

  /** Adds a directory (with `create`, makes it first); adding one already there changes nothing. Answers the list. */
  @Post()
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 404)
  async addSearchRoot(@Body() body: AddSearchRootRequestDto): Promise<SearchRootDto[]> {
    return this.commandBus.execute(new AddSearchRootCommand(body.path, body.create === true));
  }

  /** Forgets a search root (its directory is untouched); 404 when it is not one. Answers the rest. */
  @Delete()
  @ApiErrors(400, 401, 404)
  async removeSearchRoot(@Query() query: SearchRootQueryDto): Promise<SearchRootDto[]> {
    return this.commandBus.execute(new RemoveSearchRootCommand(query.path));
  }
}
