/**
 * The chart of one simulated rollout (vega-lite compiled to vega, rendered to SVG in Node without a
 * browser or canvas): traffic share, error rate, p95 latency, tokens per request and guardrail
 * blocks per minute, stable vs canary, with the scenario's changes, the rollout's steps, alarms and
 * the rollback or promotion marked on every panel.
 */
import type { EventKind, Timeline } from './scenario-run';
import type { TimelineMinute, VersionMinute } from './timeline-minutes';

export const PANEL_TITLES = [
  'Traffic share per version (% of requests)',
  'Error rate (% of requests)',
  'p95 latency (ms)',
  'Tokens per request',
  'Guardrail blocks per minute',
] as const;

const EVENT_COLOURS: Record<EventKind, string> = {
  change: '#9467bd',
  step: '#7f7f7f',
  alarm: '#d62728',
  rollback: '#8c0000',
  promote: '#2ca02c',
  hold: '#8c564b',
  alert: '#7f7f7f',
  end: '#000000',
  operator: '#ff7f0e',
};

const EVENT_NAMES: Record<EventKind, string> = {
  change: 'scenario change',
  step: 'rollout step',
  alarm: 'alarm → ALARM',
  rollback: 'rollback',
  promote: 'promotion',
  hold: 'holding',
  alert: 'alert',
  end: 'end',
  operator: 'operator command',
};

type Row = { minute: number; version: string; value: number | null };

function series(minutes: TimelineMinute[], pick: (v: VersionMinute, m: TimelineMinute, side: 'stable' | 'canary') => number | null): Row[] {
  return minutes.flatMap((m) => [
    { minute: m.minute, version: 'stable (v1)', value: pick(m.stable, m, 'stable') },
    { minute: m.minute, version: 'canary (v2)', value: pick(m.canary, m, 'canary') },
  ]);
}

/** The vega-lite spec (exported for tests and for anyone who wants to restyle it). */
export function chartSpec(timeline: Timeline): Record<string, unknown> {
  const s = timeline.summary;
  const m = timeline.minutes;
  const width = 860;
  const first = m.find((x) => x.stable.requests + x.canary.requests > 0) ?? m[0];
  const x = {
    field: 'minute',
    type: 'quantitative',
    title: 'minutes since the canary was deployed',
    scale: { domain: [Math.min(first?.minute ?? 0, 0), (m[m.length - 1]?.minute ?? 0) + 1], nice: false },
  };
  const versionColour = {
    field: 'version',
    type: 'nominal',
    title: 'version',
    scale: { domain: ['stable (v1)', 'canary (v2)'], range: ['#4c78a8', '#f58518'] },
  };
  // Events at (almost) the same moment share one label.
  const groups: { minute: number; kind: EventKind; label: string }[] = [];
  for (const e of timeline.events) {
    const minute = e.atSeconds / 60;
    const last = groups[groups.length - 1];
    if (last && minute - last.minute < 0.75) {
      last.label += ` · ${e.label}`;
      if (e.kind === 'rollback' || e.kind === 'promote' || (e.kind === 'alarm' && last.kind !== 'rollback')) last.kind = e.kind;
    } else groups.push({ minute, kind: e.kind, label: e.label });
  }
  const events = timeline.events.map((e) => ({ minute: e.atSeconds / 60, kind: EVENT_NAMES[e.kind] }));
  const labels = groups.map((g, i) => ({ ...g, kind: EVENT_NAMES[g.kind], row: i % 4 }));
  const kinds = [...new Set(timeline.events.map((e) => e.kind))];
  const eventColour = {
    field: 'kind',
    type: 'nominal',
    title: 'marked events',
    scale: { domain: kinds.map((k) => EVENT_NAMES[k]), range: kinds.map((k) => EVENT_COLOURS[k]) },
  };
  const rules = { data: { values: events }, mark: { type: 'rule', strokeDash: [4, 3], strokeWidth: 1.5 }, encoding: { x: { field: 'minute', type: 'quantitative' }, color: eventColour } };
  // Legends once, on the traffic panel: the colours mean the same everywhere.
  const panel = (title: string, rows: Row[], yTitle: string, mark: 'line' | 'area' = 'line', legend = false) => ({
    width,
    height: 120,
    title: { text: title, anchor: 'start', fontSize: 13 },
    layer: [
      {
        data: { values: rows.filter((r) => r.value !== null) },
        mark: mark === 'area' ? { type: 'area', opacity: 0.85, interpolate: 'step-after' } : { type: 'line', point: { size: 12 }, strokeWidth: 1.8 },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: yTitle, ...(mark === 'area' ? { stack: 'zero', scale: { domain: [0, 100] } } : {}) },
          color: legend ? versionColour : { ...versionColour, legend: null },
        },
      },
      legend ? rules : { ...rules, encoding: { ...rules.encoding, color: { ...eventColour, legend: null } } },
    ],
    resolve: { scale: { color: 'independent' } },
  });
  const pct = (v: number | null) => (v === null ? null : Math.round(v * 10000) / 100);
  const outcome =
    s.outcome === 'rolled_back'
      ? `ROLLED BACK at +${(s.rollbackAtSeconds! / 60).toFixed(1)} min`
      : s.outcome === 'promoted'
        ? `PROMOTED at +${(s.promotedAtSeconds! / 60).toFixed(1)} min`
        : s.outcome.toUpperCase();
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    padding: 12,
    title: {
      text: `Scenario "${timeline.scenario}": ${outcome}`,
      subtitle: [
        ...(timeline.description ? [timeline.description] : []),
        `Canary: ${s.canaryRequests} requests, ${s.canaryFailedRequests} failed, max weight ${s.maxCanaryWeight} %. ` +
          `Regression onset: ${s.regressionOnsetSeconds === null ? 'none' : `+${s.regressionOnsetSeconds / 60} min (${s.regression.join(', ')})`}. ` +
          `Alarms: ${s.alarmsFired.map((a) => a.alarm).join(', ') || 'none'}. Seed ${timeline.seed}.`,
      ],
      anchor: 'start',
      fontSize: 16,
    },
    config: { view: { stroke: '#ddd' }, axis: { labelFontSize: 11, titleFontSize: 11 }, legend: { labelFontSize: 11, titleFontSize: 11 } },
    vconcat: [
      {
        width,
        height: 90,
        title: { text: 'What happened (scenario changes, rollout steps, alarms, rollback / promotion)', anchor: 'start', fontSize: 13 },
        data: { values: labels },
        layer: [
          { mark: { type: 'rule', strokeDash: [4, 3], strokeWidth: 1.5 }, encoding: { x, color: { ...eventColour, legend: null } } },
          {
            mark: { type: 'text', align: 'left', dx: 3, fontSize: 11, fontWeight: 'bold' },
            encoding: {
              x: { field: 'minute', type: 'quantitative' },
              y: { field: 'row', type: 'ordinal', axis: null },
              text: { field: 'label' },
              color: { ...eventColour, legend: null },
            },
          },
        ],
      },
      panel(PANEL_TITLES[0], series(m, (_v, mm, side) => (mm.canaryShare === null ? null : side === 'canary' ? mm.canaryShare : 100 - mm.canaryShare)), '% of requests', 'area', true),
      panel(PANEL_TITLES[1], series(m, (v) => pct(v.errorRate)), '% failed'),
      panel(PANEL_TITLES[2], series(m, (v) => v.p95LatencyMs), 'ms'),
      panel(PANEL_TITLES[3], series(m, (v) => v.tokensPerRequest), 'tokens'),
      panel(PANEL_TITLES[4], series(m, (v) => (v.requests > 0 ? v.guardrailBlocks : null)), 'blocked requests'),
    ],
  };
}

/** The chart as SVG. vega is ESM with top-level await (require() cannot load it): imported on demand. */
export async function renderChart(timeline: Timeline): Promise<string> {
  const vl = await import('vega-lite');
  const vega = await import('vega');
  const { spec } = vl.compile(chartSpec(timeline) as never);
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
