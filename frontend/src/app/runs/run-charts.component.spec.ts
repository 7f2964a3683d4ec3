import { Component, input } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { Client } from '@trainyard/sdk';
import { API } from '../core/api';
import type { ChartRun } from './metric-chart.component';
import { RunChartsComponent } from './run-charts.component';

// A stand-in for the chart (echarts): this test is about which charts are drawn.
@Component({ selector: 'ty-metric-chart', template: '{{ path() }}' })
class ChartStub {
  readonly path = input('');
  readonly runs = input<readonly ChartRun[]>([]);
  readonly smoothing = input(0);
}

describe('RunChartsComponent', () => {
  it('draws the paths read for its runs even when the same runs come again as new objects meanwhile', async () => {
    // The Runs view hands over new objects for the same runs with every read of its list.
    const held: Array<(paths: string[]) => void> = [];
    const client = {
      get: vi.fn(
        ({ url }: { url: string }) =>
          new Promise((resolve) => {
            if (url !== '/api/runs/{run_id}/metric-paths') throw new Error(`unexpected GET ${url}`);
            held.push((paths) => resolve({ data: { paths } }));
          }),
      ),
    };
    TestBed.configureTestingModule({ providers: [{ provide: API, useValue: client as unknown as Client }] });
    TestBed.overrideComponent(RunChartsComponent, { set: { imports: [ChartStub] } });
    const fixture = TestBed.createComponent(RunChartsComponent);
    const runs = (): ChartRun[] => [
      { run_id: 'r1', label: 'a', live: false },
      { run_id: 'r2', label: 'b', live: false },
    ];
    fixture.componentRef.setInput('runs', runs());
    fixture.detectChanges();
    await vi.waitFor(() => expect(held).toHaveLength(2));

    fixture.componentRef.setInput('runs', runs());
    fixture.detectChanges();
    held[0](['loss']);
    held[1](['loss', 'accuracy']);
    await vi.waitFor(() => {
      fixture.detectChanges();
      const charts = [...(fixture.nativeElement as HTMLElement).querySelectorAll('ty-metric-chart')];
      expect(charts.map((c) => c.textContent)).toEqual(['accuracy', 'loss']);
    });
    expect((fixture.nativeElement as HTMLElement).textContent).not.toContain('No metrics logged');
  });

  it("overlays compared runs' GPU series on one chart per GPU of theirs, each reading its own series", async () => {
    const paths: Record<string, string[]> = {
      r1: ['loss', 'sys/gpu2/utilization'],
      r2: ['loss', 'sys/gpu0/utilization'],
    };
    const client = {
      get: vi.fn(({ path }: { path: { run_id: string } }) =>
        Promise.resolve({ data: { paths: paths[path.run_id] } }),
      ),
    };
    TestBed.configureTestingModule({ providers: [{ provide: API, useValue: client as unknown as Client }] });
    TestBed.overrideComponent(RunChartsComponent, { set: { imports: [ChartStub] } });
    const fixture = TestBed.createComponent(RunChartsComponent);
    fixture.componentRef.setInput('runs', [
      { run_id: 'r1', label: 'a', live: false },
      { run_id: 'r2', label: 'b', live: false },
    ]);
    fixture.detectChanges();
    await vi.waitFor(() => {
      fixture.detectChanges();
      const charts = fixture.debugElement.queryAll((el) => el.componentInstance instanceof ChartStub);
      // Before: a chart for sys/gpu0 with run b alone, another for sys/gpu2 with run a alone.
      expect(
        charts.map((c) => {
          const chart = c.componentInstance as ChartStub;
          return [chart.path(), chart.runs().map((r) => r.series ?? chart.path())];
        }),
      ).toEqual([
        ['loss', ['loss', 'loss']],
        ['sys/gpu#0/utilization', ['sys/gpu2/utilization', 'sys/gpu0/utilization']],
      ]);
    });
  });
});
