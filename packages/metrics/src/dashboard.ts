import type { MetricObject } from 'prom-client';

export interface DashboardOptions {
  title?: string;
  uid?: string;
  /** Window of `rate()` in every query. Default `5m`. */
  rateWindow?: string;
  /** Only metrics whose names start with this; default the registry's prefix. */
  prefix?: string;
}

export interface GrafanaPanel {
  id: number;
  type: 'timeseries' | 'stat';
  title: string;
  description: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource: { type: 'prometheus'; uid: string };
  fieldConfig: { defaults: { unit: string }; overrides: [] };
  targets: Array<{ refId: string; expr: string; legendFormat: string; datasource: { type: 'prometheus'; uid: string } }>;
}

/** A Grafana dashboard model (schemaVersion 39), importable as is. */
export interface GrafanaDashboard {
  uid: string;
  title: string;
  tags: string[];
  timezone: 'browser';
  schemaVersion: number;
  version: number;
  refresh: string;
  time: { from: string; to: string };
  templating: { list: Array<Record<string, unknown>> };
  panels: GrafanaPanel[];
}

const DATASOURCE = { type: 'prometheus' as const, uid: '${datasource}' };
const QUANTILES = [0.5, 0.9, 0.99];

/**
 * One row of panels per metric, generated from what is registered: a histogram gets a latency
 * panel (p50/p90/p99 by its first label) and a rate panel; a counter a rate panel; a gauge a
 * value panel.
 */
export function generateDashboard(metrics: MetricObject[], options: DashboardOptions = {}): GrafanaDashboard {
  const window = options.rateWindow ?? '5m';
  const prefix = options.prefix ?? '';
  const panels: GrafanaPanel[] = [];
  let y = 0;
  let nextId = 1;
  const panel = (title: string, description: string, unit: string, x: number, targets: Array<[string, string]>): GrafanaPanel => ({
    id: nextId++,
    type: 'timeseries',
    title,
    description,
    gridPos: { x, y, w: 12, h: 8 },
    datasource: DATASOURCE,
    fieldConfig: { defaults: { unit }, overrides: [] },
    targets: targets.map(([expr, legendFormat], i) => ({ refId: String.fromCharCode(65 + i), expr, legendFormat, datasource: DATASOURCE })),
  });

  for (const metric of metrics) {
    if (!metric.name.startsWith(prefix)) continue;
    const labels: string[] = (metric as MetricObject & { labelNames?: string[] }).labelNames ?? [];
    const by = labels[0];
    const legend = by ? `{{${by}}}` : metric.name;
    const title = metric.name.slice(prefix.length).replace(/_/g, ' ');
    switch (String(metric.type)) {
      case 'histogram': {
        const group = by ? `le, ${by}` : 'le';
        panels.push(
          panel(`${title}: latency`, metric.help, 's', 0,
            QUANTILES.map((q) => [`histogram_quantile(${q}, sum by (${group}) (rate(${metric.name}_bucket[${window}])))`, `${legend} p${q * 100}`]),
          ),
          panel(`${title}: rate`, metric.help, 'ops', 12, [[`sum${by ? ` by (${by})` : ''} (rate(${metric.name}_count[${window}]))`, legend]]),
        );
        break;
      }
      case 'counter':
        panels.push(panel(`${title}: rate`, metric.help, 'ops', 0, [[`sum${by ? ` by (${by})` : ''} (rate(${metric.name}[${window}]))`, legend]]));
        break;
      case 'gauge':
        panels.push(panel(title, metric.help, 'short', 0, [[`sum${by ? ` by (${by})` : ''} (${metric.name})`, legend]]));
        break;
      default:
        continue; // summaries: quantiles are computed client-side and do not aggregate
    }
    y += 8;
  }

  return {
    uid: options.uid ?? 'symphony',
    title: options.title ?? 'Symphony',
    tags: ['symphony'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    templating: {
      list: [{ name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Prometheus', current: {}, hide: 0 }],
    },
    panels,
  };
}
