import type { Job } from './job';
import type { JobDto } from './job.dto';

export function toJobDto(job: Job, now = Date.now(), trainerEndpoint = false): JobDto {
  const started = job.started_at ? Date.parse(job.started_at) : null;
  const ended = job.ended_at ? Date.parse(job.ended_at) : null;
  return {
    queue_id: job.id,
    job_type: job.job_type,
    name: job.name,
    priority: job.priority,
    requested_gpus: job.requested_gpus,
    gpu_profile: job.gpu_profile,
    job_params: job.job_params,
    cwd: job.cwd,
    env: job.env,
    status: job.status,
    submitted_at: job.submitted_at,
    started_at: job.started_at,
    ended_at: job.ended_at,
    gpu_indices: job.gpu_indices,
    mig_devices: job.mig_devices,
    argv: job.argv,
    pid: job.pid,
    exit_code: job.exit_code,
    error: job.error,
    termination_reason: job.termination_reason,
    termination_requested_at: job.termination_requested_at,
    kill_grace_s: job.kill_grace_s,
    time_limit_s: job.time_limit_s,
    log_cap_bytes: job.log_cap_bytes,
    preemptible: job.preemptible,
    restart_count: job.restart_count,
    preempted_at: job.preempted_at,
    held: job.held,
    // Down to the tenth (as ages are shown: rounding up, a job just ended read a second over its age).
    runtime_seconds: started === null ? null : Math.max(0, Math.floor(((ended ?? now) - started) / 100) / 10),
    trainer_endpoint: trainerEndpoint,
    depends_on: job.depends_on,
    array_id: job.array_id,
    array_index: job.array_index,
    retry_of: job.retry_of,
  };
}
