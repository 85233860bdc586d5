import { Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import type { IConstruct } from 'constructs';
import type { RolloutController } from './rollout-controller';

/**
 * An event pattern holds at most 2,048 characters (default quota "Event pattern size"):
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
 */
export const MAX_EVENT_PATTERN_CHARS = 2048;
/**
 * A target's Input holds at most 8,192 characters:
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html
 */
export const MAX_TARGET_INPUT_CHARS = 8192;
/** CloudWatch alarm names are at most 255 characters (PutMetricAlarm AlarmName): the size a name token can grow to. */
const MAX_ALARM_NAME_CHARS = 255;

/**
 * Immediate rollback: a guard alarm entering ALARM sets the canary weight to 0 within seconds.
 *
 * The rule must fit the pattern quota above however many alarms there are. The library's alarms all
 * start with one prefix, so the rule matches that prefix. The user's alarms (Guard.fromAlarm) have names of
 * their own: the rule names them beside the prefix while the pattern fits (names of unknown length
 * counted at 255 characters); past that it matches every alarm of the account that enters ALARM and
 * the on-alarm function ignores those not named in its input (no API call, so a foreign alarm costs
 * one short invocation). The input names every guard either way: a prefix alone would also match
 * another canary whose name starts with this one's ("a" and "a-b").
 */
export function addAlarmFastPath(host: RolloutController, plan: Record<string, unknown>): void {
  const onAlarm = host.handler('on-alarm', 'AlarmFastPath');
  host.binding.grantShiftTraffic(onAlarm);
  const guards = host.guards;
  const patternWith = (detail: object) => ({ source: ['aws.cloudwatch'], detailType: ['CloudWatch Alarm State Change'], detail: { ...detail, state: { value: ['ALARM'] } } });
  // Rendered at synth: guards added with addGuard() after the construct count too.
  const detail = Lazy.any({
    produce: () => {
      const named = { alarmName: [{ prefix: guards.alarmNamePrefix }, ...guards.additionalAlarms.map((a) => a.alarmName)] };
      // CDK renders detailType as "detail-type": a few characters more than measured here, hence the margin.
      const nameFilter = renderedLength(host, patternWith(named)) <= MAX_EVENT_PATTERN_CHARS - 64 ? named : {};
      return patternWith(nameFilter).detail;
    },
  });
  const rule = new events.Rule(host, 'GuardAlarmRule', {
    description: `cdk-model-canary ${host.canaryName}: a guard alarm entered ALARM`,
    eventPattern: { source: ['aws.cloudwatch'], detailType: ['CloudWatch Alarm State Change'], detail: detail as unknown as Record<string, unknown> },
  });
  const input = {
    config: {
      canaryName: plan.canaryName,
      target: plan.target,
      alarmNames: plan.guardAlarmNames,
      versionScopedAlarmNames: plan.versionScopedAlarmNames,
      stateMachineArn: host.stateMachine.stateMachineArn,
      commandParameter: plan.commandParameter,
      postPromotionWatchSeconds: plan.postPromotionWatchSeconds,
      topicArn: plan.topicArn,
    },
    event: { time: events.EventField.time, detail: events.EventField.fromPath('$.detail') },
  };
  rule.addTarget(
    new eventsTargets.LambdaFunction(onAlarm, {
      event: events.RuleTargetInput.fromObject(input),
      retryAttempts: 8,
      maxEventAge: Duration.minutes(30),
    }),
  );
  rule.node.addValidation({ validate: () => ruleSizeProblems(rule, input, guards.allAlarmNames.length) });
}

/** The pattern and the target input must fit EventBridge's quotas; tokens count at their largest size. */
function ruleSizeProblems(rule: events.Rule, input: unknown, alarms: number): string[] {
  const cfn = rule.node.defaultChild as events.CfnRule;
  const problems: string[] = [];
  const pattern = renderedLength(rule, cfn.eventPattern);
  if (pattern > MAX_EVENT_PATTERN_CHARS) {
    problems.push(`the fast-path rule's event pattern has ${pattern} characters, more than EventBridge's ${MAX_EVENT_PATTERN_CHARS}: shorten canaryName or the stack name`);
  }
  const inputChars = renderedLength(rule, input);
  if (inputChars > MAX_TARGET_INPUT_CHARS) {
    problems.push(
      `the fast-path rule's target input would have up to ${inputChars} characters with ${alarms} guard alarm names, more than EventBridge's ${MAX_TARGET_INPUT_CHARS}: combine some Guard.fromAlarm alarms into one CloudWatch composite alarm, or give them shorter names`,
    );
  }
  return problems;
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
