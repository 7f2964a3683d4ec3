import { Module } from '@nestjs/common';
import { GpusModule } from '@trainyard/gpus';
import { ClusterController } from './cluster.controller';
import { ClusterService } from './cluster.service';

/** Always registered: without `--cluster` the service stays idle and the routes answer null/empty. */
@Module({
  imports: [GpusModule],
  controllers: [ClusterController],
  providers: [ClusterService],
  exports: [ClusterService],
})
export class ClusterModule {}
