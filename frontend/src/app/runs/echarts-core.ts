/**
 * The only ECharts parts the console uses, registered on `echarts/core` so the bundler drops the
 * rest: line series, the grid/axes, tooltip, data zoom, and the canvas renderer (the legend is the
 * console's own, shared by a view's charts).
 */
import * as echarts from 'echarts/core';
import { LineChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([LineChart, GridComponent, TooltipComponent, DataZoomComponent, CanvasRenderer]);

export { echarts };
