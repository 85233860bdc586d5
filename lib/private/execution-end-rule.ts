import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import type { RolloutController } from './rollout-controller';

/**
 * No canary left at its share: an execution stopped by hand, timed out, or failed where no Catch
 * runs (the history limit) sets its canary to 0 and alerts, through the workflow's own status
 * changes on EventBridge ("Step Functions Execution Status Change", source aws.states:
 * https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html). The handler
 * leaves alone executions the release step stopped as Superseded and the workflow's own rollbacks.
 */
export function addExecutionEndRule(host: RolloutController, plan: Record<string, unknown>): void {
  const fn = host.handler('on-execution-end', 'ExecutionEndStep');
  host.binding.grantShiftTraffic(fn);
  host.grantAlerts(fn);
  const rule = new events.Rule(host, 'WorkflowEndRule', {
    description: `cdk-model-canary ${host.canaryName}: a rollout execution ended without its own rollback`,
    eventPattern: {
      source: ['aws.states'],
      detailType: ['Step Functions Execution Status Change'],
      detail: { status: ['ABORTED', 'TIMED_OUT', 'FAILED'], stateMachineArn: [host.stateMachine.stateMachineArn] },
    },
  });
  rule.addTarget(
    new eventsTargets.LambdaFunction(fn, {
      event: events.RuleTargetInput.fromObject({
        config: { canaryName: plan.canaryName, target: plan.target, topicArn: plan.topicArn },
        detail: events.EventField.fromPath('$.detail'),
      }),
      retryAttempts: 8,
      maxEventAge: Duration.hours(2),
    }),
  );
}
