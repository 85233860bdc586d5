import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import type { Construct } from 'constructs';
import { Guard, LambdaModelCanary, type LambdaModelCanaryProps, SageMakerModelCanary } from '../../lib';
import { DEFAULT_ALPHA, EVIDENCE_METRIC, JUDGE_NAMESPACE } from '../../lambda/shared/judge-plan';
import { addCanaryDashboard, dashboardUrl, sanitizeDashboardName } from '../../lib/private/canary-dashboard';
import { flatten, modelFunction, newStack, onlyResourceOfType, rolloutOf, STACK_NAME, type TemplateJson } from './support';

/** The default guards: two alarm guards, two judged guards (each with its evidence alarm). */
const ALARM_GUARDS = ['ErrorRate', 'LatencyP95'];
const JUDGED_GUARDS = ['ErrorRateVsStable', 'LatencyVsStable'];
/** The flattened ARN reference of the alarm named `name` in a template. */
function alarmArn(json: TemplateJson, name: string): string {
  const ids = Object.entries(json.Resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties?.AlarmName === name).map(([id]) => id);
  expect(ids).toHaveLength(1);
  return `\${${ids[0]}.Arn}`;
}

/**
 * The canary's dashboard: the one its rollout (CanaryRollout) adds, or (before it is wired into the
 * rollout) one added here the way the rollout adds it, at the end of its constructor.
 */
function dashboardOf(canary: Construct): cloudwatch.Dashboard {
  const controller = rolloutOf(canary);
  const existing = controller.node.tryFindChild('Dashboard');
  if (existing) return existing as cloudwatch.Dashboard;
  return addCanaryDashboard(controller, {
    // The controller's own (private) live array and alpha, as it passes them.
    judged: controller['judged'],
    alpha: controller['alpha'] ?? DEFAULT_ALPHA,
    stackName: Stack.of(controller).stackName,
    canaryVersion: controller['guardContext'].canaryVersion,
  });
}

interface Body {
  widgets: { type: string; width: number; height: number; x: number; y: number; properties: any }[];
}

function synthDashboard(stack: Stack): { json: TemplateJson; name: string; body: Body; raw: string } {
  const json = Template.fromStack(stack).toJSON() as TemplateJson;
  const { resource } = onlyResourceOfType(json, 'AWS::CloudWatch::Dashboard');
  const raw = flatten(resource.Properties.DashboardBody);
  return { json, name: flatten(resource.Properties.DashboardName), body: JSON.parse(raw) as Body, raw };
}

function lambdaCanary(props: Partial<LambdaModelCanaryProps> = {}, after?: (c: LambdaModelCanary) => void) {
  const stack = newStack();
  const fn = modelFunction(stack);
  const canary = new LambdaModelCanary(stack, 'Canary', { modelFunction: fn, ...props });
  // The dashboard first, as the controller makes it: guards added after it must still appear.
  const dashboard = dashboardOf(canary);
  after?.(canary);
  return { stack, canary, dashboard, ...synthDashboard(stack) };
}

/** A metric widget's metrics: [namespace, name, dim, value, ..., {options}?] flattened to objects. */
function metricsOfWidget(w: Body['widgets'][number]): { namespace: string; metricName: string; dims: Record<string, string>; options: any }[] {
  return (w.properties.metrics ?? [])
    .filter((m: unknown[]) => typeof m[0] === 'string' && m[0] !== '...' && !(m.length === 1 && typeof m[0] === 'object'))
    .map((m: unknown[]) => {
      const options = typeof m[m.length - 1] === 'object' ? (m[m.length - 1] as any) : {};
      const parts = (typeof m[m.length - 1] === 'object' ? m.slice(0, -1) : m) as string[];
      const dims: Record<string, string> = {};
      for (let i = 2; i + 1 < parts.length; i += 2) dims[parts[i]] = parts[i + 1];
      return { namespace: parts[0], metricName: parts[1], dims, options };
    });
}

const evidenceWidgets = (body: Body) =>
  body.widgets.filter((w) => w.type === 'metric' && metricsOfWidget(w).some((m) => m.namespace === JUDGE_NAMESPACE && m.metricName === EVIDENCE_METRIC));
/** AlarmWidgets: a metric widget graphing one alarm (annotations.alarms). */
const alarmWidgets = (body: Body) => body.widgets.filter((w) => w.type === 'metric' && w.properties.annotations?.alarms);
const statusWidgets = (body: Body) => body.widgets.filter((w) => w.type === 'alarm');

describe('canary dashboard (default guards, Lambda)', () => {
  const s = lambdaCanary();
  const prefix = `${STACK_NAME}-Canary`;
  const versionRef = /^\$\{ModelCurrentVersion\w+\.Version\}$/;
  const stableRef = /^\$\{CanaryRolloutRouting\w+\.StableVersion\}$/;

  test('one dashboard, named "<stack>-<canaryName>-<region>"', () => {
    expect(s.name).toBe(`${prefix}-\${AWS::Region}`);
  });

  test('widgets do not overlap and fit the 24-wide grid', () => {
    const cells = new Set<string>();
    for (const w of s.body.widgets) {
      expect(w.x + w.width).toBeLessThanOrEqual(24);
      for (let x = w.x; x < w.x + w.width; x++) {
        for (let y = w.y; y < w.y + w.height; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  test('traffic: requests a minute of the canary version and of stable, and the canary share', () => {
    const traffic = s.body.widgets.filter((w) => w.type === 'metric' && metricsOfWidget(w).some((m) => m.metricName === 'Invocations'));
    expect(traffic.length).toBeGreaterThanOrEqual(1);
    const perVersion = traffic.find((w) => !(w.properties.metrics as unknown[][]).some((m) => typeof m[0] === 'object'))!;
    const metrics = metricsOfWidget(perVersion);
    expect(metrics).toHaveLength(2);
    for (const m of metrics) {
      expect(m.namespace).toBe('AWS/Lambda');
      expect(m.options.stat).toBe('Sum');
      expect(m.options.period).toBe(60);
      expect(m.dims.Resource).toMatch(/:live$/);
    }
    expect(metrics[0].dims.ExecutedVersion).toMatch(versionRef);
    expect(metrics[1].dims.ExecutedVersion).toMatch(stableRef);
    // The share: a math expression over the same two metrics.
    const share = traffic.find((w) => (w.properties.metrics as unknown[][]).some((m) => typeof m[0] === 'object' && (m[0] as any).expression));
    expect(share).toBeDefined();
    expect(JSON.stringify(share!.properties.metrics)).toMatch(/100 \* FILL\(canary, 0\)/);
  });

  test('an AlarmWidget per alarm guard (its metric and threshold), none for the judged guards', () => {
    const graphed = alarmWidgets(s.body).map((w) => w.properties.annotations.alarms[0]);
    expect(graphed.sort()).toEqual(ALARM_GUARDS.map((g) => alarmArn(s.json, `${prefix}-${g}`)).sort());
  });

  test('the evidence of every judged guard, with the rollback threshold as an annotation', () => {
    const widgets = evidenceWidgets(s.body);
    expect(widgets).toHaveLength(JUDGED_GUARDS.length);
    const threshold = Math.log10(JUDGED_GUARDS.length / DEFAULT_ALPHA);
    const guards = widgets.map((w) => {
      const [m] = metricsOfWidget(w);
      expect(m.dims).toEqual({ Canary: 'Canary', Stack: STACK_NAME, Guard: expect.any(String), Version: expect.stringMatching(versionRef) });
      expect(m.options.stat).toBe('Maximum');
      expect(w.properties.annotations.horizontal).toEqual([expect.objectContaining({ value: threshold })]);
      return m.dims.Guard;
    });
    expect(guards.sort()).toEqual([...JUDGED_GUARDS].sort());
  });

  test('an alarm status widget of every guard alarm', () => {
    const [status] = statusWidgets(s.body);
    expect(statusWidgets(s.body)).toHaveLength(1);
    expect([...status.properties.alarms].sort()).toEqual([...ALARM_GUARDS, ...JUDGED_GUARDS].map((g) => alarmArn(s.json, `${prefix}-${g}`)).sort());
  });

  test('dashboardUrl: the console address in the stack region', () => {
    const url = flatten(s.stack.resolve(dashboardUrl(s.dashboard)));
    const ref = flatten(s.stack.resolve(s.dashboard.dashboardName));
    expect(url).toBe(`https://\${AWS::Region}.console.\${AWS::URLSuffix}/cloudwatch/home?region=\${AWS::Region}#dashboards/dashboard/${ref}`);
  });
});

describe('canary dashboard: guards added later', () => {
  test('addGuard() after the construct: an alarm guard, a judged guard and a user alarm appear', () => {
    let external!: cloudwatch.Alarm;
    const s = lambdaCanary({}, (canary) => {
      external = new cloudwatch.Alarm(Stack.of(canary), 'Mine', {
        alarmName: 'my-own-alarm',
        metric: new cloudwatch.Metric({ namespace: 'Mine', metricName: 'Bad' }),
        threshold: 1,
        evaluationPeriods: 1,
      });
      canary.addGuard(Guard.schemaFailureRate());
      canary.addGuard(Guard.tokensPerRequestVsStable());
      canary.addGuard(Guard.fromAlarm(external));
    });
    const prefix = `${STACK_NAME}-Canary`;
    expect(alarmWidgets(s.body).map((w) => w.properties.annotations.alarms[0])).toContain(alarmArn(s.json, `${prefix}-SchemaFailureRate`));
    const judged = evidenceWidgets(s.body).map((w) => metricsOfWidget(w)[0].dims.Guard);
    expect(judged.sort()).toEqual([...JUDGED_GUARDS, 'TokensPerRequestVsStable'].sort());
    // Three judged guards share alpha (errors and latency 3 parts each, tokens 1): the thresholds move with them.
    for (const w of evidenceWidgets(s.body)) {
      const weight = metricsOfWidget(w)[0].dims.Guard === 'TokensPerRequestVsStable' ? 1 : 3;
      expect(w.properties.annotations.horizontal[0].value).toBeCloseTo(Math.log10(7 / (weight * DEFAULT_ALPHA)));
    }
    const status = statusWidgets(s.body)[0].properties.alarms as string[];
    expect(status).toHaveLength(7);
    expect(status.some((a) => /Mine\w+\.Arn/.test(a))).toBe(true);
  });
});

describe('canary dashboard name', () => {
  test('characters CloudWatch does not allow become "-"', () => {
    expect(sanitizeDashboardName('a.b c/d_e-f')).toBe('a-b-c-d_e-f');
    const s = lambdaCanary({ canaryName: 'summarizer.v2' });
    expect(s.name).toBe(`${STACK_NAME}-summarizer-v2-\${AWS::Region}`);
  });

  test('a stack in a region: the region is part of the name, at most 255 characters', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'S'.repeat(128), { env: { region: 'eu-west-1', account: '123456789012' } });
    const canary = new LambdaModelCanary(stack, 'Canary', { modelFunction: modelFunction(stack), canaryName: 'c'.repeat(80) });
    dashboardOf(canary);
    const { name } = synthDashboard(stack);
    expect(name.length).toBeLessThanOrEqual(255);
    expect(name).toMatch(/^S+-c+-eu-west-1$/);
  });
});

describe('canary dashboard (SageMaker)', () => {
  test("the endpoint's Invocations per variant and its ModelErrorRate guard", () => {
    const stack = newStack();
    const role = new iam.Role(stack, 'ModelRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    const model = new sagemaker.CfnModel(stack, 'Model', {
      executionRoleArn: role.roleArn,
      primaryContainer: { image: '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-cpu-py311-ubuntu20.04-sagemaker' },
    });
    const canary = new SageMakerModelCanary(stack, 'Canary', { model, instanceType: 'ml.m5.large', endpointName: 'summarizer' });
    dashboardOf(canary);
    const { body, json } = synthDashboard(stack);
    const requests = body.widgets.flatMap(metricsOfWidget).filter((m) => m.namespace === 'AWS/SageMaker' && m.metricName === 'Invocations' && m.options.label);
    expect(requests.map((m) => m.dims.EndpointName)).toEqual(['summarizer', 'summarizer']);
    expect(requests).toHaveLength(2);
    const graphed = alarmWidgets(body).map((w) => w.properties.annotations.alarms[0]);
    expect(graphed).toContain(alarmArn(json, `${STACK_NAME}-Canary-ModelErrorRate`));
  });
});

describe('canary dashboard name from tokens', () => {
  // A canaryName from a parameter is refused now (it names the workflow the stack's rules match;
  // test/lib/validation.test.ts): a token Region is what is left to name a valid dashboard around.
  test('a canaryName with characters a dashboard name refuses: cleaned, the Region a token', () => {
    const stack = newStack();
    const canary = new LambdaModelCanary(stack, 'Canary', { modelFunction: modelFunction(stack), canaryName: 'summarizer.v2 (eu)' });
    dashboardOf(canary);
    const { name } = synthDashboard(stack);
    expect(name).toMatch(/^[A-Za-z0-9_-]+-\$\{AWS::Region\}$/);
    expect(name).toBe(`${STACK_NAME}-summarizer-v2--eu--\${AWS::Region}`);
  });
});
