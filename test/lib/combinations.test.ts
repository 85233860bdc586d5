/**
 * Option combinations (issue 18 §7): every budget or compatibility error names the canary's construct
 * path, a gate that holds cannot be combined with waitForVerdict, and a default post-promotion watch
 * cut short to fit waitForVerdict's budget is a synth warning.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { ApprovalTimeoutAction, Guard, LambdaModelCanary, RolloutSchedule, SageMakerModelCanary, type LambdaModelCanaryProps } from '../../lib';
import { modelFunction } from './support';

const WATCH_WARNING = 'cdk-model-canary:postPromotionWatchShortened';

/** An app with two stacks and two canaries each: an error must say which one it is about. */
function crowdedApp() {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const prod = new Stack(app, 'Prod');
  new LambdaModelCanary(prod, 'SentimentCanary', { modelFunction: modelFunction(prod, 'Sentiment') });
  return { app, prod };
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

function lambdaCanary(props: Partial<LambdaModelCanaryProps>): { stack: Stack; canary: LambdaModelCanary } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Prod');
  const canary = new LambdaModelCanary(stack, 'Summaries', { modelFunction: modelFunction(stack), ...props });
  return { stack, canary };
}

describe('budget and compatibility errors name the canary', () => {
  test('the waitForVerdict budget, for a Lambda canary beside another', () => {
    const { prod } = crowdedApp();
    const message = errorOf(() =>
      new LambdaModelCanary(prod, 'SummaryCanary', {
        modelFunction: modelFunction(prod, 'Summary'),
        waitForVerdict: true,
        schedule: RolloutSchedule.fromPercentages([10, 50, 100], Duration.minutes(20)),
      }),
    );
    expect(message).toMatch(/^LambdaModelCanary at Prod\/SummaryCanary: waitForVerdict: the rollout takes \d+ min when healthy/);
  });

  test('the waitForVerdict budget, for a SageMaker canary', () => {
    const { prod } = crowdedApp();
    const model = new sagemaker.CfnModel(prod, 'Model', { executionRoleArn: 'arn:aws:iam::123456789012:role/m', primaryContainer: { image: 'i' } });
    const message = errorOf(() =>
      new SageMakerModelCanary(prod, 'Endpoints', {
        model,
        instanceType: 'ml.m5.large',
        waitForVerdict: true,
        approvalGates: [100],
        approvalTimeout: Duration.hours(1),
      }),
    );
    expect(message).toMatch(/^SageMakerModelCanary at Prod\/Endpoints: waitForVerdict: the rollout takes/);
  });

  test('the history budget (a rollout too long for one execution) names it too', () => {
    const message = errorOf(() => lambdaCanary({ schedule: RolloutSchedule.fromPercentages([1, 100], Duration.days(200)) }));
    expect(message).toMatch(/^LambdaModelCanary at Prod\/Summaries: /);
  });

  test('a guard added later whose window never fits the schedule names the canary', () => {
    const { canary } = lambdaCanary({ guards: [Guard.errorRateVsStable()], schedule: RolloutSchedule.fromPercentages([50, 100], Duration.minutes(2)) });
    const message = errorOf(() => canary.addGuard(Guard.errorRate({ window: Duration.minutes(10) })));
    expect(message).toMatch(/^LambdaModelCanary at Prod\/Summaries: Guard\.errorRate: window \(10 min\) is longer than the whole schedule bakes/);
  });

  test('two guards of one name, added later, name the canary once', () => {
    const { canary } = lambdaCanary({ guards: [Guard.errorRate()] });
    const message = errorOf(() => canary.addGuard(Guard.errorRate()));
    expect(message).toMatch(/^LambdaModelCanary at Prod\/Summaries: two guards named "ErrorRate"/);
    expect(message.match(/Prod\/Summaries/g)).toHaveLength(1);
  });
});

describe('onApprovalTimeout HOLD with waitForVerdict', () => {
  const gated = { waitForVerdict: true, approvalGates: [100], approvalTimeout: Duration.minutes(5) };

  test('is an error naming the canary and what to do instead', () => {
    const message = errorOf(() => lambdaCanary({ ...gated, onApprovalTimeout: ApprovalTimeoutAction.HOLD }));
    expect(message).toMatch(/^LambdaModelCanary at Prod\/Summaries: waitForVerdict with onApprovalTimeout HOLD/);
    expect(message).toContain('use onApprovalTimeout ROLL_BACK');
  });

  test('ROLL_BACK with a timeout that fits, and HOLD without waitForVerdict, are accepted', () => {
    expect(() => lambdaCanary({ ...gated, onApprovalTimeout: ApprovalTimeoutAction.ROLL_BACK })).not.toThrow();
    expect(() => lambdaCanary({ approvalGates: [100], onApprovalTimeout: ApprovalTimeoutAction.HOLD })).not.toThrow();
  });
});

describe('a post-promotion watch cut short to fit waitForVerdict', () => {
  const warnings = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(WATCH_WARNING));

  test('the default schedule leaves 6 of the 10 minutes: a warning on the canary saying how to choose', () => {
    const { stack } = lambdaCanary({ waitForVerdict: true });
    const found = warnings(stack);
    expect(found).toHaveLength(1);
    expect(found[0].id).toBe('/Prod/Summaries');
    expect(String(found[0].entry.data)).toMatch(/waitForVerdict: a post-promotion watch of 6 min instead of the default 10, so that the rollout \(44 min when healthy\) fits the 50 min a deploy waits\. Set postPromotionWatch .*Duration\.minutes\(6\)/);
  });

  test('a schedule that leaves no minute: the warning says there is no watch at all', () => {
    const { stack } = lambdaCanary({ waitForVerdict: true, schedule: RolloutSchedule.fromPercentages([10, 50, 100], Duration.seconds(930)) });
    expect(String(warnings(stack)[0]?.entry.data)).toMatch(/no post-promotion watch at all \(the default is 10 min\)/);
  });

  test('no warning when the watch is given, when the full watch fits, or without waitForVerdict', () => {
    expect(warnings(lambdaCanary({ waitForVerdict: true, postPromotionWatch: Duration.minutes(6) }).stack)).toEqual([]);
    expect(warnings(lambdaCanary({ waitForVerdict: true, schedule: RolloutSchedule.fromPercentages([10, 100], Duration.minutes(5)) }).stack)).toEqual([]);
    expect(warnings(lambdaCanary({}).stack)).toEqual([]);
  });
});
