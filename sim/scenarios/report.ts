/**
 * A scenario run as a person reads it: the progress line printed once a virtual minute, the
 * summary's lines, the chart and timeline files. Shared by `npm run simulate`, `npm run demo` and
 * the CLI's `simulate` (cli/simulate-run.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { type Progress, shortAlarm, type Summary, type Timeline } from './scenario-run';

/** Seconds since the canary's deploy as `+mm:ss`. */
export function clock(seconds: number): string {
  const sign = seconds < 0 ? '-' : '+';
  const s = Math.abs(Math.round(seconds));
  return `${sign}${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export function progressLine(p: Progress): string {
  const firing = p.alarms.filter((a) => a.state === 'ALARM').map((a) => shortAlarm(a.name));
  const ok = p.alarms.filter((a) => a.state === 'OK').length;
  const insufficient = p.alarms.filter((a) => a.state === 'INSUFFICIENT_DATA').length;
  return (
    `[${clock(p.atSeconds)}] ${p.state.padEnd(16)} canary ${String(p.canaryPercent).padStart(5)}%  ` +
    `alarms: ${firing.length > 0 ? `ALARM ${firing.join(', ')}; ` : ''}${ok} OK, ${insufficient} no data`
  );
}

export function summaryLines(s: Summary): string[] {
  const at = (x: number | null) => (x === null ? '-' : `${clock(x)} (${x} s)`);
  return [
    `scenario ${s.scenario}: ${s.outcome.toUpperCase()}${s.error ? ` (${s.error})` : ''}`,
    ...(s.cause ? [`  cause: ${s.cause}`] : []),
    `  regression onset ${at(s.regressionOnsetSeconds)}${s.regression.length ? ` [${s.regression.join(', ')}]` : ''}, rollback ${at(s.rollbackAtSeconds)}, promoted ${at(s.promotedAtSeconds)}`,
    `  canary: ${s.canaryRequests} requests, ${s.canaryFailedRequests} failed, max weight ${s.maxCanaryWeight}%`,
    `  alarms fired: ${s.alarmsFired.map((a) => `${a.alarm} at ${clock(a.atSeconds)}`).join(', ') || 'none'}`,
    `  decided by: ${s.decidedBy ?? 'nothing (no rollback)'}`,
    `  alerts: ${s.alerts.map((a) => a.event ?? '?').join(' → ') || 'none'}${s.faultsInjected ? `; ${s.faultsInjected} faults injected` : ''}`,
    `  ${Math.round(s.rolloutSeconds / 60)} virtual minutes in ${(s.realMs / 1000).toFixed(1)} s`,
  ];
}

/**
 * Writes the run's chart (SVG) to `file`. The chart module (vega) is loaded only here: the CLI's
 * bundle carries it as a file of its own (scripts/bundle-handlers.js).
 */
export async function writeChart(file: string, timeline: Timeline): Promise<void> {
  const { renderChart } = await import('./chart.js');
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, await renderChart(timeline));
}

/** Writes timeline.json and chart.svg; returns their paths. */
export async function writeOutputs(dir: string, timeline: Timeline, prefix = ''): Promise<{ timeline: string; chart: string }> {
  mkdirSync(dir, { recursive: true });
  const files = { timeline: path.join(dir, `${prefix}timeline.json`), chart: path.join(dir, `${prefix}chart.svg`) };
  writeFileSync(files.timeline, `${JSON.stringify(timeline, null, 2)}\n`);
  await writeChart(files.chart, timeline);
  return files;
}
