import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { MetricsRegistry } from '@trainyard/metrics';
import { SERVICE_STATES, ServiceSupervisor, type ServiceStatus } from './service-supervisor';

/**
 * Services for alerting, read at scrape time: each configured service's state (one series per
 * state, 1 for the one it is in, as kube-state-metrics' `kube_pod_status_phase`), whether its health
 * check passes, and how often it was restarted since the server started.
 */
@Injectable()
export class ServicesMetrics {
  constructor(metrics: MetricsRegistry, supervisor: ServiceSupervisor) {
    const registers = [metrics.registry];
    const labels = (s: ServiceStatus) => ({ type: s.type, name: s.name });
    new Gauge({
      name: 'trainyard_service_state',
      help: 'The state a service is in (1) and those it is not in (0): stopped, queued, starting, running, backoff, crash_loop…',
      labelNames: ['type', 'name', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const s of await supervisor.list())
          for (const state of SERVICE_STATES) this.set({ ...labels(s), state }, s.state === state ? 1 : 0);
      },
    });
    new Gauge({
      name: 'trainyard_service_healthy',
      help: 'A service with a health check passes it (1) or not (0: failing, or not yet passed since it started)',
      labelNames: ['type', 'name'],
      registers,
      async collect() {
        this.reset();
        for (const s of await supervisor.list())
          if (s.health) this.set(labels(s), s.health === 'healthy' ? 1 : 0);
      },
    });
    // A count that only grows (back to 0 when the service is re-enabled or changed, which rate() and
    // increase() read as a counter reset), so a counter, as kube-state-metrics' container restarts.
    new Counter({
      name: 'trainyard_service_restarts_total',
      help: 'Times a service was started again after its instance ended, since the server started (or the service was last enabled or changed)',
      labelNames: ['type', 'name'],
      registers,
      async collect() {
        this.reset();
        for (const s of await supervisor.list()) this.inc(labels(s), s.restarts);
      },
    });
  }
}
