import { Query } from '@nestjs/cqrs';

/**
 * Why no job can start on this server now, in words (its scheduler is paused or still starting, or
 * its state directory is missing), or null when jobs can start: what a cluster node says of itself
 * so that the master neither counts its idle GPUs nor sends it a rank. Answered by the scheduler.
 */
export class StartBlockerQuery extends Query<string | null> {}
