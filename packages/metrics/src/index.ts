export { createMetrics, type Metrics, type MetricsOptions, type MetricOptions } from './metrics.js';
export { LayerHistogram, type HistogramChild, type Labels } from './layer-histogram.js';
export { STANDARD_HISTOGRAMS, type StandardHistogram, type StandardLabels } from './layers.js';
export { generateDashboard, type DashboardOptions, type GrafanaDashboard, type GrafanaPanel } from './dashboard.js';
export { metricsPlugin, metricsPlugin as plugin, type MetricsService } from './plugin.js';
