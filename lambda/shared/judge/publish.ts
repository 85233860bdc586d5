import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { awsCall } from '../errors';
import { EVIDENCE_DIMENSIONS, EVIDENCE_METRIC, JUDGE_NAMESPACE, type JudgePlan } from '../judge-plan';
import type { GuardVerdict } from './verdict';

const cloudwatch = new CloudWatchClient({});

/**
 * Each guard's evidence as a CloudWatch metric (log10 of its e-value), so its alarm, the alarm
 * fast path and a dashboard see the judge like any other guard. Undecided guards publish nothing.
 */
export async function publishEvidence(plan: JudgePlan, canaryVersion: string, verdicts: readonly GuardVerdict[], now: number): Promise<void> {
  const data = verdicts
    .filter((v) => v.undecided === undefined && Number.isFinite(v.log10Evidence))
    .map((v) => ({
      MetricName: EVIDENCE_METRIC,
      Dimensions: [
        { Name: EVIDENCE_DIMENSIONS.canary, Value: plan.canaryName },
        { Name: EVIDENCE_DIMENSIONS.stack, Value: plan.stackName },
        { Name: EVIDENCE_DIMENSIONS.guard, Value: v.name },
        { Name: EVIDENCE_DIMENSIONS.version, Value: canaryVersion },
      ],
      Timestamp: new Date(now * 1000),
      Value: Number(v.log10Evidence.toFixed(4)),
      Unit: 'None' as const,
    }));
  if (data.length === 0) return;
  // PutMetricData takes at most 1,000 metrics a call; a rollout has a few dozen guards at most.
  await awsCall('PutMetricData', () => cloudwatch.send(new PutMetricDataCommand({ Namespace: JUDGE_NAMESPACE, MetricData: data })));
}
