import { Component, input } from '@angular/core';
import { DeferBlockBehavior, DeferBlockState, TestBed } from '@angular/core/testing';
import type { Client, RunDto } from '@trainyard/sdk';
import { API } from '../core/api';
import { SIDE_BY_SIDE_KEY, JobOutputsComponent } from './job-outputs.component';

// Stand-ins for the terminal (xterm) and the charts (echarts): this test is about which are shown, and where.
@Component({ selector: 'ty-log-viewer', template: 'log' })
class LogStub {
  readonly queueId = input('');
  readonly queued = input(false);
}
@Component({ selector: 'ty-job-metrics', template: 'metrics' })
class MetricsStub {
  readonly lookup = input<unknown>();
}

const RUN: RunDto = {
  run_id: 'r1',
  job_id: 'q_1',
  name: 'train',
  project: null,
  source: 'trainyard',
  status: 'running',
  created_at: null,
  updated_at: null,
  logged: false,
};

describe('JobOutputsComponent', () => {
  let runs: RunDto[];

  beforeEach(async () => {
    localStorage.clear();
    runs = [RUN];
    const client = {
      get: vi.fn(async ({ url }: { url: string }) => {
        if (url === '/api/runs') return { data: runs };
        if (url === '/api/runs/{run_id}/metric-paths') return { data: [] };
        throw new Error(`unexpected GET ${url}`);
      }),
    };
    TestBed.configureTestingModule({
      providers: [{ provide: API, useValue: client as unknown as Client }],
      deferBlockBehavior: DeferBlockBehavior.Manual,
    });
    TestBed.overrideComponent(JobOutputsComponent, { set: { imports: [LogStub, MetricsStub] } });
    await TestBed.compileComponents();
  });

  async function render(active = true) {
    const fixture = TestBed.createComponent(JobOutputsComponent);
    fixture.componentRef.setInput('queueId', 'q_1');
    fixture.componentRef.setInput('active', active);
    const settle = async () => {
      for (let i = 0; i < 4; i++) {
        fixture.detectChanges();
        await fixture.whenStable();
        // The metrics view is a lazy chunk (@defer): load it as the browser would.
        for (const block of await fixture.getDeferBlocks()) await block.render(DeferBlockState.Complete);
      }
    };
    await settle();
    const el = fixture.nativeElement as HTMLElement;
    const tab = (name: string) =>
      [...el.querySelectorAll<HTMLButtonElement>('[role="tab"]')].find(
        (b) => b.textContent?.trim() === name,
      )!;
    const click = async (name: string) => {
      tab(name).click();
      await settle();
    };
    return { fixture, el, tab, click };
  }

  it('shows the log and the metrics at once on "Side by side", keeping the same log viewer, and remembers it', async () => {
    const { el, tab, click } = await render();
    expect(tab('Log').getAttribute('aria-selected')).toBe('true');
    expect(el.querySelector('ty-job-metrics')).toBeNull();
    const log = el.querySelector('ty-log-viewer');
    expect(log?.textContent).toBe('log'); // the stand-in

    await click('Side by side');
    expect(tab('Side by side').getAttribute('aria-selected')).toBe('true');
    expect(tab('Side by side').getAttribute('aria-disabled')).toBeNull();
    const outputs = el.querySelector('.outputs')!;
    expect(outputs.classList).toContain('both');
    // Both halves, log first; the log viewer is the one already streaming (not a new one).
    expect([...outputs.children].map((c) => c.tagName.toLowerCase())).toEqual([
      'ty-log-viewer',
      'ty-job-metrics',
    ]);
    expect(el.querySelector('ty-log-viewer')).toBe(log);
    expect(localStorage.getItem(SIDE_BY_SIDE_KEY)).toBe('true');

    // The next job pane opens side by side.
    const next = await render();
    expect(next.tab('Side by side').getAttribute('aria-selected')).toBe('true');
    expect(next.el.querySelector('ty-log-viewer')).not.toBeNull();
    expect(next.el.querySelector('ty-job-metrics')).not.toBeNull();

    // Metrics alone: no log; and the choice is no longer side by side.
    await click('Metrics');
    expect(el.querySelector('ty-log-viewer')).toBeNull();
    expect(el.querySelector('ty-job-metrics')).not.toBeNull();
    expect(el.querySelector('.outputs')!.classList).not.toContain('both');
    expect(localStorage.getItem(SIDE_BY_SIDE_KEY)).toBe('false');
  });

  it('says why "Side by side" is unavailable for a finished job without a run, and shows its log', async () => {
    runs = [];
    localStorage.setItem(SIDE_BY_SIDE_KEY, 'true');
    const { el, tab, click } = await render(false);
    const both = tab('Side by side');
    expect(both.getAttribute('aria-disabled')).toBe('true');
    expect(both.title).toMatch(/no run/);
    // Still focusable (a keyboard user reaches it and hears why), but it does nothing.
    expect(both.disabled).toBe(false);
    expect(tab('Log').getAttribute('aria-selected')).toBe('true');
    await click('Side by side');
    expect(el.querySelector('ty-job-metrics')).toBeNull();
    expect(el.querySelector('ty-log-viewer')).not.toBeNull();
    // The remembered preference stays for jobs that have metrics.
    expect(localStorage.getItem(SIDE_BY_SIDE_KEY)).toBe('true');
  });

  it('keeps "Side by side" available while a job without a run yet may still start one', async () => {
    runs = [];
    const { tab } = await render(true);
    expect(tab('Side by side').getAttribute('aria-disabled')).toBeNull();
  });
});
