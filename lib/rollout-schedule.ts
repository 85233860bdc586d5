import { Duration } from 'aws-cdk-lib';

/** One step of a rollout: the canary's share of traffic and how long it bakes there. */
export interface RolloutStep {
  /**
   * The canary's share of traffic during this step, in percent: more than 0, at most 100.
   */
  readonly percent: number;

  /**
   * How long the canary stays at this share while the guards watch it. A step passes only when
   * this has passed, no guard fired and the canary served at least `minRequestsPerStep` requests.
   * At least one minute (the resolution of Lambda and SageMaker metrics); only a last step at
   * 100 % may have zero, meaning "then promote at once".
   */
  readonly bake: Duration;

  /**
   * Promote on evidence: from this bake on the step passes as soon as every judged guard's data
   * rule out a gross regression (`promotionMargin`), the guards are quiet and the canary served
   * `minRequestsPerStep`; at `bake` it passes as any step (a step to 100 % still waits for the
   * evidence). At least one minute, at most `bake`. Needs judged guards (`Guard.errorRateVsStable()`...).
   * @default - the step passes at `bake` only
   */
  readonly minBake?: Duration;
}

/**
 * How traffic moves from the stable version to the canary: a list of steps with a bake time each.
 *
 * Presets cover the common shapes, including the ones CodeDeploy offers for Lambda, so a team
 * moving from CodeDeploy keeps its timing; `fromPercentages()` and `custom()` build any other.
 *
 * @see https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html
 */
export class RolloutSchedule {
  /** 5 % → 25 % → 50 % → 100 %, 10 minutes each (the seed guidance). The default. */
  public static readonly GRADUAL_5_25_50_100 = RolloutSchedule.fromPercentages([5, 25, 50, 100], Duration.minutes(10));

  /** CodeDeploy's Canary10Percent5Minutes: 10 % for 5 minutes, then everything. */
  public static readonly CANARY_10PERCENT_5MINUTES = RolloutSchedule.canary(10, Duration.minutes(5));
  /** CodeDeploy's Canary10Percent10Minutes. */
  public static readonly CANARY_10PERCENT_10MINUTES = RolloutSchedule.canary(10, Duration.minutes(10));
  /** CodeDeploy's Canary10Percent15Minutes. */
  public static readonly CANARY_10PERCENT_15MINUTES = RolloutSchedule.canary(10, Duration.minutes(15));
  /** CodeDeploy's Canary10Percent30Minutes. */
  public static readonly CANARY_10PERCENT_30MINUTES = RolloutSchedule.canary(10, Duration.minutes(30));

  /** CodeDeploy's Linear10PercentEvery1Minute: 10 % more every minute. */
  public static readonly LINEAR_10PERCENT_EVERY_1MINUTE = RolloutSchedule.linear(10, Duration.minutes(1));
  /** CodeDeploy's Linear10PercentEvery2Minutes. */
  public static readonly LINEAR_10PERCENT_EVERY_2MINUTES = RolloutSchedule.linear(10, Duration.minutes(2));
  /** CodeDeploy's Linear10PercentEvery3Minutes. */
  public static readonly LINEAR_10PERCENT_EVERY_3MINUTES = RolloutSchedule.linear(10, Duration.minutes(3));
  /** CodeDeploy's Linear10PercentEvery10Minutes. */
  public static readonly LINEAR_10PERCENT_EVERY_10MINUTES = RolloutSchedule.linear(10, Duration.minutes(10));

  /** Blue/green: all traffic to the canary at once, 10 minutes of bake with the old version kept warm. */
  public static readonly ALL_AT_ONCE = RolloutSchedule.allAtOnce(Duration.minutes(10));

  /**
   * Promote on evidence: 10 % → 50 % → 100 %, each step passing as soon as the judged guards' data
   * rule out a gross regression after a minute, or after 5 minutes without it (to 100 % only with
   * it). A healthy canary at 20 requests a second or more reaches 100 % in about 10 minutes
   * (BENCHMARKS.md); at low traffic it takes as long as the evidence does.
   */
  public static readonly EVIDENCE_10_50_100 = RolloutSchedule.evidenceDriven([10, 50, 100], Duration.minutes(1), Duration.minutes(5));

  /** The given shares in order, each baking for `bake`. */
  public static fromPercentages(percentages: number[], bake: Duration): RolloutSchedule {
    return new RolloutSchedule(percentages.map((percent) => ({ percent, bake })));
  }

  /**
   * The former name of `fromPercentages()`, kept for TypeScript and JavaScript. Java and C# cannot
   * have a static and an instance member of one name, so jsii does not see this one (`@jsii ignore`:
   * https://aws.github.io/jsii/user-guides/lib-author/hints).
   * @deprecated use `RolloutSchedule.fromPercentages()`
   * @jsii ignore static `steps` would clash with the instance property `steps`
   */
  public static steps(percentages: number[], bake: Duration): RolloutSchedule {
    return RolloutSchedule.fromPercentages(percentages, bake);
  }

  /**
   * The given shares in order, each passing once the judged guards' evidence is in and `minBake`
   * has passed, and at `bake` at the latest (a step to 100 % only with the evidence).
   */
  public static evidenceDriven(percentages: number[], minBake: Duration, bake: Duration): RolloutSchedule {
    return new RolloutSchedule(percentages.map((percent) => ({ percent, bake, minBake })));
  }

  /** `percent` for `bake`, then everything at once (CodeDeploy's canary shape). */
  public static canary(percent: number, bake: Duration): RolloutSchedule {
    return new RolloutSchedule([
      { percent, bake },
      { percent: 100, bake: Duration.seconds(0) },
    ]);
  }

  /** `percentPerStep` more every `interval` until 100 % (CodeDeploy's linear shape). */
  public static linear(percentPerStep: number, interval: Duration): RolloutSchedule {
    if (!(percentPerStep > 0 && percentPerStep <= 100)) {
      throw new Error(`linear(): percentPerStep must be more than 0 and at most 100, got ${percentPerStep}`);
    }
    const steps: RolloutStep[] = [];
    for (let p = percentPerStep; p < 100 - 1e-9; p += percentPerStep) {
      steps.push({ percent: Math.round(p * 1e6) / 1e6, bake: interval });
    }
    steps.push({ percent: 100, bake: Duration.seconds(0) });
    return new RolloutSchedule(steps);
  }

  /** Blue/green: 100 % to the canary, bake, then promote. Rollback stays instant during the bake. */
  public static allAtOnce(bake: Duration): RolloutSchedule {
    return new RolloutSchedule([{ percent: 100, bake }]);
  }

  /** Any list of steps. */
  public static custom(steps: RolloutStep[]): RolloutSchedule {
    return new RolloutSchedule(steps);
  }

  /** The steps, in order. Frozen: the presets are shared by every canary in the app. */
  public readonly steps: RolloutStep[];

  private constructor(steps: RolloutStep[]) {
    this.steps = Object.freeze(steps.map((s) => Object.freeze({ ...s }))) as RolloutStep[];
  }

  /** Total bake time of all steps: the shortest time a healthy rollout takes. */
  public get totalBake(): Duration {
    return Duration.seconds(this.steps.reduce((s, step) => s + step.bake.toSeconds(), 0));
  }
}
