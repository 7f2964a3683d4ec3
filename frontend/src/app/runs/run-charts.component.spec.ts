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
});
