/**
 * The periods an alarm evaluates. "For any period of one minute or longer, an alarm is evaluated
 * every minute and the evaluation is based on the window of time defined by the Period and
 * Evaluation Periods": a 5-minute alarm evaluated at the end of minute 6 reads minutes 2 to 6
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation). So the
 * periods slide with the evaluation minute instead of sitting on multiples of the period.
 */
import type { Datapoint, MetricId, MetricStore } from './metrics';

const MINUTE = 60_000;

/** Starts of the `count` periods that end at the evaluation time, oldest first. */
export function evaluationGrid(now: number, periodSeconds: number, count: number): number[] {
  const periodMs = periodSeconds * 1000;
  // High-resolution periods (10/30 s) stay on their own boundaries; a minute or longer slides by minute.
  const end = periodMs % MINUTE === 0 ? Math.floor(now / MINUTE) * MINUTE : Math.floor(now / periodMs) * periodMs;
  return Array.from({ length: count }, (_, i) => end - (count - i) * periodMs);
}

/**
 * One datapoint per period starting at each of `starts` (period-long each), as visible at `now`,
 * computed from the raw values of exactly that window, so every statistic (percentiles included)
 * is exact for a sliding period. High-resolution periods stay on the store's own series.
 */
export function windowSeries(
  store: MetricStore,
  id: MetricId,
  stat: string,
  periodSeconds: number,
  starts: readonly number[],
  now: number,
  /** Where the data ends (GetMetricData's EndTime, on a minute): the last window stops there. */
  endMs?: number,
): Datapoint[] {
  const periodMs = periodSeconds * 1000;
  if (starts.length === 0) return [];
  if (periodMs % MINUTE !== 0) {
    return store.series(id, stat, periodSeconds, starts[0], starts[starts.length - 1] + periodMs, now);
  }
  return starts
    .map((t) => store.window(id, stat, t, endMs === undefined ? t + periodMs : Math.min(t + periodMs, endMs), now))
    .filter((p): p is Datapoint => p !== undefined);
}
