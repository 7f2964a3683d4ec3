import { join } from 'node:path';
import { StatePaths } from '@trainyard/core';

/** Where each job's files live; queue ids are validated before they get here. */
export class JobFiles {
  constructor(private readonly paths: StatePaths) {}

  tty(id: string): string {
    return join(this.paths.jobsDir, `${id}.tty`);
  }
  /** Written by the job-side shim when the job ends, so the code survives a server restart. */
  exitStatus(id: string): string {
    return join(this.paths.jobsDir, `${id}.exit`);
  }
  controlDir(id: string): string {
    return join(this.paths.controlDir, id);
  }
}

export const QUEUE_ID_PATTERN = /^q_\d{13}_[0-9a-f]{8}$/;
