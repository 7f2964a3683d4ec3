import type { GpuInventoryView, GpuView } from './gpu-inventory';
import type { GpuPolicy } from './gpu-policy';
import type { GpuDto, GpuListDto, GpuPolicyDto } from './gpus.dto';

export function toGpuListDto(view: GpuInventoryView): GpuListDto {
  return {
    provider: view.provider,
    state: view.state,
    message: view.message,
    collected_at: view.collected_at,
    gpus: view.gpus.map(toGpuDto),
  };
}

function toGpuDto(gpu: GpuView): GpuDto {
  return {
    index: gpu.index,
    uuid: gpu.uuid,
    name: gpu.name,
    pci_bus_id: gpu.pci_bus_id,
    driver_version: gpu.driver_version,
    utilization_gpu: gpu.utilization_gpu,
    utilization_memory: gpu.utilization_memory,
    memory_total_mib: gpu.memory_total_mib,
    memory_used_mib: gpu.memory_used_mib,
    memory_free_mib: gpu.memory_free_mib,
    temperature_c: gpu.temperature_c,
    power_draw_w: gpu.power_draw_w,
    power_limit_w: gpu.power_limit_w,
    clocks_sm_mhz: gpu.clocks_sm_mhz,
    pstate: gpu.pstate,
    fan_speed_percent: gpu.fan_speed_percent,
    mig_mode: gpu.mig_mode,
    ecc_errors_uncorrected: gpu.ecc_errors_uncorrected,
    processes: gpu.processes.map((p) => ({
      pid: p.pid,
      process_name: p.process_name,
      used_memory_mib: p.used_memory_mib,
      job_id: p.job_id,
    })),
    excluded: gpu.excluded,
    disabled: gpu.disabled,
    min_priority: gpu.min_priority,
    reserved_by: gpu.reserved_by,
    mig_enabled: gpu.mig_enabled,
    mig_devices: gpu.mig_devices.map((d) => ({
      device_index: d.device_index,
      profile: d.profile,
      uuid: d.uuid,
      memory_gb: d.memory_gb,
      reserved_by: d.reserved_by,
    })),
    warnings: [...gpu.warnings],
  };
}

export function toGpuPolicyDto(policy: GpuPolicy): GpuPolicyDto {
  return { disabled: policy.disabled, min_priority: policy.min_priority };
}
