import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { awsCall } from './errors';
import { versionDimensions } from '../targets/kinds';

const cloudwatch = new CloudWatchClient({});

/** What the workflow needs to know about one guard alarm. */
export interface AlarmView {
  readonly name: string;
  readonly state: string;
  /**
   * Epoch seconds of the last change of the state value. StateUpdatedTimestamp also moves when only
   * the evaluation state changes, which would make a stale alarm look new.
   */
  readonly updatedAt: number;
  readonly reason: string;
  readonly threshold?: number;
  /** The newest datapoint the alarm evaluated, when CloudWatch says it. */
  readonly value?: number;
  /** Epoch seconds of the last configuration change (0 if unknown). */
  readonly configuredAt: number;
  /** Every value of an `ExecutedVersion` / `VariantName` dimension in the alarm's metrics. */
  readonly versions: string[];
}

export interface AlarmReading {
  readonly alarms: AlarmView[];
  /** Names asked for that CloudWatch does not know: a typo here would silently disable a guard. */
  readonly missing: string[];
}

/**
 * The guards' states. Composite alarms are asked for only when `composite` (the user gave
 * additionalAlarms, which may be composite): returning them needs cloudwatch:DescribeAlarms on `*`
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html), while
 * the library's own metric alarms can be read with a grant on exactly their ARNs.
 */
export async function readAlarms(names: string[], composite = true): Promise<AlarmReading> {
  const alarms: AlarmView[] = [];
  for (let i = 0; i < names.length; i += 100) {
    const chunk = names.slice(i, i + 100);
    let token: string | undefined;
    do {
      const out = await awsCall('DescribeAlarms', () =>
        cloudwatch.send(
          new DescribeAlarmsCommand({
            AlarmNames: chunk,
            AlarmTypes: composite ? ['MetricAlarm', 'CompositeAlarm'] : ['MetricAlarm'],
            NextToken: token,
          }),
        ),
      );
      for (const a of out.MetricAlarms ?? []) alarms.push(viewOfMetricAlarm(a));
      for (const c of out.CompositeAlarms ?? []) {
        alarms.push({
          name: c.AlarmName ?? '',
          state: c.StateValue ?? 'INSUFFICIENT_DATA',
          updatedAt: epochSeconds(c.StateTransitionedTimestamp ?? c.StateUpdatedTimestamp),
          reason: c.StateReason ?? '',
          configuredAt: epochSeconds(c.AlarmConfigurationUpdatedTimestamp),
          versions: [],
        });
      }
      token = out.NextToken;
    } while (token);
  }
  const found = new Set(alarms.map((a) => a.name));
  return { alarms, missing: names.filter((n) => !found.has(n)) };
}

function viewOfMetricAlarm(a: MetricAlarm): AlarmView {
  const versions = versionDimensions();
  const dims = [
    ...(a.Dimensions ?? []),
    ...(a.Metrics ?? []).flatMap((m) => m.MetricStat?.Metric?.Dimensions ?? []),
  ];
  return {
    name: a.AlarmName ?? '',
    state: a.StateValue ?? 'INSUFFICIENT_DATA',
    updatedAt: epochSeconds(a.StateTransitionedTimestamp ?? a.StateUpdatedTimestamp),
    reason: a.StateReason ?? '',
    threshold: a.Threshold,
    value: newestValue(a.StateReasonData),
    configuredAt: epochSeconds(a.AlarmConfigurationUpdatedTimestamp),
    versions: dims.filter((d) => d.Name && versions.has(d.Name)).map((d) => d.Value ?? ''),
  };
}

/** CloudWatch's StateReasonData is JSON with `recentDatapoints` (newest last) or `evaluatedDatapoints`. */
export function newestValue(reasonData: string | undefined): number | undefined {
  if (!reasonData) return undefined;
  try {
    const data = JSON.parse(reasonData) as {
      recentDatapoints?: number[];
      evaluatedDatapoints?: { value?: number }[];
    };
    const recent = data.recentDatapoints;
    if (recent && recent.length > 0) return recent[recent.length - 1];
    return data.evaluatedDatapoints?.find((d) => d.value !== undefined)?.value;
  } catch {
    return undefined;
  }
}

function epochSeconds(d: Date | undefined): number {
  return d ? Math.floor(new Date(d).getTime() / 1000) : 0;
}

/**
 * Alarms in ALARM that count against the canary. An alarm that was already in ALARM before the
 * canary got any traffic (and has not changed since) cannot be about the canary, so it is
 * ignored: a stale alarm from the last release must not block the fix.
 */
export function firingAlarms(alarms: AlarmView[], ignored: string[], startedAt: number): AlarmView[] {
  return alarms.filter((a) => a.state === 'ALARM' && !(ignored.includes(a.name) && a.updatedAt <= startedAt));
}
