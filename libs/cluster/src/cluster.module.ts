import { Module } from '@nestjs/common';
import { AuthModule } from '@trainyard/auth';
import { GpusModule } from '@trainyard/gpus';
import { JobsModule } from '@trainyard/jobs';
import { ClusterJobs } from './cluster-jobs';
import { ClusterMetrics } from './cluster.metrics';
import { NodeEndpoint } from './node-endpoint';
import { NetworkProbes } from './probes';
import { RemoteLogStream } from './remote-log-stream';
import { ClusterController } from './cluster.controller';
import { ClusterService } from './cluster.service';

/** Always registered: without `--cluster` the service stays idle and the routes answer null/empty. */
@Module({
  imports: [GpusModule, JobsModule, AuthModule],
  controllers: [ClusterController],
  providers: [ClusterService, NodeEndpoint, ClusterJobs, NetworkProbes, RemoteLogStream, ClusterMetrics],
  exports: [ClusterService],
})
export class ClusterModule {}
