import { createHash } from 'node:crypto';
import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { APPCONFIG_APPLICATION_ENV, APPCONFIG_ENVIRONMENT_ENV, APPCONFIG_PROFILE_ENV, CANARY_NAME_ENV, CANARY_STACK_ENV, SIGNAL_NAMESPACE } from '../../../runtime/signal-names';
import { ModelCanaryBase } from '../../model-canary';
import type { ModelCanaryOptions } from '../../model-canary-options';
import { optionProblems } from '../../private/option-problems';
import { defaultCanaryName, registerCanary } from '../../private/uniqueness';
import { canaryLabel, throwIfProblems } from '../../private/validation';
import { AppConfigBinding } from './binding';

/** The two configs and the routing must fit in one hosted version (2 MB): 256 KB a config leaves room. */
const MAX_CONFIG_BYTES = 256 * 1024;
/** The AppConfig Agent polls every 45 s by default; the router caches 30 s (its refreshSeconds). */
const DEFAULT_PROPAGATION = Duration.seconds(90);

export interface ConfigModelCanaryProps extends ModelCanaryOptions {
  /**
   * The released config: whatever the application reads to answer (a Bedrock model ID or
   * inference profile, a prompt ARN and version, inference parameters, a retrieval index). A
   * deploy that changes it starts a rollout with it as the canary and the serving one as stable.
   * JSON-serializable, at most 256 KB.
   */
  readonly config: { [key: string]: any };

  /**
   * The version's name: the Version dimension of the router's metrics and what alerts and
   * `status` call it. Give one that means something to people ("claude-3-7-prompt-v12").
   * @default - "cfg-" and the first 8 hex digits of the SHA-256 of the config's JSON
   */
  readonly version?: string;

  /**
   * How long after a weight change every router uses the new share: the AppConfig Agent's poll
   * interval (45 s by default) plus the router's cache (`refreshSeconds`, 30 s by default). The
   * judge leaves those minutes out; a 10-second guard counts from there.
   * @default Duration.seconds(90)
   */
  readonly propagation?: Duration;
}

/**
 * Canary releases of a config an application reads from AWS AppConfig — a model ID, a prompt, a
 * set of inference parameters — served from anywhere (ECS, EKS, EC2, Lambda). The canary creates an
 * AppConfig application, environment, hosted configuration profile and a deployment strategy with
 * no duration and no bake (the rollout's schedule is the gradual part), and deploys a routing
 * document that names the stable and the canary config and the canary's share. The application's
 * router (`ModelRouter` in `cdk-model-canary/runtime` and in the Python helper) keeps each user on
 * one variant and records every request under the variant's version, so the guards, the judge,
 * the schedule, the CLI and the alerts work as for the other targets.
 */
export class ConfigModelCanary extends ModelCanaryBase {
  /** The version this deploy releases. */
  public readonly version: string;
  public readonly applicationId: string;
  public readonly environmentId: string;
  public readonly configurationProfileId: string;
  /**
   * What the application's router needs in its environment: the AppConfig names and the canary's,
   * and what guards ask for (`Guard.fastErrorRate`: high-resolution counts). Read it after adding guards.
   */
  public get routerEnvironment(): { [key: string]: string } {
    return { ...this.baseRouterEnvironment, ...this.binding.signalsEnvironment };
  }

  private readonly baseRouterEnvironment: { [key: string]: string };
  /** Where the router's metrics go (the model-signals namespace). */
  public readonly signalsNamespace: string;
  private readonly binding: AppConfigBinding;

  constructor(scope: Construct, id: string, props: ConfigModelCanaryProps) {
    super(scope, id);
    const canaryName = props.canaryName ?? defaultCanaryName(this);
    const { json, problems } = serialize(props.config);
    const version = props.version ?? `cfg-${createHash('sha256').update(json).digest('hex').slice(0, 8)}`;
    const propagation = props.propagation ?? DEFAULT_PROPAGATION;
    throwIfProblems(canaryLabel(this), [
      ...problems,
      ...(Token.isUnresolved(version) || /^[A-Za-z0-9._:-]{1,64}$/.test(version) ? [] : [`version "${version}" must be 1-64 letters, digits or . _ : -`]),
      ...(propagation.toSeconds() >= 1 && propagation.toSeconds() <= 900 ? [] : [`propagation must be from 1 second to 15 minutes (got ${propagation.toSeconds()} s)`]),
      ...optionProblems(props),
    ]);
    registerCanary(this, { canaryName, targetKey: `appconfig:${this.node.path}`, targetDescription: `AppConfig routing of ${this.node.path}` });

    const stackName = Stack.of(this).stackName;
    const application = new appconfig.CfnApplication(this, 'Application', { name: `${stackName}-${canaryName}`.slice(0, 64) });
    const environment = new appconfig.CfnEnvironment(this, 'Environment', { applicationId: application.ref, name: 'live' });
    const profile = new appconfig.CfnConfigurationProfile(this, 'Routing', {
      applicationId: application.ref,
      name: 'routing',
      locationUri: 'hosted',
      type: 'AWS.Freeform',
      description: `cdk-model-canary routing of ${canaryName}: written by its rollouts, read by its routers`,
    });
    const strategy = new appconfig.CfnDeploymentStrategy(this, 'Immediate', {
      name: `${stackName}-${canaryName}-immediate`.slice(0, 64),
      deploymentDurationInMinutes: 0,
      finalBakeTimeInMinutes: 0,
      growthFactor: 100,
      replicateTo: 'NONE',
      description: 'cdk-model-canary: every share change reaches all clients at once; the rollout schedule is the gradual part',
    });
    this.signalsNamespace = props.signalsNamespace ?? SIGNAL_NAMESPACE;
    this.binding = new AppConfigBinding(this, {
      applicationId: application.ref,
      environmentId: environment.ref,
      profileId: profile.ref,
      deploymentStrategyId: strategy.ref,
      canaryName,
      metricsNamespace: this.signalsNamespace,
      propagationSeconds: propagation.toSeconds(),
      content: json,
    });
    this._buildRollout({ ...props, canaryName }, this.binding, version);
    this.version = version;
    this.applicationId = application.ref;
    this.environmentId = environment.ref;
    this.configurationProfileId = profile.ref;
    this.baseRouterEnvironment = {
      [CANARY_NAME_ENV]: canaryName,
      [CANARY_STACK_ENV]: stackName,
      [APPCONFIG_APPLICATION_ENV]: application.ref,
      [APPCONFIG_ENVIRONMENT_ENV]: environment.ref,
      [APPCONFIG_PROFILE_ENV]: profile.ref,
    };
  }

  /**
   * Lets the application's router read the routing: `appconfig:StartConfigurationSession` and
   * `appconfig:GetLatestConfiguration` on this canary's configuration only (the AppConfig Agent
   * calls the same).
   */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.binding.grantReadConfiguration(grantee);
  }

  /**
   * Lets `grantee` send the router's metrics with PutMetricData (a container that writes no EMF):
   * `cloudwatch:PutMetricData` limited to the signals namespace by `cloudwatch:namespace`.
   */
  public grantPutModelSignals(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['cloudwatch:PutMetricData'], resourceArns: ['*'], conditions: { StringEquals: { 'cloudwatch:namespace': this.signalsNamespace } } });
  }
}

/** The config as canonical JSON (keys sorted, so the default version does not depend on key order). */
function serialize(config: unknown): { json: string; problems: string[] } {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return { json: '{}', problems: ['config must be an object (the JSON your application reads)'] };
  let json: string;
  try {
    json = JSON.stringify(sortKeys(config));
  } catch (err) {
    return { json: '{}', problems: [`config is not JSON-serializable: ${(err as Error).message}`] };
  }
  if (Token.isUnresolved(json)) return { json, problems: ['config holds a token (a value known only at deploy time): give literal values'] };
  const bytes = Buffer.byteLength(json, 'utf8');
  return { json, problems: bytes > MAX_CONFIG_BYTES ? [`config is ${bytes} bytes of JSON, more than ${MAX_CONFIG_BYTES}: keep large data (prompts, indexes) in S3 or Bedrock Prompt Management and name it in the config`] : [] };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  return value;
}
