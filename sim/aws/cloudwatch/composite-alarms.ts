import type { CompositeAlarm } from '@aws-sdk/client-cloudwatch';
import type { AlarmState } from './alarm-evaluation';
import { alarmArn } from './alarm-types';

/** AWS::CloudWatch::CompositeAlarm as the template declares it (the properties the simulator reads). */
export interface CompositeAlarmDefinition {
  readonly AlarmName: string;
  readonly AlarmRule: string;
  readonly AlarmDescription?: string;
  readonly ActionsEnabled?: boolean;
}

export interface CompositeAlarmRecord {
  definition: CompositeAlarmDefinition;
  state: AlarmState;
  reason: string;
  stateAt: number;
  configuredAt: number;
}

/**
 * Composite alarms: a rule over other alarms' states, re-evaluated whenever one of them changes.
 * Rule syntax (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-combining.html,
 * AlarmRule in https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html):
 * ALARM(x), OK(x), INSUFFICIENT_DATA(x) with x an alarm name or ARN (quoted or not), TRUE, FALSE,
 * AND, OR, NOT and parentheses.
 */
export class CompositeAlarmSim {
  public readonly alarms = new Map<string, CompositeAlarmRecord>();

  constructor(
    private readonly now: () => number,
    /** The state of a metric alarm (or undefined when it does not exist). */
    private readonly stateOf: (name: string) => AlarmState | undefined,
    private readonly onTransition: (alarm: CompositeAlarmRecord, previous: { state: AlarmState; reason: string; at: number }) => void,
  ) {}

  public put(definition: CompositeAlarmDefinition): void {
    parseRule(definition.AlarmRule); // PutCompositeAlarm rejects a rule it cannot parse
    const existing = this.alarms.get(definition.AlarmName);
    if (existing) {
      existing.definition = definition;
      existing.configuredAt = this.now();
    } else {
      this.alarms.set(definition.AlarmName, { definition, state: 'INSUFFICIENT_DATA', reason: 'Unchecked: initial alarm creation', stateAt: this.now(), configuredAt: this.now() });
    }
    this.evaluate();
  }

  /** Re-evaluates every composite alarm (after any alarm changed state); composites of composites settle in a few rounds. */
  public evaluate(): void {
    for (let round = 0; round < 5; round++) {
      let changed = false;
      for (const alarm of this.alarms.values()) {
        const value = evaluateRule(parseRule(alarm.definition.AlarmRule), (name) => this.alarms.get(name)?.state ?? this.stateOf(name));
        const next: AlarmState = value ? 'ALARM' : 'OK';
        if (next === alarm.state) continue;
        const previous = { state: alarm.state, reason: alarm.reason, at: alarm.stateAt };
        alarm.state = next;
        alarm.reason = `The alarm rule ${alarm.definition.AlarmRule} evaluated to ${value ? 'TRUE' : 'FALSE'}`;
        alarm.stateAt = this.now();
        this.onTransition(alarm, previous);
        changed = true;
      }
      if (!changed) return;
    }
  }

  public describe(names: readonly string[] | undefined): CompositeAlarm[] {
    return [...this.alarms.values()]
      .filter((a) => !names || names.includes(a.definition.AlarmName))
      .map((a) => ({
        AlarmName: a.definition.AlarmName,
        AlarmArn: alarmArn(a.definition.AlarmName),
        AlarmRule: a.definition.AlarmRule,
        AlarmDescription: a.definition.AlarmDescription,
        ActionsEnabled: a.definition.ActionsEnabled ?? true,
        StateValue: a.state,
        StateReason: a.reason,
        StateUpdatedTimestamp: new Date(a.stateAt),
        StateTransitionedTimestamp: new Date(a.stateAt),
        AlarmConfigurationUpdatedTimestamp: new Date(a.configuredAt),
      }));
  }
}

type Rule =
  | { readonly kind: 'const'; readonly value: boolean }
  | { readonly kind: 'state'; readonly state: AlarmState; readonly alarm: string }
  | { readonly kind: 'not'; readonly rule: Rule }
  | { readonly kind: 'and' | 'or'; readonly left: Rule; readonly right: Rule };

export function parseRule(text: string): Rule {
  const tokens = text.match(/"(?:[^"\\]|\\.)*"|\(|\)|[^\s()]+/g) ?? [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`AlarmRule ${JSON.stringify(text)}: ${why}`);
  };
  const primary = (): Rule => {
    const t = tokens[i++] ?? fail('unexpected end');
    if (t === '(') {
      const r = or();
      if (tokens[i++] !== ')') fail('missing )');
      return r;
    }
    if (t === 'NOT') return { kind: 'not', rule: primary() };
    if (t === 'TRUE' || t === 'FALSE') return { kind: 'const', value: t === 'TRUE' };
    if (t === 'ALARM' || t === 'OK' || t === 'INSUFFICIENT_DATA') {
      if (tokens[i++] !== '(') fail(`${t} needs (alarm)`);
      const raw = tokens[i++] ?? fail('missing alarm');
      if (tokens[i++] !== ')') fail('missing )');
      const unquoted = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
      const alarm = unquoted.startsWith('arn:') ? unquoted.slice(unquoted.indexOf(':alarm:') + ':alarm:'.length) : unquoted;
      return { kind: 'state', state: t, alarm };
    }
    return fail(`unexpected ${t}`);
  };
  const and = (): Rule => {
    let left = primary();
    while (tokens[i] === 'AND') {
      i++;
      left = { kind: 'and', left, right: primary() };
    }
    return left;
  };
  const or = (): Rule => {
    let left = and();
    while (tokens[i] === 'OR') {
      i++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };
  const rule = or();
  if (i !== tokens.length) fail(`unexpected ${tokens[i]}`);
  return rule;
}

function evaluateRule(rule: Rule, stateOf: (name: string) => AlarmState | undefined): boolean {
  switch (rule.kind) {
    case 'const':
      return rule.value;
    case 'state':
      return stateOf(rule.alarm) === rule.state;
    case 'not':
      return !evaluateRule(rule.rule, stateOf);
    case 'and':
      return evaluateRule(rule.left, stateOf) && evaluateRule(rule.right, stateOf);
    case 'or':
      return evaluateRule(rule.left, stateOf) || evaluateRule(rule.right, stateOf);
  }
}
