import { Duration, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { RolloutSchedule } from '../rollout-schedule';

/** Lambda and SageMaker publish 1-minute metrics: nothing can be judged faster than this. */
export const METRIC_PERIOD = Duration.minutes(1);

/** Every problem with a schedule, each saying what to change. */
export function scheduleProblems(schedule: RolloutSchedule): string[] {
  const problems: string[] = [];
  const steps = schedule.steps;
  if (steps.length === 0) return ['schedule has no steps: give at least one, for example RolloutSchedule.fromPercentages([5, 25, 50, 100], Duration.minutes(10))'];
  steps.forEach((step, i) => {
    const n = i + 1;
    if (!(step.percent > 0 && step.percent <= 100)) {
      problems.push(`schedule step ${n} sends ${step.percent}% to the canary: use a share more than 0 and at most 100`);
    }
    if (i > 0 && !(step.percent > steps[i - 1].percent)) {
      problems.push(`schedule step ${n} (${step.percent}%) does not raise the share of step ${i} (${steps[i - 1].percent}%): make the steps strictly increasing`);
    }
    const bake = step.bake.toSeconds();
    const minBake = step.minBake?.toSeconds();
    if (minBake !== undefined && !Token.isUnresolved(minBake) && !Token.isUnresolved(bake) && (minBake < METRIC_PERIOD.toSeconds() || minBake > bake)) {
      problems.push(`schedule step ${n} has minBake ${minBake}s: give at least ${METRIC_PERIOD.toSeconds()}s (the metric period) and at most its bake (${bake}s)`);
    }
    const last = i === steps.length - 1;
    const instantFinal = last && step.percent === 100 && bake === 0;
    if (!instantFinal && bake < METRIC_PERIOD.toSeconds()) {
      problems.push(
        `schedule step ${n} bakes ${bake}s, shorter than the ${METRIC_PERIOD.toSeconds()}s metric period: nothing could be judged; bake at least 1 minute (only a last step at 100% may bake 0)`,
      );
    }
  });
  return problems;
}

export function requireRange(name: string, value: number | undefined, min: number, max: number, hint: string): string[] {
  if (value === undefined || Token.isUnresolved(value)) return [];
  if (!Number.isFinite(value) || value < min || value > max) {
    return [`${name} is ${value}: ${hint}`];
  }
  return [];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function emailProblems(emails: string[]): string[] {
  return emails
    .filter((e) => !Token.isUnresolved(e) && !EMAIL.test(e))
    .map((e) => `alertEmails has ${JSON.stringify(e)}, which is not an email address: give addresses like "ml-oncall@example.com"`);
}

/** How errors name a canary: its class and construct path, e.g. "LambdaModelCanary at Prod/SentimentCanary". */
export function canaryLabel(canary: IConstruct): string {
  return `${canary.constructor.name} at ${canary.node.path}`;
}

/**
 * Runs `fn`; an error it throws is rethrown naming the canary's construct path (an app with several
 * canaries must be told which one), unless it already does.
 */
export function withCanaryPath<T>(canary: IConstruct, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof Error && !err.message.includes(canary.node.path)) {
      const kind = `${canary.constructor.name}: `;
      err.message = `${canaryLabel(canary)}: ${err.message.startsWith(kind) ? err.message.slice(kind.length) : err.message}`;
    }
    throw err;
  }
}

export function throwIfProblems(construct: string, problems: string[]): void {
  if (problems.length > 0) {
    throw new Error(`${construct}: ${problems.length === 1 ? problems[0] : '\n- ' + problems.join('\n- ')}`);
  }
}
