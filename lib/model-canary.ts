import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import type { Guard } from './guards/guard';

/**
 * What every model canary offers, whatever serves the model (a Lambda alias, a SageMaker endpoint):
 * code that alerts, dashboards or grants access can take either.
 */
export interface IModelCanary extends IConstruct {
  /** The canary's name, unique in its stack: in alarm names, alerts and the model-signal `Canary` dimension. */
  readonly canaryName: string;
  /** Receives every alert of the canary. */
  readonly topic: sns.ITopic;
  /** The rollout workflow. */
  readonly stateMachine: sfn.IStateMachine;
  /** The library's guard alarms (alarm guards' alarms and judged guards' evidence alarms). */
  readonly guardAlarms: cloudwatch.IAlarm[];
  /** Adds a guard, like one more entry of `guards`. */
  addGuard(guard: Guard): void;
  /** Lets `grantee` invoke the model the way callers do (the alias, or the endpoint). */
  grantInvoke(grantee: iam.IGrantable): iam.Grant;
}
