import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { awsCall } from './errors';
import { type RolloutProgress, VERDICT_RESOURCE_TYPE } from './types';

export { VERDICT_RESOURCE_TYPE };

const sfn = new SFNClient({});

/** A deploy whose rollout did not promote fails with this: CloudFormation rolls the stack back. */
export class RolloutNotPromotedError extends Error {
  public readonly name = 'RolloutNotPromoted';
}

export interface VerdictEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResourceType?: string;
  readonly LogicalResourceId: string;
  readonly ResourceProperties: { readonly ExecutionArn?: string; readonly StateMachineArn: string };
}

/**
 * The verdict resource depends on the release and on every guard alarm, so CloudFormation updates
 * it once the alarms watch the new version; the provider framework then calls isComplete until
 * the rollout ends (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.custom_resources-readme.html).
 * Promoted: the deploy succeeds. Anything else: it fails, and the stack rollback's release update
 * stops what is left (the canary is at 0 % by then). A stack rollback also sets this resource back
 * to an older execution: only the newest execution of the workflow can fail a deploy.
 */
export async function verdictComplete(event: VerdictEvent): Promise<{ IsComplete: boolean }> {
  const arn = event.ResourceProperties.ExecutionArn;
  if (event.RequestType === 'Delete' || !arn) return { IsComplete: true };
  const newest = await awsCall('ListExecutions', () => sfn.send(new ListExecutionsCommand({ stateMachineArn: event.ResourceProperties.StateMachineArn, maxResults: 1 })));
  if (newest.executions?.[0]?.executionArn !== arn) return { IsComplete: true };
  const e = await awsCall('DescribeExecution', () => sfn.send(new DescribeExecutionCommand({ executionArn: arn })));
  if (e.status === 'RUNNING') return { IsComplete: false };
  if (e.status === 'SUCCEEDED') {
    let outcome: string | undefined;
    try {
      outcome = (JSON.parse(e.output ?? '{}') as { progress?: RolloutProgress }).progress?.externalOutcome;
    } catch {
      outcome = undefined;
    }
    if (outcome !== 'superseded') return { IsComplete: true };
  }
  const why = [e.error, e.cause].filter(Boolean).join(': ').slice(0, 400);
  throw new RolloutNotPromotedError(`the rollout ${e.name} ended ${e.status}${why ? ` (${why})` : ''}, not promoted: CloudFormation rolls the stack back to the stable version`);
}
