import { ArnFormat, Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct, IConstruct } from 'constructs';
import type { StepName } from '../../lambda/shared/steps';

/**
 * An event pattern holds at most 2,048 characters (default quota "Event pattern size"):
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
 */
export const MAX_EVENT_PATTERN_CHARS = 2048;
/** CloudWatch alarm names are at most 255 characters (PutMetricAlarm AlarmName): the size a name token can grow to. */
const MAX_ALARM_NAME_CHARS = 255;

/** What the rules need from the stack's controller (lib/private/stack-controller.ts). */
export interface RulesHost extends Construct {
  readonly steps: lambda.IFunction;
  /** `/cdk-model-canary/<stack>`: the fast paths find a canary by its descriptor under it. */
  readonly parameterPath: string;
  readonly stateMachinePrefix: string;
  /** The user's alarms (Guard.fromAlarm) of every canary, read when the pattern renders. */
  readonly additionalAlarmNames: readonly string[];
}

export interface SharedRules {
  readonly guardAlarms: events.Rule;
  readonly workflowEnd: events.Rule;
  readonly operatorCommands: events.Rule;
}

/**
 * The stack's three fast paths, one rule each for every canary of the stack (a rule per canary
 * would give the shared function one resource-policy statement per rule, and Lambda's function
 * policy holds 20 KB): the function finds the canary by its descriptor parameter.
 * - A guard alarm entering ALARM sets the canary to 0 within seconds. Every library alarm is
 *   named "<stack>-<canary>-<guard>", so the rule matches the stack's prefix; the user's alarms
 *   (Guard.fromAlarm) have names of their own: the rule names them beside the prefix while the
 *   pattern fits (names of unknown length counted at 255 characters), else it matches every alarm
 *   that enters ALARM and the function ignores those no canary names (one short invocation each).
 * - A rollout execution that ended without the workflow's own rollback (stopped by hand, timed
 *   out, failed where no Catch runs) sets its canary to 0 and alerts ("Step Functions Execution
 *   Status Change", https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html).
 *   Every workflow of the stack is named with the stack's prefix.
 * - An operator command arrives ("Parameter Store Change",
 *   https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-cwe.html): an
 *   abort sets the canary to 0 at once.
 */
export function addSharedRules(host: RulesHost): SharedRules {
  const stack = Stack.of(host);
  const alarmPattern = (detail: object) => ({ source: ['aws.cloudwatch'], detailType: ['CloudWatch Alarm State Change'], detail: { ...detail, state: { value: ['ALARM'] } } });
  const prefix = `${stack.stackName}-`;
  // Rendered at synth: guards added with addGuard() after the constructs count too.
  const detail = Lazy.any({
    produce: () => {
      const named = { alarmName: [{ prefix }, ...host.additionalAlarmNames] };
      // CDK renders detailType as "detail-type": a few characters more than measured here, hence the margin.
      const fits = renderedLength(host, alarmPattern(named)) <= MAX_EVENT_PATTERN_CHARS - 64;
      return alarmPattern(fits ? named : {}).detail;
    },
  });
  const guardAlarms = new events.Rule(host, 'GuardAlarmRule', {
    description: `cdk-model-canary ${stack.stackName}: a guard alarm entered ALARM`,
    eventPattern: { source: ['aws.cloudwatch'], detailType: ['CloudWatch Alarm State Change'], detail: detail as unknown as Record<string, unknown> },
  });
  target(guardAlarms, host, 'on-alarm', { event: { time: events.EventField.time, detail: events.EventField.fromPath('$.detail') } }, Duration.minutes(30));
  guardAlarms.node.addValidation({
    validate: () => {
      const chars = renderedLength(guardAlarms, (guardAlarms.node.defaultChild as events.CfnRule).eventPattern);
      return chars > MAX_EVENT_PATTERN_CHARS ? [`the fast-path rule's event pattern has ${chars} characters, more than EventBridge's ${MAX_EVENT_PATTERN_CHARS}: use a shorter stack name`] : [];
    },
  });

  const workflowEnd = new events.Rule(host, 'WorkflowEndRule', {
    description: `cdk-model-canary ${stack.stackName}: a rollout execution ended without its own rollback`,
    eventPattern: {
      source: ['aws.states'],
      detailType: ['Step Functions Execution Status Change'],
      detail: {
        status: ['ABORTED', 'TIMED_OUT', 'FAILED'],
        stateMachineArn: [{ prefix: stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: host.stateMachinePrefix, arnFormat: ArnFormat.COLON_RESOURCE_NAME }) }],
      },
    },
  });
  target(workflowEnd, host, 'on-execution-end', { detail: events.EventField.fromPath('$.detail') }, Duration.hours(2));

  const operatorCommands = new events.Rule(host, 'OperatorCommandRule', {
    description: `cdk-model-canary ${stack.stackName}: an operator command arrived (abort acts at once)`,
    eventPattern: {
      source: ['aws.ssm'],
      detailType: ['Parameter Store Change'],
      detail: { name: [{ prefix: `${host.parameterPath}/` }], operation: ['Update', 'Create'] },
    },
  });
  target(operatorCommands, host, 'on-command', { operator: { name: events.EventField.fromPath('$.detail.name'), operation: events.EventField.fromPath('$.detail.operation') } }, Duration.hours(24));
  return { guardAlarms, workflowEnd, operatorCommands };
}

function target(rule: events.Rule, host: RulesHost, step: StepName, input: Record<string, unknown>, maxEventAge: Duration): void {
  rule.addTarget(
    new eventsTargets.LambdaFunction(host.steps, {
      event: events.RuleTargetInput.fromObject({ step, input: { canaries: host.parameterPath, ...input } }),
      retryAttempts: 8,
      maxEventAge,
    }),
  );
}

/**
 * JSON length of a value. A Ref to an alarm of this stack counts as its literal AlarmName; any other
 * unresolved token as a 255-character alarm name (its largest size).
 */
export function renderedLength(scope: IConstruct, value: unknown): number {
  const stack = Stack.of(scope);
  const literalNames = new Map<string, string>();
  for (const c of stack.node.findAll()) {
    if (c instanceof cloudwatch.CfnAlarm && typeof c.alarmName === 'string' && !Token.isUnresolved(c.alarmName)) {
      literalNames.set(stack.resolve(c.logicalId) as string, c.alarmName);
    }
  }
  let extra = 0;
  const literal = JSON.stringify(stack.resolve(value), (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).some((k) => k === 'Ref' || k.startsWith('Fn::'))) {
      const ref = (v as { Ref?: unknown }).Ref;
      extra += typeof ref === 'string' && literalNames.has(ref) ? literalNames.get(ref)!.length : MAX_ALARM_NAME_CHARS;
      return '';
    }
    return v;
  });
  return literal.length + extra;
}
