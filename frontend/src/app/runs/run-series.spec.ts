import { describe, expect, it } from 'vitest';
import type { MetricSeriesDto } from '@trainyard/sdk';
import {
  RUN_COLORS,
  buildSeries,
  chartPaths,
  chartTooltip,
  chartLabels,
  metricsQuery,
  plotY,
  runColor,
  seriesSummary,
  smooth,
  stepExtent,
  zoomRange,
} from './run-series';
import { sortPaths } from './run-charts.component';

describe('plotY', () => {
  it('plots finite numbers and leaves NaN, infinities and missing values as gaps', () => {
    expect(([1.5, 'NaN', 'Infinity', '-Infinity', null, undefined] as const).map((y) => plotY(y))).toEqual([
      1.5,
      null,
      null,
      null,
      null,
      null,
    ]);
  });
});

describe('smooth (debiased EMA)', () => {
  it('weight 0 returns the values unchanged', () => {
    expect(smooth([3, 1, null, 4], 0)).toEqual([3, 1, null, 4]);
  });
  it('starts at the first value (debiased) and follows the TensorBoard formula', () => {
    const out = smooth([10, 0, 0], 0.5);
    // ema1 = 5 → /(1-0.5) = 10; ema2 = 2.5 → /(1-0.25) = 3.333…; ema3 = 1.25 → /(1-0.125) = 1.428…
    expect(out[0]).toBeCloseTo(10);
    expect(out[1]).toBeCloseTo(10 / 3);
    expect(out[2]).toBeCloseTo(10 / 7);
  });
  it('keeps gaps as gaps without resetting the average', () => {
    const out = smooth([10, null, 0], 0.5);
    expect(out[1]).toBeNull();
    expect(out[2]).toBeCloseTo(10 / 3);
  });
  it('a constant series stays constant at any weight', () => {
    expect(smooth([2, 2, 2, 2], 0.9).every((v) => Math.abs((v as number) - 2) < 1e-9)).toBe(true);
  });
});

describe('zoom → query', () => {
  const extent = { min: 0, max: 1000 };
  it('the whole window asks for everything (no step range)', () => {
    expect(zoomRange(extent, 0, 100)).toBeNull();
    expect(metricsQuery('loss', 1000, null)).toEqual({ path: 'loss', point_count: 1000 });
  });
  it('a window maps its percentages onto the step extent, widened to whole steps', () => {
    expect(zoomRange(extent, 25, 50)).toEqual({ min: 250, max: 500 });
    expect(zoomRange({ min: 10, max: 20 }, 33, 66)).toEqual({ min: 13, max: 17 });
    expect(metricsQuery('loss', 500, { min: 250, max: 500 })).toEqual({
      path: 'loss',
      point_count: 500,
      step_min: 250,
      step_max: 500,
    });
  });
  it('the extent spans every run (first and last points are the bookends)', () => {
    const s = (steps: number[]) => ({
      path: 'x',
      downsampled: false,
      points: steps.map((step) => ({ step, y: 1 })),
    });
    expect(
      stepExtent([
        { id: 'a', label: 'a', series: s([5, 9]) },
        { id: 'b', label: 'b', series: s([0, 3, 7]) },
      ]),
    ).toEqual({ min: 0, max: 9 });
    expect(stepExtent([{ id: 'a', label: 'a', series: s([]) }])).toBeNull();
  });
});

describe('buildSeries', () => {
  const raw = {
    path: 'loss',
    downsampled: false,
    points: [
      { step: 0, y: 4 },
      { step: 1, y: 'NaN' as const },
      { step: 2, y: 2 },
    ],
  };
  const bucketed = {
    path: 'loss',
    downsampled: true,
    points: [
      { step: 0, y: 9 },
      { step: 7.5, y: 5, min_y: 1, max_y: 8 },
      { step: 99, y: 3 },
    ],
  };

  it('a raw series is one line per run, NaN as a gap (and a marker), named for the legend', () => {
    const out = buildSeries([{ id: 'run_A', label: 'run A', series: raw }], 0);
    expect(out.map((s) => s.id)).toEqual(['line:run_A', 'dot:run_A', 'mark:run_A']);
    expect(out[0].name).toBe('run A');
    expect(out[0].data).toEqual([
      [0, 4],
      [1, null],
      [2, 2],
    ]);
  });

  it('a downsampled series gets a min/max band: min line plus stacked (max - min); bookends have no spread', () => {
    const out = buildSeries([{ id: 'r', label: 'r', series: bucketed }], 0);
    const lo = out.find((s) => s.id === 'band:lo:r')!;
    const hi = out.find((s) => s.id === 'band:hi:r')!;
    expect(lo.data).toEqual([
      [0, 9],
      [7.5, 1],
      [99, 3],
    ]);
    expect(hi.data).toEqual([
      [0, 0],
      [7.5, 7],
      [99, 0],
    ]);
    expect(lo.stack).toBe(hi.stack);
    expect(hi.areaStyle).toBeDefined();
    expect(out.at(-1)!.id).toBe('line:r');
  });

  it('draws NaN and ±Infinity as markers at the edge of the finite values, and a point between gaps as a dot', () => {
    const diverged = {
      path: 'loss',
      downsampled: false,
      points: [
        { step: 0, y: 4 },
        { step: 1, y: 'NaN' as const },
        { step: 2, y: 2 },
        { step: 3, y: 'Infinity' as const },
        { step: 4, y: '-Infinity' as const },
      ],
    };
    const out = buildSeries([{ id: 'r', label: 'r', series: diverged }], 0);
    expect(out.map((s) => s.id)).toEqual(['line:r', 'dot:r', 'mark:r']);
    // Steps 0 and 2 lie beside gaps only: a line cannot show them, a dot does.
    expect(out[1].data).toEqual([
      [0, 4],
      [1, null],
      [2, 2],
      [3, null],
      [4, null],
    ]);
    expect(out[2].data).toEqual([
      [0, null],
      { value: [1, 4], name: 'NaN', symbol: 'diamond', symbolRotate: 0 },
      [2, null],
      { value: [3, 4], name: '+Infinity', symbol: 'triangle', symbolRotate: 0 },
      { value: [4, 2], name: '-Infinity', symbol: 'triangle', symbolRotate: 180 },
    ]);
    expect(out[2].showSymbol).toBe(true);
    expect(out[2].lineStyle.width).toBe(0);
  });

  it('marks a bucket that held NaN/±Infinity, and the tooltip names what a marker stands for', () => {
    const series: MetricSeriesDto = {
      path: 'loss',
      downsampled: true,
      points: [
        { step: 0, y: 9 },
        { step: 7.5, y: 5, min_y: 1, max_y: 8, nonfinite: 3 },
        // Buckets without a finite value travel as NaN/±Infinity, as single points do.
        { step: 23.5, y: 'NaN', min_y: 'NaN', max_y: 'NaN', nonfinite: 16 },
        { step: 39.5, y: 'NaN', min_y: '-Infinity', max_y: 'Infinity', nonfinite: 16 },
        { step: 99, y: 3 },
      ],
    };
    const out = buildSeries([{ id: 'r', label: 'run <1>', series }], 0);
    const mark = out.find((s) => s.id === 'mark:r')!;
    expect(mark.data.map((d) => (Array.isArray(d) ? null : d.name))).toEqual([
      null,
      '3 NaN/±Infinity',
      '16 NaN/±Infinity',
      '16 NaN/±Infinity',
      null,
    ]);
    // The band has nothing to draw there: no string or NaN reaches ECharts.
    expect(out.find((s) => s.id === 'band:lo:r')!.data).toEqual([
      [0, 9],
      [7.5, 1],
      [23.5, null],
      [39.5, null],
      [99, 3],
    ]);
    expect(out.find((s) => s.id === 'band:hi:r')!.data).toEqual([
      [0, 0],
      [7.5, 7],
      [23.5, 0],
      [39.5, 0],
      [99, 0],
    ]);
    const at = (k: number) => [
      {
        seriesId: 'line:r',
        seriesName: 'run <1>',
        value: out.find((s) => s.id === 'line:r')!.data[k] as [number, number | null],
      },
      {
        seriesId: 'mark:r',
        seriesName: 'run <1>',
        name: (mark.data[k] as { name?: string }).name,
        value: Array.isArray(mark.data[k])
          ? mark.data[k]
          : (mark.data[k] as { value: [number, number] }).value,
      },
    ];
    expect(chartTooltip(at(1))).toBe('step 7.5<br>run &#60;1&#62;: 5 (3 NaN/±Infinity)');
    expect(chartTooltip(at(2))).toBe('step 23.5<br>run &#60;1&#62;: 16 NaN/±Infinity');
    expect(chartTooltip(at(4))).toBe('step 99<br>run &#60;1&#62;: 3');
  });

  it('runs with the same label (two runs of one project config) still get a line each, keyed by run id', () => {
    const out = buildSeries(
      [
        { id: 'r_1', label: 'My LM/train', series: bucketed },
        { id: 'r_2', label: 'My LM/train', series: bucketed },
      ],
      0.6,
    );
    const ids = out.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length); // ECharts refuses duplicate ids and draws nothing
    expect(ids.filter((id) => id.startsWith('line:'))).toEqual(['line:r_1', 'line:r_2']);
    expect(out.find((s) => s.id === 'band:hi:r_1')!.stack).not.toBe(
      out.find((s) => s.id === 'band:hi:r_2')!.stack,
    );
  });

  it('overlays several runs with distinct colours; smoothing adds the faint raw line behind', () => {
    const out = buildSeries(
      [
        { id: 'a', label: 'a', series: raw },
        { id: 'b', label: 'b', series: raw },
      ],
      0.6,
    );
    expect(out.map((s) => s.id)).toEqual([
      'raw:a',
      'line:a',
      'dot:a',
      'mark:a',
      'raw:b',
      'line:b',
      'dot:b',
      'mark:b',
    ]);
    const byId = (id: string) => out.find((s) => s.id === id)!;
    expect(byId('line:a').color).not.toBe(byId('line:b').color);
    expect(byId('raw:a').data[2]).toEqual([2, 2]);
    expect((byId('line:a').data[2] as [number, number | null])[1]).not.toBe(2);
  });
});

describe('runColor', () => {
  it('is the palette by place in the runs list, wrapping round, and what the chart lines use', () => {
    expect([0, 1, RUN_COLORS.length].map(runColor)).toEqual([RUN_COLORS[0], RUN_COLORS[1], RUN_COLORS[0]]);
    const series = { path: 'loss', downsampled: false, points: [{ step: 0, y: 1 }] };
    const lines = buildSeries(
      ['a', 'b', 'c'].map((label) => ({ id: label, label, series })),
      0,
    );
    // The shared legend colours run i with runColor(i): the lines must agree.
    expect(lines.map((l) => l.color)).toEqual([0, 1, 2].map(runColor));
  });
});

describe('sortPaths', () => {
  it('puts the main curves before per-layer series, and numbers in order', () => {
    const layers = Array.from({ length: 12 }, (_, i) => `layers/${i}/grad_norm`);
    expect(sortPaths([...layers].reverse().concat(['train/loss', 'lr', 'eval/acc']))).toEqual([
      'lr',
      'eval/acc',
      'train/loss',
      ...layers,
    ]);
  });

  it('puts the run’s metrics before the sys/ hardware series', () => {
    expect(sortPaths(['sys/gpu0/power_w', 'train/loss', 'eval/acc'])).toEqual([
      'eval/acc',
      'train/loss',
      'sys/gpu0/power_w',
    ]);
  });
});

describe('chartLabels', () => {
  it('is each run’s name (its id without one), with the id added only where names repeat', () => {
    expect(
      chartLabels([
        { run_id: 'r_1', name: 'My LM/train' },
        { run_id: 'r_2', name: 'My LM/train' },
        { run_id: 'r_3', name: 'probe' },
        { run_id: 'r_4', name: null },
      ]),
    ).toEqual(['My LM/train · r_1', 'My LM/train · r_2', 'probe', 'r_4']);
  });
});

describe('the min/max band as ECharts draws it', () => {
  it('spans min..max where the values are negative or cross zero (ECharts stacks same-sign values by default)', async () => {
    const { echarts } = await import('./echarts-core');
    const { SVGRenderer } = await import('echarts/renderers');
    echarts.use([SVGRenderer]);
    const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 400, height: 300 });
    const points = [
      { step: 0, y: -5, min_y: -8, max_y: -2 },
      { step: 1, y: 1, min_y: -1, max_y: 3 },
      { step: 2, y: 5, min_y: 4, max_y: 7 },
    ];
    const series = buildSeries(
      [{ id: 'r', label: 'r', series: { path: 'x', downsampled: true, points } }],
      0,
    );
    chart.setOption({ xAxis: { type: 'value' }, yAxis: { type: 'value' }, series });
    // The drawn edges: the band's lower line as given, its upper line where the stack puts it.
    const drawn = (id: string) => {
      const data = (chart as any)
        .getModel()
        .getSeries()
        .find((s: any) => s.id === id)
        .getData();
      const dim = data.getCalculationInfo('stackResultDimension') ?? 'y';
      return points.map((_, i) => data.get(dim, i));
    };
    expect(drawn('band:lo:r')).toEqual([-8, -1, 4]);
    expect(drawn('band:hi:r')).toEqual([-2, 3, 7]);
    chart.dispose();
  });
});

describe('seriesSummary', () => {
  it('says "1 point", with the value in limited digits', () => {
    expect(seriesSummary('big', [{ step: 0, y: 1.3999999999999999e308 }])).toBe(
      'big: 1 point, last 1.4e+308 at step 0',
    );
  });
  it('counts several points and names a non-finite last value', () => {
    expect(
      seriesSummary('loss', [
        { step: 0, y: 2 },
        { step: 1, y: 'NaN' },
      ]),
    ).toBe('loss: 2 points, last NaN at step 1');
  });
  it('says so when there is no point', () => expect(seriesSummary('x', [])).toBe('x: 0 points, last —'));
});

describe('chartTooltip numbers', () => {
  const at = (step: number, y: number) => [
    { seriesId: 'line:r1', seriesName: 'r1', marker: '', value: [step, y] as [number, number] },
  ];
  it('shows a value with limited digits and a whole step exactly', () => {
    expect(chartTooltip(at(1234567, 1.3999999999999999e308))).toBe('step 1234567<br>r1: 1.4e+308');
  });
});

describe(chartPaths.name, () => {
  it('numbers the GPUs of runs compared in order when they ran on different ones (else never one chart)', () => {
    const { paths, series } = chartPaths([
      ['loss', 'sys/gpu2/power_w', 'sys/gpu3/power_w'],
      ['loss', 'sys/gpu0/power_w', 'sys/gpu1/power_w'],
    ]);
    expect(paths).toEqual(['loss', 'sys/gpu#0/power_w', 'sys/gpu#1/power_w']);
    expect(series.map((own) => Object.fromEntries(own))).toEqual([
      { loss: 'loss', 'sys/gpu#0/power_w': 'sys/gpu2/power_w', 'sys/gpu#1/power_w': 'sys/gpu3/power_w' },
      { loss: 'loss', 'sys/gpu#0/power_w': 'sys/gpu0/power_w', 'sys/gpu#1/power_w': 'sys/gpu1/power_w' },
    ]);
  });

  it("keeps the host's numbers for one run, and for runs on the same GPUs", () => {
    expect(chartPaths([['sys/gpu3/power_w']]).paths).toEqual(['sys/gpu3/power_w']);
    const same = chartPaths([
      ['sys/gpu1/power_w', 'a'],
      ['sys/gpu1/power_w', 'b'],
    ]);
    expect(same.paths).toEqual(['sys/gpu1/power_w', 'a', 'b']);
    expect(same.series[1].get('a')).toBeUndefined();
  });
});
