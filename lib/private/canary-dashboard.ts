import { Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { EVIDENCE_DIMENSIONS, EVIDENCE_METRIC, evidenceThreshold, JUDGE_NAMESPACE, type JudgedGuardPlan } from '../../lambda/shared/judge-plan';
import type { CanaryHost } from './canary-host';
import { targetMetric } from './target-binding';

/**
 * PutDashboard: DashboardName is at most 255 characters of A-Z, a-z, 0-9, "-" and "_".
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html
 */
const MAX_DASHBOARD_NAME = 255;
/** Room kept for "-<region>" when the region is a token (the longest region names are 14 characters). */
const REGION_ROOM = 21;
const PERIOD = Duration.minutes(1);

export interface CanaryDashboardInput {
  /**
   * The controller's judged guards: the live array (guards added later with addGuard() are read
   * when the dashboard renders, at synth).
   */
  readonly judged: readonly JudgedGuardPlan[];
  /** The rollout's false-rollback budget (the evidence threshold is derived from it). */
  readonly alpha: number;
  /** The Stack dimension of the evidence metric. */
  readonly stackName: string;
  /** The version this deploy publishes. */
  readonly canaryVersion: string;
}

/**
 * One CloudWatch dashboard per canary, for a person watching a rollout: the traffic share of canary
 * and stable, every alarm guard's metric against its threshold, every judged guard's evidence
 * against the rollback threshold, and the state of all guard alarms. The widgets are built when the
 * dashboard renders (at synth), so guards added with addGuard() after the construct appear too.
 *
 * Dashboards are global in an account, not regional (AWS::CloudWatch::Dashboard), so the name is
 * "<stack>-<canaryName>-<region>": the same stack deployed to two regions gets two dashboards.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-dashboard.html
 */
export function addCanaryDashboard(host: CanaryHost, input: CanaryDashboardInput): cloudwatch.Dashboard {
  const dashboard = new cloudwatch.Dashboard(host, 'Dashboard', {
    dashboardName: dashboardNameOf(host, input.stackName),
    defaultInterval: Duration.hours(6),
  });
  const g = host.guards;
  dashboard.addWidgets(new LazyWidget(() => buildRows(host, input), () => `${g.ownAlarmNames.length}/${g.additionalAlarms.length}/${input.judged.length}`));
  return dashboard;
}

/** The console address of a dashboard (in the stack's region: dashboards are global, the console is not). */
export function dashboardUrl(dashboard: cloudwatch.Dashboard): string {
  const stack = Stack.of(dashboard);
  return `https://${stack.region}.console.${stack.urlSuffix}/cloudwatch/home?region=${stack.region}#dashboards/dashboard/${dashboard.dashboardName}`;
}

/** Characters CloudWatch does not allow in a dashboard name become "-". */
export function sanitizeDashboardName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '-');
}

function dashboardNameOf(host: CanaryHost, stackName: string): string {
  const region = Stack.of(host).region;
  const regionRoom = Token.isUnresolved(region) ? REGION_ROOM : region.length + 1;
  // A token canary name (or stack name) cannot be cleaned at synth: the construct path stands in.
  const base = Token.isUnresolved(stackName) || Token.isUnresolved(host.canaryName)
    ? Names.uniqueResourceName(host, { maxLength: MAX_DASHBOARD_NAME - regionRoom, separator: '-' })
    : sanitizeDashboardName(`${stackName}-${host.canaryName}`).slice(0, MAX_DASHBOARD_NAME - regionRoom);
  return `${base}-${region}`;
}

/** The dashboard's rows, from the guards the controller has now. */
function buildRows(host: CanaryHost, input: CanaryDashboardInput): cloudwatch.IWidget[] {
  const { binding, guards } = host;
  const judgedNames = new Set(input.judged.map((j) => j.name));
  const rows: cloudwatch.IWidget[] = [];

  rows.push(
    new cloudwatch.TextWidget({
      markdown: [
        `# Model canary ${host.canaryName}`,
        `Canary version **${input.canaryVersion}** against stable **${host.stableVersion}**. Any guard alarm in ALARM rolls the canary back. Managed by cdk-model-canary (CloudFormation): edits in the console are overwritten by the next deploy.`,
      ].join('\n\n'),
      width: 24,
      height: 3,
    }),
  );

  // 1. Traffic: requests a minute per version and the canary's share.
  const requests = (version: string) => targetMetric(binding, version, 'requests', 'Sum').with({ period: PERIOD });
  const canaryRequests = requests(input.canaryVersion).with({ label: `canary ${input.canaryVersion}` });
  const stableRequests = requests(host.stableVersion).with({ label: 'stable' });
  rows.push(
    new cloudwatch.Row(
      new cloudwatch.GraphWidget({
        title: 'Requests per minute by version',
        left: [canaryRequests, stableRequests],
        leftYAxis: { min: 0, label: 'requests / min', showUnits: false },
        stacked: true,
        width: 12,
        height: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Canary share of requests (%)',
        left: [
          new cloudwatch.MathExpression({
            expression: '100 * FILL(canary, 0) / (FILL(canary, 0) + FILL(stable, 0))',
            usingMetrics: { canary: requests(input.canaryVersion), stable: requests(host.stableVersion) },
            period: PERIOD,
            label: 'canary share (%)',
          }),
        ],
        leftYAxis: { min: 0, max: 100, showUnits: false },
        width: 12,
        height: 6,
      }),
    ),
  );

  // 4. (shown second: the first thing to look at) The state of every guard alarm, the user's included.
  const allAlarms: cloudwatch.IAlarm[] = [...guards.ownAlarms, ...guards.additionalAlarms];
  if (allAlarms.length > 0) {
    rows.push(
      new cloudwatch.AlarmStatusWidget({
        title: 'Guard alarms (any in ALARM rolls the canary back)',
        alarms: allAlarms,
        width: 24,
        height: Math.min(8, 2 + Math.ceil(allAlarms.length / 4)),
      }),
    );
  }

  // 2. Every alarm guard of the library's: its metric against its threshold.
  const prefix = guards.alarmNamePrefix;
  const alarmWidgets = guards.ownAlarmNames
    .map((name) => name.slice(prefix.length))
    .filter((guard) => !judgedNames.has(guard))
    .map((guard) => {
      const alarm = guards.alarmOf(guard);
      return alarm ? new cloudwatch.AlarmWidget({ title: `Guard ${guard}`, alarm, leftYAxis: { min: 0 }, width: 8, height: 6 }) : undefined;
    })
    .filter((w): w is cloudwatch.AlarmWidget => w !== undefined);
  rows.push(...inRows(alarmWidgets));

  // 3. Every judged guard's evidence (log10 of its e-value) against the rollback threshold.
  if (input.judged.length > 0) {
    const evidenceWidgets = input.judged.map((j) => {
      const threshold = evidenceThreshold({ alpha: input.alpha, guards: [...input.judged] }, j.name);
      return new cloudwatch.GraphWidget({
        title: `Judged guard ${j.name}: evidence`,
        left: [
          new cloudwatch.Metric({
            namespace: JUDGE_NAMESPACE,
            metricName: EVIDENCE_METRIC,
            dimensionsMap: {
              [EVIDENCE_DIMENSIONS.canary]: host.canaryName,
              [EVIDENCE_DIMENSIONS.stack]: input.stackName,
              [EVIDENCE_DIMENSIONS.guard]: j.name,
              [EVIDENCE_DIMENSIONS.version]: input.canaryVersion,
            },
            statistic: 'Maximum',
            period: PERIOD,
            label: 'evidence (log10 e-value)',
          }),
        ],
        leftAnnotations: [{ value: threshold, label: `rollback at ${round(threshold)}`, color: cloudwatch.Color.RED }],
        leftYAxis: { showUnits: false },
        width: 8,
        height: 6,
      });
    });
    rows.push(...inRows(evidenceWidgets));
  }
  return rows;
}

/** Widgets 8 wide, three to a row. */
function inRows(widgets: cloudwatch.IWidget[]): cloudwatch.IWidget[] {
  const rows: cloudwatch.IWidget[] = [];
  for (let i = 0; i < widgets.length; i += 3) rows.push(new cloudwatch.Row(...widgets.slice(i, i + 3)));
  return rows;
}

const round = (x: number) => (Token.isUnresolved(x) ? String(x) : x.toFixed(2));

/**
 * A column of widgets built when the dashboard renders: Dashboard lays its rows out only then, so
 * the widgets see every guard, those added after the construct included. Rebuilt when the guards
 * change (a resolve before the last addGuard() must not freeze the dashboard).
 */
class LazyWidget implements cloudwatch.IWidget {
  private built?: { key: string; column: cloudwatch.Column };

  constructor(private readonly build: () => cloudwatch.IWidget[], private readonly keyOf: () => string) {}

  public get width(): number {
    return this.column().width;
  }

  public get height(): number {
    return this.column().height;
  }

  public position(x: number, y: number): void {
    this.column().position(x, y);
  }

  public toJson(): any[] {
    return this.column().toJson();
  }

  private column(): cloudwatch.Column {
    const key = this.keyOf();
    if (!this.built || this.built.key !== key) this.built = { key, column: new cloudwatch.Column(...this.build()) };
    return this.built.column;
  }
}
