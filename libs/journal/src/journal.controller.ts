import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiErrors, validationFailed } from '@trainyard/core';
import { journalEntryTypes } from './journal-entry-type';
import { Journal } from './journal';
import { JournalPageDto, ListJournalQueryDto } from './journal.dto';

@ApiTags('journal')
@Controller('journal')
export class JournalController {
  constructor(private readonly journal: Journal) {}

  /**
   * Lists journal entries (the record replication ships): in commit order by default, or newest first
   * (`order=desc`, paged back with `before_seq`) for an activity view; `area` keeps one area's entries
   * (400 for an area no entry type has), `queue_id` the entries about one job.
   */
  @Get()
  @ApiErrors(400, 401)
  async listJournal(@Query() query: ListJournalQueryDto): Promise<JournalPageDto> {
    const areas = new Set([...journalEntryTypes().keys()].map((type) => type.split('.')[0]));
    if (query.area !== undefined && !areas.has(query.area))
      throw validationFailed([
        { field: 'area', message: `area must be one of ${[...areas].sort().join(', ')} (got ${query.area})` },
      ]);
    const limit = query.limit ?? 100;
    const order = query.order ?? 'asc';
    const { items, total } = await this.journal.list({
      afterSeq: query.after_seq,
      beforeSeq: query.before_seq,
      area: query.area,
      queueId: query.queue_id,
      order,
      limit,
    });
    const last = items.at(-1);
    return { items, total, next_cursor: items.length === limit && last ? String(last.seq) : null };
  }
}
