/** Every migration, oldest first. `npm run migration:generate -- <Name>` appends new ones. */
import { InitialSchema1795430644012 } from './1795430644012-initial-schema';
import { GpuPolicy1795431674746 } from './1795431674746-gpu-policy';
import { JobsAndScheduler1795431711969 } from './1795431711969-jobs-and-scheduler';
import { JobsQueueSeq1796004169120 } from './1796004169120-jobs-queue-seq';
import { JobTermination1796005000000 } from './1796005000000-job-termination';
import { ListIndexes1796006000000 } from './1796006000000-list-indexes';
import { SearchRoots1796007000000 } from './1796007000000-search-roots';
import { GpuPolicyNullableGate1796007100000 } from './1796007100000-gpu-policy-nullable-gate';
import { SessionHandover1796015221747 } from './1796015221747-session-handover';

export const MIGRATIONS = [
  InitialSchema1795430644012,
  GpuPolicy1795431674746,
  JobsAndScheduler1795431711969,
  JobsQueueSeq1796004169120,
  JobTermination1796005000000,
  ListIndexes1796006000000,
  SearchRoots1796007000000,
  GpuPolicyNullableGate1796007100000,
  SessionHandover1796015221747,
];
