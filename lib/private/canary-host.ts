import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import type { GuardAlarms } from './guard-alarms';
import type { StackController } from './stack-controller';
import type { TargetBinding } from './target-binding';

/**
 * What the parts of a canary's rollout (workflow, operator channel, dashboard, nag
 * acknowledgements) read from it: an interface of its own, so those parts need not import the
 * construct that builds them.
 */
export interface CanaryHost extends IConstruct {
  readonly canaryName: string;
  readonly binding: TargetBinding;
  readonly guards: GuardAlarms;
  /** The release resource's StableVersion (a token at synth). */
  readonly stableVersion: string;
  readonly topic: sns.ITopic;
  /** Undefined while the workflow is being built. */
  readonly stateMachine?: sfn.StateMachine;
  /** The workflow's name and ARN as literals: statements name them without depending on the workflow. */
  readonly stateMachineName: string;
  readonly stateMachineArn: string;
  readonly dashboard?: cloudwatch.Dashboard;
  readonly dashboardName?: string;
  readonly shared: StackController;
}
