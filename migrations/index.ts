/** Every migration, oldest first. `npm run migration:generate -- <Name>` appends new ones. */
import { InitialSchema1795430644012 } from './1795430644012-initial-schema';
import { GpuPolicy1795431674746 } from './1795431674746-gpu-policy';
import { JobsAndScheduler1795431711969 } from './1795431711969-jobs-and-scheduler';
import { JobsQueueSeq1796004169120 } from './1796004169120-jobs-queue-seq';
import { JobTermination1796005000000 } from './1796005000000-job-termination';
import { ListIndexes1796006000000 } from './1796006000000-list-indexes';
import { SearchRoots1796007000000 } from './1796007000000-search-roots';
import { GpuPolicyNullableGate1796007100000 } from './1796007100000-gpu-policy-nullable-gate';
import { JobDependenciesArrays1796008000000 } from './1796008000000-job-dependencies-arrays';
import { ClusterReplication1796014609903 } from './1796014609903-cluster-replication';
import { JobTimeLimit1796015000000 } from './1796015000000-job-time-limit';
import { JobLogCap1796015100000 } from './1796015100000-job-log-cap';
import { SessionHandover1796015221747 } from './1796015221747-session-handover';
import { ConfigOverrides1796020000000 } from './1796020000000-config-overrides';
import { TrackingRuns1796020100000 } from './1796020100000-tracking-runs';
import { JobPreemption1796020200000 } from './1796020200000-job-preemption';
import { JobMigDevices1796020300000 } from './1796020300000-job-mig-devices';
import { QueuedDependentsIndex1796020400000 } from './1796020400000-queued-dependents-index';
import { JobRetryOf1796020500000 } from './1796020500000-job-retry-of';
import { JobStatusCounts1796020600000 } from './1796020600000-job-status-counts';
import { JobSortIndexes1796020700000 } from './1796020700000-job-sort-indexes';
import { RunsListIndex1796020800000 } from './1796020800000-runs-list-index';
import { JournalQueueIdIndex1796020900000 } from './1796020900000-journal-queue-id-index';
import { GpuPolicyUuid1796021000000 } from './1796021000000-gpu-policy-uuid';
import { JobHeld1796021100000 } from './1796021100000-job-held';
import { HeldJobsIndex1796021200000 } from './1796021200000-held-jobs-index';
import { JobHeldTime1796021300000 } from './1796021300000-job-held-time';
import { JobIdempotencyRequest1796021450000 } from './1796021450000-job-idempotency-request';
import { ClusterJournalQueueId1796021500000 } from './1796021500000-cluster-journal-queue-id';
import { RunLogged1796021600000 } from './1796021600000-run-logged';
import { JobArgv1796021700000 } from './1796021700000-job-argv';

export const MIGRATIONS = [
  InitialSchema1795430644012,
  GpuPolicy1795431674746,
  JobsAndScheduler1795431711969,
  JobsQueueSeq1796004169120,
  JobTermination1796005000000,
  ListIndexes1796006000000,
  SearchRoots1796007000000,
  GpuPolicyNullableGate1796007100000,
  JobDependenciesArrays1796008000000,
  ClusterReplication1796014609903,
  JobTimeLimit1796015000000,
  JobLogCap1796015100000,
  SessionHandover1796015221747,
  ConfigOverrides1796020000000,
  TrackingRuns1796020100000,
  JobPreemption1796020200000,
  JobMigDevices1796020300000,
  QueuedDependentsIndex1796020400000,
  JobRetryOf1796020500000,
  JobStatusCounts1796020600000,
  JobSortIndexes1796020700000,
  RunsListIndex1796020800000,
  JournalQueueIdIndex1796020900000,
  GpuPolicyUuid1796021000000,
  JobHeld1796021100000,
  HeldJobsIndex1796021200000,
  JobHeldTime1796021300000,
  JobIdempotencyRequest1796021450000,
  ClusterJournalQueueId1796021500000,
  RunLogged1796021600000,
  JobArgv1796021700000,
];
