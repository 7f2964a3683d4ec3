/**
 * The only ECharts parts the console uses, registered on `echarts/core` so the bundler drops the
 * rest: line series, the grid/axes, tooltip, legend, data zoom, and the canvas renderer.
 */
import * as echarts from 'echarts/core';
import { LineChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([LineChart, GridComponent, TooltipComponent, LegendComponent, DataZoomComponent, CanvasRenderer]);

export { echarts };
