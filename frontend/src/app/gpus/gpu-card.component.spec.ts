import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { GpuDto, JobDto, MigDeviceDto } from '@trainyard/sdk';
import { GpuCardComponent } from './gpu-card.component';

const JOB = 'q_1700000000000_0000abcd';

function gpu(over: Partial<GpuDto>): GpuDto {
  return {
    index: 1,
    uuid: 'GPU-1',
    name: 'NVIDIA A100-SXM4-80GB',
    pci_bus_id: '00000000:20:00.0',
    driver_version: '550',
    utilization_gpu: 0,
    utilization_memory: 0,
    memory_total_mib: 81920,
    memory_used_mib: 0,
    memory_free_mib: 81920,
    temperature_c: 30,
    power_draw_w: 60,
    power_limit_w: 400,
    clocks_sm_mhz: 300,
    pstate: 'P8',
    fan_speed_percent: null,
    mig_mode: 'Disabled',
    ecc_errors_uncorrected: 0,
    processes: [],
    excluded: false,
    disabled: false,
    min_priority: null,
    reserved_by: null,
    mig_enabled: false,
    mig_devices: [],
    warnings: [],
    ...over,
  } as GpuDto;
}

function device(device_index: number, profile: string, reserved_by: string | null): MigDeviceDto {
  const memory_gb = Number(/\.(\d+)gb/.exec(profile)![1]);
  return { device_index, profile, uuid: `MIG-${device_index}`, memory_gb, reserved_by };
}

function render(value: GpuDto, jobs: Map<string, JobDto | null> = new Map()): HTMLElement {
  TestBed.configureTestingModule({ providers: [provideRouter([])] });
  const fixture = TestBed.createComponent(GpuCardComponent);
  fixture.componentRef.setInput('gpu', value);
  fixture.componentRef.setInput('jobs', jobs);
  fixture.detectChanges();
  return fixture.nativeElement as HTMLElement;
}

describe(GpuCardComponent.name, () => {
  it('lists a MIG GPU’s devices with profile, memory and free/busy, the holding job linked', () => {
    const root = render(
      gpu({
        mig_mode: 'Enabled',
        mig_enabled: true,
        mig_devices: [device(0, '1g.10gb', JOB), device(1, '1g.10gb', null), device(2, '2g.20gb', null)],
      }),
      new Map([[JOB, { queue_id: JOB, name: 'sweep-3', status: 'running' } as JobDto]]),
    );

    const list = root.querySelector('ul.migs')!;
    expect(list.getAttribute('aria-label')).toBe('MIG devices of GPU 1');
    const rows = [...list.querySelectorAll('li')].map((li) =>
      [...li.children].map((cell) => cell.textContent!.trim()).join(' '),
    );
    expect(rows).toEqual(['0 1g.10gb 10 GB sweep-3', '1 1g.10gb 10 GB free', '2 2g.20gb 20 GB free']);
    // The holder is a real link (focusable by keyboard) to its job.
    const link = list.querySelector<HTMLAnchorElement>('li a')!;
    expect(link.getAttribute('href')).toBe(`/jobs/${JOB}`);
    expect(root.querySelector('.badge.mig')!.textContent!.trim()).toBe('MIG · 2 of 3 free');
    expect(root.textContent).not.toContain('placed whole');
    expect(root.querySelector('.badge-ok')).toBeNull();
  });

  it('warns on a MIG GPU with no MIG devices listed: nothing can run there', () => {
    const warning = 'GPU 1 has MIG enabled but no MIG devices were listed (nvidia-smi -L)';
    const root = render(gpu({ mig_mode: 'Enabled', mig_enabled: true, warnings: [warning] }));
    const badge = root.querySelector('.badge.mig')!;
    expect(badge.textContent!.trim()).toBe('MIG · no devices');
    expect(badge.classList).toContain('badge-warn');
    expect(badge.getAttribute('title')).toBe(warning);
    expect(root.querySelector('ul.migs')).toBeNull();
  });

  it('shows no MIG list on a GPU without MIG devices', () => {
    const root = render(gpu({}));
    expect(root.querySelector('ul.migs')).toBeNull();
    expect(root.querySelector('.badge.mig')).toBeNull();
    expect(root.querySelector('.badge-ok')!.textContent!.trim()).toBe('Idle');
  });

  it('does not call a GPU idle that processes outside Trainyard use', () => {
    const root = render(
      gpu({
        utilization_gpu: 87,
        processes: [
          { pid: 11327, job_id: null, process_name: 'python', used_memory_mib: 2566 },
          { pid: 11345, job_id: null, process_name: './gpu_burn', used_memory_mib: 15690 },
        ] as GpuDto['processes'],
      }),
    );
    expect(root.querySelector('.badge-ok')).toBeNull();
    const badge = root.querySelector('.badge.outside')!;
    expect(badge.textContent!.trim()).toBe('Used outside Trainyard · 2 processes');
    expect(badge.getAttribute('title')).toContain('disable the GPU');
  });

  it('shows the processes of a stopping job as stopping, striking through only an ended job’s', () => {
    const ENDED = 'q_1700000000000_0000ffff';
    const root = render(
      gpu({
        processes: [
          { pid: 6042, job_id: JOB, process_name: 'python', used_memory_mib: 100 },
          { pid: 7000, job_id: ENDED, process_name: 'sleep', used_memory_mib: 10 },
        ] as GpuDto['processes'],
      }),
      new Map([
        [
          JOB,
          { queue_id: JOB, name: 'saver', status: 'terminating', termination_reason: 'user_abort' } as JobDto,
        ],
        [ENDED, { queue_id: ENDED, name: 'gone', status: 'aborted' } as JobDto],
      ]),
    );
    const [stopping, ended] = [...root.querySelectorAll('.proc')];
    expect(stopping.querySelector('a.job')!.classList).not.toContain('ended');
    expect(stopping.textContent).toContain('stopping');
    expect(ended.querySelector('a.job')!.classList).toContain('ended');
    expect(ended.textContent).not.toContain('stopping');
  });
});
