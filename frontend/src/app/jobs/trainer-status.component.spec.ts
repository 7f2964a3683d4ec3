import { type Type } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { TrainerStatusDto } from '@trainyard/sdk';
import {
  TrainerPanelComponent,
  TrainerPillsComponent,
  formatBytes,
  formatMetric,
  formatRate,
  progressOf,
} from './trainer-status.component';

const STATUS: TrainerStatusDto = {
  step: 250,
  max_steps: 1000,
  epoch: 1.25,
  loss: 2.34567,
  lr: 0.0003,
  grad_norm: 0.875,
  tokens_per_s: 12345,
  peak_memory_bytes: 21.5 * 2 ** 30,
  updated_at: '2026-01-01T00:00:00.000Z',
};
const EMPTY: TrainerStatusDto = {
  step: null,
  max_steps: null,
  epoch: null,
  loss: null,
  lr: null,
  grad_norm: null,
  tokens_per_s: null,
  peak_memory_bytes: null,
  updated_at: STATUS.updated_at,
};

function render<T>(type: Type<T>, status: TrainerStatusDto) {
  const fixture = TestBed.createComponent(type);
  fixture.componentRef.setInput('status', status);
  fixture.detectChanges();
  return fixture;
}

describe('trainer status formatting', () => {
  it.each([
    [2.34567, '2.346'],
    [0.0003, '3.00e-4'],
    [0, '0'],
    [1234567, '1.23e+6'],
    [-0.5, '-0.5'],
    [null, '—'],
  ])('formatMetric(%s) = %s', (value, text) => expect(formatMetric(value)).toBe(text));

  it.each([
    [950.4, '950'],
    [12345, '12.3k'],
    [1_200_000, '1.20M'],
    [null, '—'],
  ])('formatRate(%s) = %s', (value, text) => expect(formatRate(value)).toBe(text));

  it('formats bytes as MiB / GiB and clamps progress to [0, 1]', () => {
    expect(formatBytes(512 * 2 ** 20)).toBe('512 MiB');
    expect(formatBytes(21.5 * 2 ** 30)).toBe('21.5 GiB');
    expect(progressOf(STATUS)).toBe(0.25);
    expect(progressOf({ ...STATUS, step: 1200 })).toBe(1);
    expect(progressOf({ ...STATUS, max_steps: null })).toBeNull();
  });
});

describe(TrainerPillsComponent.name, () => {
  it('shows loss, lr and tokens/s pills and a progress bar at step / max_steps', () => {
    const el = render(TrainerPillsComponent, STATUS).nativeElement as HTMLElement;
    const pills = [...el.querySelectorAll('.pill')].map((p) => p.textContent!.replace(/\s+/g, ' ').trim());
    expect(pills).toEqual(['loss 2.346', 'lr 3.00e-4', '12.3k tok/s']);
    const bar = el.querySelector('progress')!;
    expect(bar.value).toBe(0.25);
    expect(bar.getAttribute('aria-label')).toBe('Step 250 / 1,000');
  });

  it('updates when the status changes, and leaves out what the trainer did not report', () => {
    const fixture = render(TrainerPillsComponent, STATUS);
    fixture.componentRef.setInput('status', { ...STATUS, step: 500, loss: 1.5, lr: null, max_steps: null });
    fixture.detectChanges();
    const el = fixture.nativeElement as HTMLElement;
    expect([...el.querySelectorAll('.pill')].map((p) => p.textContent!.replace(/\s+/g, ' ').trim())).toEqual([
      'loss 1.5',
      '12.3k tok/s',
    ]);
    expect(el.querySelector('progress')).toBeNull();
  });
});

describe(TrainerPanelComponent.name, () => {
  const fields = (el: HTMLElement) =>
    Object.fromEntries(
      [...el.querySelectorAll('dl > div')].map((d) => [
        d.querySelector('dt')!.textContent!.trim(),
        d.querySelector('dd')!.textContent!.replace(/\s+/g, ' ').trim(),
      ]),
    );

  it('lists every field, with the progress in percent', () => {
    const el = render(TrainerPanelComponent, STATUS).nativeElement as HTMLElement;
    expect(el.querySelector('section')!.getAttribute('aria-label')).toBe('Trainer');
    expect(fields(el)).toEqual({
      step: '250 / 1,000 25%',
      epoch: '1.25',
      loss: '2.346',
      lr: '3.00e-4',
      'grad norm': '0.875',
      'tokens/s': '12.3k',
      'peak memory': '21.5 GiB',
    });
    expect(el.querySelector('progress')!.value).toBe(25);
  });

  it('shows a dash for fields the trainer did not report, and follows new values', () => {
    const fixture = render(TrainerPanelComponent, EMPTY);
    const el = fixture.nativeElement as HTMLElement;
    expect(Object.values(fields(el))).toEqual(Array(7).fill('—'));
    fixture.componentRef.setInput('status', { ...EMPTY, step: 42, loss: 0.5 });
    fixture.detectChanges();
    expect(fields(el)).toMatchObject({ step: '42', loss: '0.5' });
  });
});
