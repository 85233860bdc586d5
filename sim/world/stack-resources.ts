/**
 * The stack's resources as the simulated account has them: physical names and ids (Ref / GetAtt of
 * every resource type the example stack uses), the functions and topics created from the template,
 * published versions, custom resources' responses, and which canary the world simulates.
 */
import { alarmArn } from '../aws/cloudwatch/alarm-types';
import { ENTRIES, handlerOf } from './handlers';
import type { FunctionRecord, LambdaSim } from '../aws/lambda/lambda';
import type { SnsSim } from '../aws/sns/sns';
import type { SsmSim } from '../aws/ssm/ssm';
import type { AppConfigSim, GrowthType, Monitor } from '../aws/appconfig/appconfig';
import { stateMachineArn } from '../aws/stepfunctions/stepfunctions';
import { ACCOUNT, PARTITION, REGION } from '../aws/core/account';
import { type CfnResource, type CfnTemplate, IntrinsicResolver, type PhysicalIds, resourcesOfType } from '../aws/cloudformation/template';
import { type ModelTarget, simTargetOf, simTargets } from '../targets';

export interface CustomResourceRecord {
  physicalId: string;
  data: Record<string, unknown>;
  properties: Record<string, unknown>;
}

export class StackResources {
  public readonly versionsByLogicalId = new Map<string, string>();
  public readonly customResources = new Map<string, CustomResourceRecord>();
  public readonly functionsByLogicalId = new Map<string, FunctionRecord>();
  /** The id AppConfig gave each AWS::AppConfig::* resource (its Ref). */
  public readonly appConfigIdsByLogicalId = new Map<string, string>();
  /** The model name each AWS::SageMaker::Model has now (what `deploy` last gave it). */
  public readonly modelNamesByLogicalId = new Map<string, string>();
  public readonly resolver: IntrinsicResolver;
  /** On a stack update: a kept parameter's value in the previous template (sim/world/stack-update.ts). */
  public previousParameterValue?: (logicalId: string) => unknown;
  /** The simulated canary (set by findModelTarget, right after the resources exist). */
  public model!: ModelTarget;

  constructor(
    public readonly template: CfnTemplate,
    private readonly stackName: string,
    private readonly lambda: LambdaSim,
    private readonly sns: SnsSim,
    private readonly ssm?: SsmSim,
    private readonly appconfig?: AppConfigSim,
  ) {
    this.resolver = new IntrinsicResolver(template, stackName, this.physicalIds());
  }

  public physicalName(logicalId: string): string {
    return `${this.stackName}-${logicalId}`.slice(0, 64);
  }

  public stateMachineName(logicalId: string, resource: CfnResource): string {
    const name = resource.Properties?.StateMachineName;
    return typeof name === 'string' ? name : this.physicalName(logicalId).slice(0, 80);
  }

  public physicalIds(): PhysicalIds {
    return {
      ref: (logicalId, resource) => {
        switch (resource.Type) {
          case 'AWS::Lambda::Function':
            return this.functionsByLogicalId.get(logicalId)!.name;
          case 'AWS::Lambda::Version': {
            const fn = this.functionFor(resource.Properties?.FunctionName);
            const version = this.versionsByLogicalId.get(logicalId);
            if (!version) throw new Error(`${logicalId} has no published version yet`);
            return `${fn.arn}:${version}`;
          }
          case 'AWS::SNS::Topic':
            return this.topicArn(logicalId, resource);
          case 'AWS::StepFunctions::StateMachine':
            return stateMachineArn(this.stateMachineName(logicalId, resource));
          case 'AWS::CloudWatch::Alarm':
          case 'AWS::CloudWatch::CompositeAlarm': {
            const name = resource.Properties?.AlarmName;
            return typeof name === 'string' ? name : this.physicalName(logicalId);
          }
          case 'AWS::CloudWatch::Dashboard': {
            // Ref of a dashboard is its name (AWS::CloudWatch::Dashboard, "Return values").
            const name = this.resolver.resolve<unknown>(resource.Properties?.DashboardName);
            return typeof name === 'string' ? name : this.physicalName(logicalId);
          }
          case 'AWS::SSM::Parameter':
            // Ref of a parameter is its name (AWS::SSM::Parameter, "Return values").
            return this.parameterName(logicalId, resource);
          case 'AWS::AppConfig::Application':
          case 'AWS::AppConfig::Environment':
          case 'AWS::AppConfig::ConfigurationProfile':
          case 'AWS::AppConfig::DeploymentStrategy': {
            // Ref of each is its id (the AWS::AppConfig::* pages, "Return values").
            const id = this.appConfigIdsByLogicalId.get(logicalId);
            if (!id) throw new Error(`${logicalId} does not exist yet`);
            return id;
          }
          case 'AWS::SageMaker::Model':
            // Ref of a model is its ARN (lower-case name).
            return `arn:${PARTITION}:sagemaker:${REGION}:${ACCOUNT}:model/${this.modelName(logicalId, resource).toLowerCase()}`;
          default:
            if (isCustomResource(resource)) {
              const cr = this.customResources.get(logicalId);
              if (!cr) throw new Error(`Custom resource ${logicalId} does not exist yet`);
              return cr.physicalId;
            }
            return this.physicalName(logicalId);
        }
      },
      getAtt: (logicalId, attribute, resource) => {
        switch (resource.Type) {
          case 'AWS::Lambda::Function':
            if (attribute === 'Arn') return this.functionsByLogicalId.get(logicalId)!.arn;
            break;
          case 'AWS::Lambda::Version': {
            const version = this.versionsByLogicalId.get(logicalId);
            if (!version) throw new Error(`${logicalId} has no published version yet`);
            if (attribute === 'Version') return version;
            if (attribute === 'FunctionArn') return this.functionFor(resource.Properties?.FunctionName).arn;
            break;
          }
          case 'AWS::SNS::Topic':
            if (attribute === 'TopicArn') return this.topicArn(logicalId, resource);
            if (attribute === 'TopicName') return this.topicArn(logicalId, resource).split(':').pop();
            break;
          case 'AWS::StepFunctions::StateMachine':
            if (attribute === 'Arn') return stateMachineArn(this.stateMachineName(logicalId, resource));
            if (attribute === 'Name') return this.stateMachineName(logicalId, resource);
            break;
          case 'AWS::CloudWatch::Alarm':
          case 'AWS::CloudWatch::CompositeAlarm':
            if (attribute === 'Arn') return alarmArn(String(resource.Properties?.AlarmName ?? this.physicalName(logicalId)));
            break;
          case 'AWS::IAM::Role':
            if (attribute === 'Arn') return `arn:${PARTITION}:iam::${ACCOUNT}:role/${this.physicalName(logicalId)}`;
            break;
          case 'AWS::SSM::Parameter':
            if (attribute === 'Type') return this.resolver.resolve(resource.Properties?.Type);
            if (attribute === 'Value') return this.resolver.resolve(resource.Properties?.Value);
            break;
          case 'AWS::SageMaker::Model':
            if (attribute === 'ModelName') return this.modelName(logicalId, resource);
            break;
          default:
            if (isCustomResource(resource)) {
              const cr = this.customResources.get(logicalId);
              if (!cr) throw new Error(`Custom resource ${logicalId} does not exist yet`);
              if (!(attribute in cr.data)) {
                throw new Error(`CustomResource attribute error: Vendor response doesn't contain ${attribute} attribute in object ${cr.physicalId}`);
              }
              return cr.data[attribute];
            }
        }
        return `arn:${PARTITION}:sim:${REGION}:${ACCOUNT}:${logicalId}/${attribute}`;
      },
    };
  }

  /** A SageMaker model's name: the version the last deploy gave it, else the template's ModelName. */
  public modelName(logicalId: string, resource: CfnResource): string {
    const deployed = this.modelNamesByLogicalId.get(logicalId);
    if (deployed) return deployed;
    const name = resource.Properties?.ModelName;
    return typeof name === 'string' ? name : this.physicalName(logicalId);
  }

  /**
   * A parameter's name: the template's Name, else what CloudFormation generates
   * (`CFN-<logical id>-<suffix>`; the suffix here is fixed).
   */
  public parameterName(logicalId: string, resource: CfnResource): string {
    const name = resource.Properties?.Name;
    if (name !== undefined) return this.resolver.resolve<string>(name);
    return `CFN-${logicalId}-SIM0000000`;
  }

  public topicArn(logicalId: string, resource: CfnResource): string {
    const name = resource.Properties?.TopicName;
    return `arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:${typeof name === 'string' ? name : this.physicalName(logicalId)}`;
  }

  public functionFor(ref: unknown): FunctionRecord {
    const id = (ref as { Ref?: string } | undefined)?.Ref;
    const fn = id ? this.functionsByLogicalId.get(id) : undefined;
    if (!fn) throw new Error(`Cannot tell which function ${JSON.stringify(ref)} is`);
    return fn;
  }

  /**
   * Creates what the template declares and the account does not have yet: everything on the first
   * deploy, the added resources on a stack update (the kept ones carry over, sim/world/stack-update.ts).
   */
  public createResources(): void {
    for (const [logicalId, resource] of resourcesOfType(this.template, 'AWS::Lambda::Function')) {
      if (this.functionsByLogicalId.has(logicalId)) continue;
      const props = resource.Properties ?? {};
      const name = typeof props.FunctionName === 'string' ? props.FunctionName : this.physicalName(logicalId);
      const owner = handlerOf(props.Description);
      const handlerName = owner?.handlerName;
      if (handlerName && !owner?.legacy && !(ENTRIES as readonly string[]).includes(handlerName)) {
        throw new Error(`Function ${logicalId} names entry "${handlerName}", which lambda/entries/ does not have`);
      }
      const fn = this.lambda.addFunction({
        logicalId,
        name,
        description: typeof props.Description === 'string' ? props.Description : undefined,
        timeoutSeconds: typeof props.Timeout === 'number' ? props.Timeout : 3,
        handlerName,
        legacy: owner?.legacy,
      });
      this.functionsByLogicalId.set(logicalId, fn);
    }
    for (const [logicalId, resource] of resourcesOfType(this.template, 'AWS::SNS::Topic')) {
      this.sns.topics.add(this.topicArn(logicalId, resource));
    }
    this.createAppConfigResources();
    // AWS::SSM::Parameter: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ssm-parameter.html
    for (const [logicalId, resource] of resourcesOfType(this.template, 'AWS::SSM::Parameter')) {
      if (!this.ssm) break;
      let props: Record<string, unknown>;
      try {
        props = this.resolver.resolve<Record<string, unknown>>(resource.Properties ?? {});
      } catch {
        // It reads something that exists only after a deploy (a published version): not created here.
        continue;
      }
      const name = this.parameterName(logicalId, resource);
      // A stack update writes a kept parameter only when its template value changed (the
      // descriptor of a new layout): a value written since (the CLI's commands) stays.
      const existing = this.ssm.parameters.get(name);
      if (existing && this.previousParameterValue?.(logicalId) === props.Value) continue;
      this.ssm.putParameter({
        Name: name,
        Value: props.Value as string,
        Type: props.Type as 'String',
        Description: props.Description as string | undefined,
        Tier: props.Tier as 'Standard' | undefined,
        Overwrite: existing !== undefined,
      }, `cloudformation:${this.stackName}`);
    }
  }

  /** AWS::AppConfig::Application, Environment, ConfigurationProfile (hosted) and DeploymentStrategy, applications first. */
  private createAppConfigResources(): void {
    if (!this.appconfig) return;
    const sim = this.appconfig;
    const each = (type: string, create: (props: Record<string, unknown>) => string) => {
      for (const [logicalId, resource] of resourcesOfType(this.template, type)) {
        if (this.appConfigIdsByLogicalId.has(logicalId)) continue;
        this.appConfigIdsByLogicalId.set(logicalId, create(this.resolver.resolve<Record<string, unknown>>(resource.Properties ?? {})));
      }
    };
    each('AWS::AppConfig::Application', (p) => sim.createApplication(String(p.Name)));
    // Monitors: [{ AlarmArn, AlarmRoleArn }] (AWS::AppConfig::Environment Monitor); an alarm's ARN is a GetAtt that needs no alarm yet.
    each('AWS::AppConfig::Environment', (p) => sim.createEnvironment(String(p.ApplicationId), String(p.Name), (p.Monitors as Monitor[] | undefined) ?? []));
    each('AWS::AppConfig::ConfigurationProfile', (p) => {
      if (p.LocationUri !== 'hosted') throw new Error(`The simulator has hosted configuration profiles only (LocationUri ${String(p.LocationUri)})`);
      return sim.createHostedProfile(String(p.ApplicationId), String(p.Name));
    });
    each('AWS::AppConfig::DeploymentStrategy', (p) =>
      sim.createDeploymentStrategy({
        name: String(p.Name),
        durationMinutes: Number(p.DeploymentDurationInMinutes),
        bakeMinutes: Number(p.FinalBakeTimeInMinutes ?? 0),
        growthFactor: Number(p.GrowthFactor),
        // LINEAR when absent (AWS::AppConfig::DeploymentStrategy GrowthType).
        ...(p.GrowthType !== undefined ? { growthType: p.GrowthType as GrowthType } : {}),
      }),
    );
  }

  /**
   * The function a custom resource's ServiceToken runs: the CDK Provider framework's onEvent
   * function hands the request to its USER_ON_EVENT_FUNCTION_ARN (the release function).
   */
  public functionForServiceToken(serviceToken: unknown): FunctionRecord | undefined {
    const onEventId = (serviceToken as { 'Fn::GetAtt'?: unknown[] } | undefined)?.['Fn::GetAtt']?.[0];
    const onEvent = typeof onEventId === 'string' ? this.template.Resources[onEventId] : undefined;
    const user = (onEvent?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.USER_ON_EVENT_FUNCTION_ARN;
    const userId = (user as { 'Fn::GetAtt'?: unknown[] } | undefined)?.['Fn::GetAtt']?.[0];
    return typeof userId === 'string' ? this.functionsByLogicalId.get(userId) : undefined;
  }

  /**
   * The simulated canary: a release custom resource whose Target is of a kind the simulator knows
   * (sim/targets/index.ts); by default the first canary of the first kind registered.
   */
  public findModelTarget(canaryName: string | undefined): ModelTarget {
    const candidates: ModelTarget[] = [];
    const known = new Set(simTargets().map((k) => k.contract.kind));
    for (const [logicalId, resource] of Object.entries(this.template.Resources)) {
      if (!isCustomResource(resource)) continue;
      const properties = resource.Properties ?? {};
      const target = properties.Target as Record<string, unknown> | undefined;
      if (typeof target?.kind !== 'string' || !known.has(target.kind)) continue;
      const release = { logicalId, canaryName: this.resolver.resolve<string>(properties.CanaryName), properties, target };
      const model = simTargetOf(target.kind).modelTarget(release, this);
      if (model) candidates.push(model);
    }
    const wanted = canaryName;
    const byKind = simTargets().map((k) => candidates.find((c) => c.kind === k.contract.kind));
    const chosen = wanted ? candidates.find((c) => c.canaryName === wanted) : byKind.find((c) => c !== undefined);
    if (!chosen) {
      throw new Error(
        wanted
          ? `The template has no canary named ${wanted} (found: ${candidates.map((c) => c.canaryName).join(', ') || 'none'})`
          : `The template has no release custom resource with a Target of a kind the simulator knows (${[...known].join(', ')})`,
      );
    }
    this.model = chosen;
    return chosen;
  }

  /** Whether a resource reads a custom resource of another canary (it cannot be deployed without it). */
  public belongsToOtherCanary(resource: CfnResource): boolean {
    const ids = new Set<string>();
    const visit = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(visit);
      else if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        if (typeof o.Ref === 'string') ids.add(o.Ref);
        if (Array.isArray(o['Fn::GetAtt'])) ids.add(String((o['Fn::GetAtt'] as unknown[])[0]));
        Object.values(o).forEach(visit);
      }
    };
    visit(resource.Properties);
    return [...ids].some((id) => {
      const r = this.template.Resources[id];
      if (r === undefined) return false;
      if (isCustomResource(r)) return id !== this.model.releaseLogicalId;
      // A Lambda version of a function other than the simulated model's is never published here.
      if (r.Type === 'AWS::Lambda::Version') {
        const fnId = (r.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref;
        return fnId === undefined || this.functionsByLogicalId.get(fnId)?.name !== this.model.functionName;
      }
      return false;
    });
  }
}

export function isCustomResource(resource: CfnResource): boolean {
  return resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource';
}

