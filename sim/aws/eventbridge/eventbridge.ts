import { ACCOUNT, PARTITION, REGION } from '../core/account';

/** An EventBridge event as rules see it. */
export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: unknown;
}

export interface RuleTarget {
  readonly Id: string;
  readonly Arn: string;
  readonly Input?: string;
  readonly InputPath?: string;
  readonly InputTransformer?: { readonly InputPathsMap?: Record<string, string>; readonly InputTemplate: string };
}

export interface RuleDefinition {
  readonly name: string;
  readonly EventPattern?: Record<string, unknown>;
  readonly State?: string;
  readonly Targets?: RuleTarget[];
}

export interface Delivery {
  readonly at: number;
  readonly rule: string;
  readonly target: RuleTarget;
  readonly event: BusEvent;
  readonly input: unknown;
}

/** EventBridge's default event pattern size quota, in characters. */
export const MAX_EVENT_PATTERN_CHARS = 2048;

export class EventPatternTooLargeError extends Error {
  public override readonly name = 'LimitExceededException';
}

export function ruleArn(name: string): string {
  return `arn:${PARTITION}:events:${REGION}:${ACCOUNT}:rule/${name}`;
}

/**
 * The default event bus: rules with event patterns (exact values, prefix, anything-but, exists,
 * numeric) and targets with Input, InputPath or InputTransformer. Matching targets are handed to
 * `deliver` (the world invokes the target asynchronously).
 */
export class EventBridgeSim {
  public readonly rules = new Map<string, RuleDefinition>();
  public readonly events: BusEvent[] = [];
  public readonly deliveries: Delivery[] = [];

  constructor(
    private readonly now: () => number,
    private readonly deliver: (delivery: Delivery) => void,
  ) {}

  public putRule(rule: RuleDefinition): void {
    // "Event pattern size: 2,048 characters" (default quota, adjustable):
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
    // The error code AWS returns is not documented there; the deploy fails either way.
    const size = rule.EventPattern ? JSON.stringify(rule.EventPattern).length : 0;
    if (size > MAX_EVENT_PATTERN_CHARS) {
      throw new EventPatternTooLargeError(`Rule ${rule.name}: the event pattern has ${size} characters, more than the ${MAX_EVENT_PATTERN_CHARS} EventBridge allows`);
    }
    this.rules.set(rule.name, rule);
  }

  public putEvent(event: BusEvent): Delivery[] {
    this.events.push(event);
    const out: Delivery[] = [];
    for (const rule of this.rules.values()) {
      if (rule.State && rule.State !== 'ENABLED') continue;
      if (!rule.EventPattern || !matchesPattern(rule.EventPattern, event)) continue;
      for (const target of rule.Targets ?? []) {
        const delivery: Delivery = { at: this.now(), rule: rule.name, target, event, input: targetInput(target, event, rule.name) };
        this.deliveries.push(delivery);
        out.push(delivery);
        this.deliver(delivery);
      }
    }
    return out;
  }
}

/** EventBridge content filtering (the subset a rule written by CDK uses, plus common operators). */
export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  const obj = event as Record<string, unknown>;
  for (const [key, rule] of Object.entries(pattern)) {
    const value = obj[key];
    if (Array.isArray(rule)) {
      if (!matchesAny(rule, value)) return false;
    } else if (rule && typeof rule === 'object') {
      if (!matchesPattern(rule as Record<string, unknown>, value)) return false;
    } else {
      throw new Error(`Event pattern value for ${key} must be an array or an object`);
    }
  }
  return true;
}

function matchesAny(rules: unknown[], value: unknown): boolean {
  const values = Array.isArray(value) ? value : [value];
  return rules.some((rule) => {
    if (rule !== null && typeof rule === 'object') {
      const op = rule as Record<string, unknown>;
      if ('exists' in op) return op.exists ? value !== undefined : value === undefined;
      if (value === undefined) return false;
      if ('prefix' in op) return values.some((v) => typeof v === 'string' && v.startsWith(String(op.prefix)));
      if ('suffix' in op) return values.some((v) => typeof v === 'string' && v.endsWith(String(op.suffix)));
      if ('equals-ignore-case' in op) return values.some((v) => typeof v === 'string' && v.toLowerCase() === String(op['equals-ignore-case']).toLowerCase());
      if ('anything-but' in op) {
        const but = op['anything-but'];
        const list = Array.isArray(but) ? but : [but];
        return values.every((v) => !list.includes(v));
      }
      if ('numeric' in op) {
        const conds = op.numeric as (string | number)[];
        return values.some((v) => {
          if (typeof v !== 'number') return false;
          for (let i = 0; i < conds.length; i += 2) {
            const [cmp, n] = [String(conds[i]), Number(conds[i + 1])];
            const ok = { '=': v === n, '<': v < n, '<=': v <= n, '>': v > n, '>=': v >= n }[cmp];
            if (!ok) return false;
          }
          return true;
        });
      }
      throw new Error(`Event pattern operator ${Object.keys(op).join(',')} is not supported by the simulator`);
    }
    return values.some((v) => v === rule);
  });
}

/** `$.a.b[0]` (EventBridge JSON path: dot notation and array indices). */
export function jsonPath(doc: unknown, path: string): unknown {
  if (path === '$') return doc;
  if (!path.startsWith('$.')) throw new Error(`Unsupported JSON path ${path}`);
  let cur: unknown = doc;
  for (const part of path.slice(2).split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) throw new Error(`Unsupported JSON path ${path}`);
    if (m[1]) cur = (cur as Record<string, unknown> | undefined)?.[m[1]];
    for (const idx of m[2].match(/\d+/g) ?? []) cur = (cur as unknown[] | undefined)?.[Number(idx)];
    if (cur === undefined) return undefined;
  }
  return cur;
}

/**
 * The input a target receives. InputTransformer: each `<var>` in InputTemplate is replaced by the
 * value its InputPathsMap path selects: outside a JSON string the value is inserted as JSON (a
 * string gets its quotes), inside a string literal the raw text is inserted (EventBridge does not
 * escape it). A variable whose path matches nothing is left out (null in a JSON position).
 */
export function targetInput(target: RuleTarget, event: BusEvent, ruleName = 'rule'): unknown {
  if (target.Input !== undefined) return JSON.parse(target.Input);
  if (target.InputPath !== undefined) return jsonPath(event, target.InputPath);
  if (!target.InputTransformer) return event;
  const vars = new Map<string, unknown>();
  for (const [name, path] of Object.entries(target.InputTransformer.InputPathsMap ?? {})) vars.set(name, jsonPath(event, path));
  vars.set('aws.events.rule-arn', ruleArn(ruleName));
  vars.set('aws.events.rule-name', ruleName);
  vars.set('aws.events.event', { ...event, detail: undefined });
  vars.set('aws.events.event.json', event);
  const template = target.InputTransformer.InputTemplate;
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === '\\' && inString) {
      out += c + (template[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') {
      inString = !inString;
      out += c;
      continue;
    }
    if (c === '<') {
      const close = template.indexOf('>', i);
      const name = close > i ? template.slice(i + 1, close) : '';
      if (name && vars.has(name)) {
        const value = vars.get(name);
        if (inString) out += typeof value === 'string' ? value : JSON.stringify(value ?? '');
        else out += value === undefined ? 'null' : JSON.stringify(value);
        i = close;
        continue;
      }
    }
    out += c;
  }
  const trimmed = out.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return JSON.parse(trimmed);
  return JSON.parse(trimmed.startsWith('"') ? trimmed : JSON.stringify(trimmed));
}
