import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '@trainyard/core';
import { Journal } from './journal';
import { JournalPageDto, ListJournalQueryDto } from './journal.dto';

@ApiTags('journal')
@Controller('journal')
export class JournalController {
  constructor(private readonly journal: Journal) {}

  /** Lists journal entries in commit order (the record replication ships). */
  @Get()
  @ApiErrors(400, 401)
  async listJournal(@Query() query: ListJournalQueryDto): Promise<JournalPageDto> {
    const limit = query.limit ?? 100;
    const { items, total } = await this.journal.list(query.after_seq ?? 0, limit);
    const last = items.at(-1);
    return { items, total, next_cursor: items.length === limit && last ? String(last.seq) : null };
  }
}
