import { Lazy, Stack } from 'aws-cdk-lib';
import { HIGH_RESOLUTION_ENV } from '../../../runtime/signal-names';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { APPCONFIG, APPCONFIG_KIND, type AppConfigTargetConfig } from '../../../lambda/targets/appconfig/contract';
import type { TargetBinding } from '../../private/target-binding';

export interface AppConfigBindingProps {
  readonly applicationId: string;
  readonly environmentId: string;
  readonly profileId: string;
  readonly deploymentStrategyId: string;
  readonly canaryName: string;
  readonly metricsNamespace: string;
  readonly propagationSeconds: number;
  /** The released config, JSON. */
  readonly content: string;
}

/**
 * The routing profile of an AppConfig application as a rollout target: hosted versions of that
 * profile, deployments to that environment with that strategy. Deployments are numbered per
 * environment: `deployment/*` of this environment only.
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsappconfig.html
 */
export class AppConfigBinding implements TargetBinding {
  /** Variables a guard asked for, merged into the construct's `routerEnvironment` when it is read. */
  public readonly signalsEnvironment: { [key: string]: string } = {};
  public readonly contract = APPCONFIG;
  public readonly targetConfig: AppConfigTargetConfig;
  public readonly versionContent: string;
  public readonly wildcardGrants: { readonly resource: string; readonly reason: string }[];
  private readonly arns: { application: string; environment: string; profile: string; strategy: string; deployments: string; configuration: string };

  constructor(scope: Construct, props: AppConfigBindingProps) {
    const stack = Stack.of(scope);
    this.targetConfig = {
      kind: APPCONFIG_KIND,
      applicationId: props.applicationId,
      environmentId: props.environmentId,
      profileId: props.profileId,
      deploymentStrategyId: props.deploymentStrategyId,
      metricsNamespace: props.metricsNamespace,
      canaryName: props.canaryName,
      stackName: stack.stackName,
      propagationSeconds: String(props.propagationSeconds),
      // Guards are bound after the binding: what they ask for is read at synthesis.
      highResolution: Lazy.string({ produce: () => this.signalsEnvironment[HIGH_RESOLUTION_ENV] ?? 'false' }),
    };
    this.versionContent = props.content;
    const arn = (resource: string) => `arn:${stack.partition}:appconfig:${stack.region}:${stack.account}:${resource}`;
    const app = `application/${props.applicationId}`;
    this.arns = {
      application: arn(app),
      environment: arn(`${app}/environment/${props.environmentId}`),
      profile: arn(`${app}/configurationprofile/${props.profileId}`),
      strategy: arn(`deploymentstrategy/${props.deploymentStrategyId}`),
      deployments: arn(`${app}/environment/${props.environmentId}/deployment/*`),
      configuration: arn(`${app}/environment/${props.environmentId}/configuration/${props.profileId}`),
    };
    this.wildcardGrants = [{ resource: this.arns.deployments, reason: 'AppConfig numbers deployments per environment; a rollback stops the one in progress of this environment, whatever its number.' }];
  }

  public addSignalsEnvironment(name: string, value: string): void {
    this.signalsEnvironment[name] = value;
  }

  public grantReadRouting(grantee: iam.IGrantable): void {
    this.grant(grantee, ['appconfig:ListDeployments'], [this.arns.application, this.arns.environment]);
    this.grant(grantee, ['appconfig:GetHostedConfigurationVersion'], [this.arns.application, this.arns.profile]);
  }

  /** prepare() reads the routing only. */
  public grantPrepare(grantee: iam.IGrantable): void {
    this.grantReadRouting(grantee);
  }

  public grantShiftTraffic(grantee: iam.IGrantable): void {
    this.grantReadRouting(grantee);
    this.grant(grantee, ['appconfig:CreateHostedConfigurationVersion'], [this.arns.application, this.arns.profile]);
    this.grant(grantee, ['appconfig:StartDeployment'], [this.arns.application, this.arns.environment, this.arns.profile, this.arns.strategy]);
    this.grant(grantee, ['appconfig:StopDeployment'], [this.arns.application, this.arns.environment, this.arns.deployments]);
  }

  /** The release resource also deletes the hosted versions it wrote (stack deletion). */
  public grantManageRouting(grantee: iam.IGrantable): void {
    this.grantShiftTraffic(grantee);
    this.grant(grantee, ['appconfig:ListHostedConfigurationVersions', 'appconfig:DeleteHostedConfigurationVersion'], [this.arns.application, this.arns.profile]);
  }

  /** invokeCanary() makes no call (the application's router picks the variant). */
  public grantInvokeCanary(): void {}

  /** The application's router reads the routing through AppConfig Data (the AppConfig Agent does the same). */
  public grantReadConfiguration(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'], resourceArns: [this.arns.configuration] });
  }

  private grant(grantee: iam.IGrantable, actions: string[], resourceArns: string[]): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions, resourceArns });
  }
}
