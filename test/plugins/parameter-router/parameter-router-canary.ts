import { Token } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { ModelCanaryBase } from '../../../lib/model-canary';
import type { ModelCanaryOptions } from '../../../lib/model-canary-options';
import { optionProblems } from '../../../lib/private/option-problems';
import { defaultCanaryName, registerCanary } from '../../../lib/private/uniqueness';
import { canaryLabel, throwIfProblems } from '../../../lib/private/validation';
import { ParameterRouterBinding } from './binding';

export interface ParameterRouterCanaryProps extends ModelCanaryOptions {
  /** The SSM String parameter the application reads its routing from. The canary owns it. */
  readonly parameterName: string;
  /** The version this deploy releases: a deploy that changes it starts a rollout. */
  readonly version: string;
}

/** Parameter names: letters, digits and `_.-/`, a hierarchy fully qualified (API_PutParameter.html, Name). */
const PARAMETER_NAME = /^(\/[a-zA-Z0-9_.-]+)+$|^[a-zA-Z0-9_.-]+$/;

/** Canary releases of a model an application routes to by a parameter (test kind: test/plugins/parameter-router). */
export class ParameterRouterCanary extends ModelCanaryBase {
  public readonly parameterName: string;
  private readonly binding: ParameterRouterBinding;

  constructor(scope: Construct, id: string, props: ParameterRouterCanaryProps) {
    super(scope, id);
    const canaryName = props.canaryName ?? defaultCanaryName(this);
    throwIfProblems(canaryLabel(this), [
      ...(Token.isUnresolved(props.parameterName) || PARAMETER_NAME.test(props.parameterName)
        ? []
        : [`parameterName "${props.parameterName}" is not a parameter name: use letters, digits and _.-, a hierarchy as /a/b`]),
      ...(props.version ? [] : ['version is empty: give the version this deploy releases']),
      ...optionProblems(props),
    ]);
    registerCanary(this, { canaryName, targetKey: `ssm:parameter:${props.parameterName}`, targetDescription: `routing parameter ${props.parameterName}` });
    this.binding = new ParameterRouterBinding(this, props.parameterName);
    this._buildRollout({ ...props, canaryName }, this.binding, props.version);
    this.parameterName = props.parameterName;
  }

  /** Callers (the application) read the routing: ssm:GetParameter on the parameter. */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.binding.grant(grantee, ['ssm:GetParameter']);
  }
}
