import type { Job } from './job';
import { toJobDto } from './job.mapper';

describe(toJobDto.name, () => {
  const job = (fields: Partial<Job>): Job =>
    ({
      id: 'q_1',
      submitted_at: '2026-12-01T10:00:00.000Z',
      started_at: null,
      ended_at: null,
      ...fields,
    }) as Job;

  it('gives the runtime cut down to the tenth, never rounded up past what the job ran', () => {
    // 24.96 s: rounded, it read 25.0, a second over the job's age as the CLI shows it (24s).
    const ended = job({ started_at: '2026-12-01T10:00:00.000Z', ended_at: '2026-12-01T10:00:24.960Z' });
    expect(toJobDto(ended).runtime_seconds).toBe(24.9);
    const running = job({ started_at: '2026-12-01T10:00:00.000Z' });
    expect(toJobDto(running, Date.parse('2026-12-01T10:00:01.999Z')).runtime_seconds).toBe(1.9);
    expect(toJobDto(job({})).runtime_seconds).toBeNull();
  });
});
