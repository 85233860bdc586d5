/**
 * AppConfig's deployment behaviour as a function of the clock (sim/aws/appconfig/appconfig.ts keeps
 * the records): the predefined strategies, linear and exponential growth over the deployment's
 * duration, the final bake, the environment's monitors (CloudWatch alarms) that roll a deployment
 * back, and the deployment's event log.
 *
 * Strategies: https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-deployment-strategy.html
 * Predefined: https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-deployment-strategy-predefined.html
 * Monitors:   https://docs.aws.amazon.com/appconfig/latest/userguide/monitoring-deployments.html
 * Events:     https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_DeploymentEvent.html
 */

export type DeploymentState = 'DEPLOYING' | 'BAKING' | 'COMPLETE' | 'ROLLED_BACK' | 'REVERTED';

/** "AWS AppConfig supports Linear and Exponential deployment types" (CreateDeploymentStrategy GrowthType; LINEAR when absent). */
export type GrowthType = 'LINEAR' | 'EXPONENTIAL';

export interface StrategyRecord {
  readonly id: string;
  readonly name: string;
  readonly durationMinutes: number;
  readonly bakeMinutes: number;
  readonly growthFactor: number;
  /** @default 'LINEAR' */
  readonly growthType?: GrowthType;
}

/** An environment's monitor, as CreateEnvironment / UpdateEnvironment spell it (API_Monitor.html). */
export interface Monitor {
  readonly AlarmArn: string;
  /** "ARN of an IAM role for AWS AppConfig to monitor AlarmArn": recorded, not checked (the simulator has no IAM evaluation here). */
  readonly AlarmRoleArn?: string;
}

/** A CloudWatch alarm's state value. */
export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** What AppConfig reads of a monitored alarm: its state, since when, and whether its actions are enabled. */
export interface MonitoredAlarm {
  readonly state: AlarmStateValue;
  /** When the alarm entered `state` (ms). */
  readonly since: number;
  /** "A deployment doesn't automatically roll back if actions have been disabled in an associated CloudWatch alarm." @default true */
  readonly actionsEnabled?: boolean;
}

/** Reads an alarm by ARN (the world reads its simulated CloudWatch); undefined: no such alarm. */
export type AlarmStateReader = (alarmArn: string) => MonitoredAlarm | undefined;

export interface DeploymentRecord {
  readonly number: number;
  readonly applicationId: string;
  readonly environmentId: string;
  readonly profileId: string;
  readonly versionNumber: number;
  readonly strategy: StrategyRecord;
  readonly startedAt: number;
  readonly by?: string;
  stoppedAt?: number;
  stoppedState?: 'ROLLED_BACK' | 'REVERTED';
  /** The monitor's alarm that rolled it back (TriggeredBy CLOUDWATCH_ALARM); absent when a user stopped it. */
  rolledBackByAlarm?: string;
  /** Its monitoring window (deployment and final bake) ended without a rollback: monitors no longer apply. */
  monitorsSettled?: boolean;
}

/**
 * The predefined strategies ("Using predefined deployment strategies"); the numbers are also
 * aws-cdk-lib's RolloutStrategy constants of the same names.
 * - Linear20PercentEvery6Minutes: "deploys the configuration to 20% of all targets every six minutes
 *   for a 30 minute deployment. The system monitors for Amazon CloudWatch alarms for 30 minutes."
 * - Canary10Percent20Minutes: "processes the deployment exponentially using a 10% growth factor over
 *   20 minutes. The system monitors for CloudWatch alarms for 10 minutes."
 * - AllAtOnce: "deploys the configuration to all targets immediately. The system monitors for
 *   CloudWatch alarms for 10 minutes."
 * - Linear50PercentEvery30Seconds: "deploys the configuration to half of all targets every 30 seconds
 *   for a one-minute deployment. The system monitors for Amazon CloudWatch alarms for 1 minute."
 */
export const PREDEFINED_STRATEGIES: readonly StrategyRecord[] = [
  { id: 'AppConfig.AllAtOnce', name: 'AppConfig.AllAtOnce', durationMinutes: 0, bakeMinutes: 10, growthFactor: 100, growthType: 'LINEAR' },
  { id: 'AppConfig.Linear50PercentEvery30Seconds', name: 'AppConfig.Linear50PercentEvery30Seconds', durationMinutes: 1, bakeMinutes: 1, growthFactor: 50, growthType: 'LINEAR' },
  { id: 'AppConfig.Linear20PercentEvery6Minutes', name: 'AppConfig.Linear20PercentEvery6Minutes', durationMinutes: 30, bakeMinutes: 30, growthFactor: 20, growthType: 'LINEAR' },
  { id: 'AppConfig.Canary10Percent20Minutes', name: 'AppConfig.Canary10Percent20Minutes', durationMinutes: 20, bakeMinutes: 10, growthFactor: 10, growthType: 'EXPONENTIAL' },
];

const MINUTE = 60_000;

/**
 * The percentages a strategy steps through, last 100.
 * LINEAR: "by increments of the growth factor evenly distributed over the deployment" (G, 2G, …).
 * EXPONENTIAL: "G*(2^N) … N is the number of steps until the configuration is deployed to all
 * targets … 2% of the targets, 4% of the targets, 8% of the targets, and continues until the
 * configuration has been deployed to all targets" (G, 2G, 4G, …, capped at 100).
 */
export function growthSteps(s: Pick<StrategyRecord, 'growthFactor' | 'growthType'>): number[] {
  const steps: number[] = [];
  for (let n = 0; steps[steps.length - 1] !== 100; n++) {
    const p = (s.growthType ?? 'LINEAR') === 'EXPONENTIAL' ? s.growthFactor * 2 ** n : s.growthFactor * (n + 1);
    steps.push(Math.min(100, p));
  }
  return steps;
}

/**
 * The share of clients (percent) a deployment has reached `elapsedMs` after it started. The user
 * guide's linear timeline ("a 10 hour deployment that uses 20% linear growth": 0 hour 0%, 2 hour
 * 20%, … 10 hour 100%): the duration is split evenly over the steps, the first step comes one
 * interval after the start and the last at the end of the duration. Exponential steps are spaced
 * the same way (the guide gives no timeline for them: an assumption). Note: the AWS CLI's
 * get-deployment example (15 minutes, 25 % linear) shows the 25/50/75/100 % events 3 minutes apart,
 * 100 % one interval before the end; the simulator follows the user guide.
 */
export function percentAt(s: StrategyRecord, elapsedMs: number): number {
  const duration = s.durationMinutes * MINUTE;
  if (elapsedMs >= duration) return 100;
  const steps = growthSteps(s);
  const reached = Math.floor((Math.max(0, elapsedMs) * steps.length) / duration);
  return reached === 0 ? 0 : steps[reached - 1];
}

/** When each step is reached, ms after the start, with its percentage (the PERCENTAGE_UPDATED events). */
export function stepTimes(s: StrategyRecord): { at: number; percent: number }[] {
  const steps = growthSteps(s);
  const duration = s.durationMinutes * MINUTE;
  return steps.map((percent, i) => ({ at: Math.ceil(((i + 1) * duration) / steps.length), percent }));
}

/** The end of the monitoring window: the deployment's duration and then its final bake. */
export function completedAt(d: DeploymentRecord): number {
  return d.startedAt + (d.strategy.durationMinutes + d.strategy.bakeMinutes) * MINUTE;
}

/** DEPLOYING for the strategy's duration, BAKING for its final bake time, then COMPLETE; a stopped one keeps its stopped state. */
export function clockState(d: DeploymentRecord, now: number): DeploymentState {
  if (d.stoppedState) return d.stoppedState;
  const elapsed = now - d.startedAt;
  if (elapsed < d.strategy.durationMinutes * MINUTE) return 'DEPLOYING';
  if (now < completedAt(d)) return 'BAKING';
  return 'COMPLETE';
}

export function inProgress(state: DeploymentState): boolean {
  return state === 'DEPLOYING' || state === 'BAKING';
}

/**
 * Whether the environment's monitors roll `d` back: "if one or more CloudWatch alarms go into the
 * ALARM or INSUFFICIENT_DATA state during a deployment, AWS AppConfig automatically rolls back your
 * configuration data to the previous version" (monitoring-deployments.html), and the final bake is
 * "the amount of time AppConfig monitors for Amazon CloudWatch alarms after the configuration has
 * been deployed to 100% of its targets, before considering the deployment to be complete. If an
 * alarm is triggered during this time, AppConfig rolls back the deployment"
 * (CreateDeploymentStrategy FinalBakeTimeInMinutes). An alarm already in such a state when the
 * deployment starts rolls it back at its start. Returns the first moment a monitored alarm was in
 * such a state within [start, end of bake) and the alarm, read as of now. Assumptions (undocumented):
 * AppConfig notices at once (no polling delay of its own), and an alarm that cannot be found is no
 * signal. A state that began and ended between two reads is missed: the world reads once a second.
 */
export function monitorRollback(d: DeploymentRecord, monitors: readonly Monitor[], read: AlarmStateReader, now: number): { at: number; alarmArn: string } | undefined {
  const end = completedAt(d);
  let first: { at: number; alarmArn: string } | undefined;
  for (const m of monitors) {
    const alarm = read(m.AlarmArn);
    if (!alarm || alarm.actionsEnabled === false || alarm.state === 'OK') continue;
    const at = Math.max(alarm.since, d.startedAt);
    if (at < end && at <= now && (!first || at < first.at)) first = { at, alarmArn: m.AlarmArn };
  }
  return first;
}

export interface DeploymentEvent {
  readonly EventType: 'DEPLOYMENT_STARTED' | 'PERCENTAGE_UPDATED' | 'BAKE_TIME_STARTED' | 'DEPLOYMENT_COMPLETED' | 'ROLLBACK_STARTED' | 'ROLLBACK_COMPLETED' | 'REVERT_COMPLETED';
  readonly TriggeredBy: 'USER' | 'APPCONFIG' | 'CLOUDWATCH_ALARM';
  readonly Description: string;
  readonly OccurredAt: Date;
}

/** GetDeployment's EventLog, newest first ("The most recent events are displayed first"). */
export function eventLog(d: DeploymentRecord, now: number): DeploymentEvent[] {
  const until = Math.min(now, d.stoppedAt ?? Infinity);
  const events: DeploymentEvent[] = [{ EventType: 'DEPLOYMENT_STARTED', TriggeredBy: 'USER', Description: 'Deployment started', OccurredAt: new Date(d.startedAt) }];
  const add = (at: number, EventType: DeploymentEvent['EventType'], Description: string, TriggeredBy: DeploymentEvent['TriggeredBy'] = 'APPCONFIG') => {
    if (at <= until) events.push({ EventType, TriggeredBy, Description, OccurredAt: new Date(at) });
  };
  for (const step of stepTimes(d.strategy)) add(d.startedAt + step.at, 'PERCENTAGE_UPDATED', `Configuration available to ${step.percent.toFixed(2)}% of clients`);
  add(d.startedAt + d.strategy.durationMinutes * MINUTE, 'BAKE_TIME_STARTED', 'Deployment bake time started');
  if (d.stoppedState !== 'ROLLED_BACK') add(completedAt(d), 'DEPLOYMENT_COMPLETED', 'Deployment completed');
  if (d.stoppedState === 'REVERTED') events.push({ EventType: 'REVERT_COMPLETED', TriggeredBy: 'USER', Description: 'Configuration reverted', OccurredAt: new Date(d.stoppedAt!) });
  else if (d.stoppedState === 'ROLLED_BACK') {
    const by = d.rolledBackByAlarm ? 'CLOUDWATCH_ALARM' : 'USER';
    const why = d.rolledBackByAlarm ? `Rollback initiated by ${d.rolledBackByAlarm}` : 'Rollback initiated by the user (StopDeployment)';
    events.push({ EventType: 'ROLLBACK_STARTED', TriggeredBy: by, Description: why, OccurredAt: new Date(d.stoppedAt!) });
    events.push({ EventType: 'ROLLBACK_COMPLETED', TriggeredBy: by, Description: 'Rollback completed', OccurredAt: new Date(d.stoppedAt!) });
  }
  // Reversed first: of events at the same instant, the later one comes first after the (stable) sort.
  return events.reverse().sort((a, b) => b.OccurredAt.getTime() - a.OccurredAt.getTime());
}
