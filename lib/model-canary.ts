import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import type { Guard } from './guards/guard';
import type { ModelCanaryOptions } from './model-canary-options';
import { CanaryRollout } from './private/canary-rollout';
import { grantOperate } from './private/operator-channel';
import { warnAboutOptions } from './private/option-problems';
import type { TargetBinding } from './private/target-binding';
import { withCanaryPath } from './private/validation';

/**
 * What every model canary offers, whatever serves the model (a Lambda alias, a SageMaker endpoint):
 * code that alerts, dashboards or grants access can take either.
 */
export interface IModelCanary extends IConstruct {
  /** The canary's name, unique in its stack: in alarm names, alerts and the model-signal `Canary` dimension. */
  readonly canaryName: string;
  /** Receives every alert of the canary (by default the stack's topic, shared by its canaries; alerts carry a `canary` message attribute). */
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

/**
 * The base of every canary construct: the rollout (guards, workflow, release resource, operator
 * channel, dashboard) is built once here, against the target binding a subclass hands over; a new
 * target kind writes only what is its own (its props, its binding, how callers reach it).
 */
export abstract class ModelCanaryBase extends Construct implements IModelCanary {
  private _canaryRollout?: CanaryRollout;

  constructor(scope: Construct, id: string) {
    super(scope, id);
  }

  /** Unique in the stack: in alarm names, alerts and the model-signal `Canary` dimension. */
  public get canaryName(): string {
    return this.rollout.canaryName;
  }

  /** Receives every alert: the stack's topic (shared by its canaries) unless `alertTopic` was given. */
  public get topic(): sns.ITopic {
    return this.rollout.topic;
  }

  /** The rollout workflow. */
  public get stateMachine(): sfn.IStateMachine {
    return this.rollout.stateMachine;
  }

  /** The canary's CloudWatch dashboard (undefined with `dashboard: false`). */
  public get dashboard(): cloudwatch.Dashboard | undefined {
    return this.rollout.dashboard;
  }

  /** The dashboard's console URL (undefined with `dashboard: false`); also the stack output `DashboardUrl`. */
  public get dashboardUrl(): string | undefined {
    return this.rollout.dashboardUrl;
  }

  /** The SSM parameter the `cdk-model-canary` CLI finds this canary by. */
  public get operatorParameterName(): string {
    return this.rollout.channel.descriptor.parameterName;
  }

  /**
   * The library's guard alarms: each alarm guard's CloudWatch alarms and each judged guard's
   * evidence alarm (the alarms of `Guard.fromAlarm` are yours, not listed here).
   */
  public get guardAlarms(): cloudwatch.IAlarm[] {
    return this.rollout.guards.ownAlarms;
  }

  /**
   * Adds a guard, like one more entry of `guards` (without `guards`, beside the default set).
   * Two guards of one name fail (each owns the alarm "<stack>-<canaryName>-<guardName>").
   */
  public addGuard(guard: Guard): void {
    withCanaryPath(this, () => this.rollout.addGuard(guard));
  }

  /**
   * Lets `grantee` run the `cdk-model-canary` CLI on this canary: status, watch, history, and the
   * commands that steer a rollout (promote, abort, pause, resume, approve, retry).
   */
  public grantOperate(grantee: iam.IGrantable): iam.Grant {
    return grantOperate(this.rollout, this.rollout.channel, grantee);
  }

  /** The alarm of one of the library's guards, by guard name ("ErrorRate", "LatencyVsStable"...). */
  public guardAlarm(guardName: string): cloudwatch.IAlarm {
    const guards = this.rollout.guards;
    const alarm = guards.alarmOf(guardName);
    if (!alarm) {
      const names = guards.ownAlarmNames.map((n) => n.slice(guards.alarmNamePrefix.length));
      throw new Error(`${this.node.path}: no guard named "${guardName}" (this canary has ${names.join(', ') || 'none'})`);
    }
    return alarm;
  }

  /** Lets `grantee` invoke the model the way callers do. */
  public abstract grantInvoke(grantee: iam.IGrantable): iam.Grant;

  /** The rollout against `binding`: a subclass calls this once, in its constructor. @internal */
  protected _buildRollout(options: ModelCanaryOptions, binding: TargetBinding, canaryVersion: string): CanaryRollout {
    if (this._canaryRollout) throw new Error(`${this.node.path}: the rollout is built once`);
    this._canaryRollout = withCanaryPath(this, () => new CanaryRollout(this, 'Rollout', { options, binding, canaryVersion }));
    warnAboutOptions(this, options);
    return this._canaryRollout;
  }

  private get rollout(): CanaryRollout {
    if (!this._canaryRollout) throw new Error(`${this.node.path}: the canary's rollout is not built yet (a subclass of ModelCanaryBase calls _buildRollout in its constructor)`);
    return this._canaryRollout;
  }
}
