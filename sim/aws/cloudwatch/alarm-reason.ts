/**
 * StateReason and StateReasonData of an alarm transition, in CloudWatch's wording (what
 * DescribeAlarms and the state-change event carry).
 */
import type { AlarmState, Evaluation, RangePoint } from './alarm-evaluation';
import { comparisonText } from './alarm-evaluation';
import type { AlarmDefinition } from './alarm-types';

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

function shortTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${String(d.getUTCFullYear()).slice(2)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

export function explainEvaluation(
  def: AlarmDefinition,
  result: Evaluation,
  points: RangePoint[],
  now: number,
  startDate: number,
  from: AlarmState,
  period: number,
): { reason: string; reasonData: string } {
  const n = def.EvaluationPeriods;
  const m = def.DatapointsToAlarm ?? n;
  const thr = def.Threshold;
  const evaluated = [...result.evaluated];
  const list = [...evaluated].reverse().map((p) => `${p.value} (${shortTime(p.timestamp)})`).join(', ');
  let reason: string;
  if (result.kind === 'allMissing') {
    reason =
      result.state === 'INSUFFICIENT_DATA'
        ? `Insufficient Data: ${n} datapoints were unknown.`
        : `Threshold Crossed: no datapoints were received for ${n} periods and ${n} missing datapoints were treated as [${def.TreatMissingData === 'breaching' ? 'Breaching' : 'NonBreaching'}].`;
  } else if (result.state === 'INSUFFICIENT_DATA') {
    reason = `Insufficient Data: ${result.filled || n - evaluated.length} datapoints were unknown.`;
  } else {
    const cmp = comparisonText(def.ComparisonOperator);
    // Only breaching/notBreaching fill; with missing or ignore the unfilled points are simply absent.
    const fills = def.TreatMissingData === 'breaching' || def.TreatMissingData === 'notBreaching';
    const filled = fills && result.filled > 0 ? ` and ${result.filled} missing datapoint${result.filled === 1 ? ' was' : 's were'} treated as [${def.TreatMissingData === 'breaching' ? 'Breaching' : 'NonBreaching'}]` : '';
    reason =
      result.state === 'ALARM'
        ? `Threshold Crossed: ${Math.min(result.breaching, evaluated.length)} out of the last ${evaluated.length} datapoints [${list}] were ${cmp} the threshold (${thr})${filled} (minimum ${m} datapoint${m === 1 ? '' : 's'} for ${from} -> ALARM transition).`
        : `Threshold Crossed: ${evaluated.length - Math.min(result.breaching, evaluated.length)} out of the last ${evaluated.length} datapoints [${list}] were not ${cmp} the threshold (${thr})${filled} (minimum ${n - m + 1} datapoint${n - m + 1 === 1 ? '' : 's'} for ${from} -> OK transition).`;
  }
  const stat = def.Metrics ? undefined : (def.ExtendedStatistic ?? def.Statistic);
  const reasonData = JSON.stringify({
    version: '1.0',
    queryDate: iso(now),
    startDate: iso(startDate),
    ...(stat ? { statistic: stat } : {}),
    ...(def.Unit ? { unit: def.Unit } : {}),
    period,
    recentDatapoints: evaluated.map((p) => p.value),
    threshold: thr,
    evaluatedDatapoints: [...points]
      .reverse()
      .filter((p) => evaluated.includes(p))
      .map((p) => ({ timestamp: iso(p.timestamp), ...(p.sampleCount !== undefined ? { sampleCount: p.sampleCount } : {}), value: p.value })),
  });
  return { reason, reasonData };
}

