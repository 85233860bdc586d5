import { Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { GUARD_NAMES, VERSION_PLACEHOLDER } from '../../lambda/shared/judge-plan';
import { CANARY_DIMENSION, CLASS_DIMENSION, SIGNALS, STACK_DIMENSION, VERSION_DIMENSION } from '../../runtime/signal-names';
import { type GuardBinding, type GuardContext, type GuardImplementation, judgedMetric, PERIOD, ratioProblems, throwGuardProblems } from '../private/guard-kit';

/** Properties of {@link Guard.predictionShift}. */
export interface PredictionShiftGuardProps {
  /** The classes the model predicts, exactly as the runtime helper records them (2 to 100). */
  readonly classes: string[];

  /**
   * A class's share of the canary's predictions may move by this factor (odds, either way) before
   * it counts as a shift. 1.5 is about the seed's broken model ("positive" 80 % instead of 60 %,
   * odds ×2.7) caught quickly, while a few points of drift between versions are not.
   * @default 1.5
   */
  readonly maxRatio?: number;
}

/** The canary's predicted classes against stable's (per-class `Prediction` counts), judged per class. */
export class PredictionShiftGuard implements GuardImplementation {
  public readonly guardName = GUARD_NAMES.predictionShift;
  private readonly classes: string[];
  private readonly maxRatio: number;

  constructor(props: PredictionShiftGuardProps) {
    const classes = Array.isArray(props?.classes) ? props.classes : [];
    const bad = classes.filter((k) => typeof k !== 'string' || (!Token.isUnresolved(k) && (k.trim() !== k || k.length < 1 || k.length > 255)));
    throwGuardProblems('predictionShift', [
      ...(classes.length < 2 || classes.length > 100 || new Set(classes).size !== classes.length || bad.length > 0
        ? [`classes is ${JSON.stringify(classes.slice(0, 10))}${classes.length > 10 ? '…' : ''}: give 2 to 100 distinct class names of 1-255 characters without surrounding spaces, as the model code records them`]
        : []),
      ...ratioProblems(props?.maxRatio, 'class odds'),
    ]);
    this.classes = [...classes];
    this.maxRatio = props.maxRatio ?? 1.5;
  }

  public bind(_scope: Construct, ctx: GuardContext): GuardBinding {
    const metric = (k: string) =>
      new cloudwatch.Metric({
        namespace: ctx.signalsNamespace,
        metricName: SIGNALS.prediction,
        dimensionsMap: { [CANARY_DIMENSION]: ctx.canaryName, [STACK_DIMENSION]: ctx.stackName, [VERSION_DIMENSION]: VERSION_PLACEHOLDER, [CLASS_DIMENSION]: k },
        statistic: 'Sum',
        period: PERIOD,
      });
    return {
      judged: {
        name: this.guardName,
        test: 'classes',
        classes: this.classes.map((k) => ({ name: k, metric: judgedMetric(metric(k), `the prediction count of ${k}`) })),
        maxRatio: this.maxRatio,
        description: `a predicted class's odds on the canary more than ${this.maxRatio} × (or less than 1/${this.maxRatio} of) stable's`,
      },
    };
  }
}
