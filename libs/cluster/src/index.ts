export * from './cluster.module';
export * from './cluster.service';
export * from './master-lease';
export * from './membership';
export * from './node-probe';
export * from './journal-replication';
export * from './infrastructure/cluster-cursor.entity';
export * from './infrastructure/replicated-entry.entity';
