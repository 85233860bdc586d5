import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { LambdaModelCanary, type LambdaModelCanaryProps, SageMakerModelCanary } from '../../lib';
import { modelFunction, newStack } from './support';

/** Validation of the AI-model signal props (issue 3): each problem names the prop and says what to change. */

const GUARDRAIL_ARN = 'arn:aws:bedrock:us-east-1:123456789012:guardrail/sentimentguard01';

/** Builds a canary with these props on a fresh stack and returns what it threw (or undefined). */
function errorOf(props: Partial<LambdaModelCanaryProps>): Error | undefined {
  const stack = newStack();
  const fn = modelFunction(stack);
  try {
    new LambdaModelCanary(stack, 'Canary', { modelFunction: fn, ...props });
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The construction fails, and its message holds every expected part. */
function expectProblem(props: Partial<LambdaModelCanaryProps>, ...expected: (string | RegExp)[]): string {
  const error = errorOf(props);
  expect(error).toBeInstanceOf(Error);
  expect(error!.message).toMatch(/^LambdaModelCanary: /);
  for (const e of expected) expect(error!.message).toMatch(e instanceof RegExp ? e : new RegExp(escape(e)));
  return error!.message;
}

/** How many problems one message lists ("- " lines when there are several). */
const problemCount = (message: string) => (message.includes('\n- ') ? message.split('\n- ').length - 1 : 1);

const SET_MODEL_SIGNALS = 'set modelSignals: true';
const BOTH_PRICES = 'give both inputTokenPricePer1k and outputTokenPricePer1k for the cost guards, or neither';
const BEDROCK_TOGETHER = 'the Bedrock guardrail guard needs bedrockGuardrailArn, canaryGuardrailVersion and stableGuardrailVersion together';

describe('valid signal props are accepted', () => {
  test.each([
    ['modelSignals alone', { modelSignals: true }],
    [
      'every signal prop at a sensible value',
      {
        modelSignals: true,
        signalsNamespace: 'Acme/Models',
        maxTokensPerRequestRatio: 1.5,
        tokensWindow: Duration.minutes(10),
        maxGuardrailBlocksPerMinute: 10,
        maxGuardrailBlockRateIncrease: 5,
        maxSchemaFailurePercent: 1,
        maxResponseLengthShiftPercent: 50,
        inputTokenPricePer1k: 0.003,
        outputTokenPricePer1k: 0.015,
        maxCostPerRequest: 0.02,
        maxCostPerRequestRatio: 1.5,
        predictionClasses: ['positive', 'negative'],
        maxPredictionShift: 0.1,
        minPredictionsForShift: 200,
        bedrockGuardrailArn: GUARDRAIL_ARN,
        canaryGuardrailVersion: '3',
        stableGuardrailVersion: '2',
      },
    ],
    [
      'boundary values',
      {
        modelSignals: true,
        maxTokensPerRequestRatio: 1,
        tokensWindow: Duration.minutes(1),
        maxGuardrailBlocksPerMinute: 0,
        maxGuardrailBlockRateIncrease: 0,
        maxSchemaFailurePercent: 0,
        maxResponseLengthShiftPercent: 1,
        inputTokenPricePer1k: 0,
        outputTokenPricePer1k: 0,
        maxCostPerRequest: 0,
        maxCostPerRequestRatio: 1,
        predictionClasses: ['a', 'b'],
        maxPredictionShift: 0.001,
        minPredictionsForShift: 1,
      },
    ],
    ['upper boundaries', { modelSignals: true, tokensWindow: Duration.days(1), maxGuardrailBlockRateIncrease: 100, maxSchemaFailurePercent: 100, maxPredictionShift: 10 }],
    ['a Bedrock guardrail without modelSignals (its metrics come from Bedrock)', { bedrockGuardrailArn: GUARDRAIL_ARN, canaryGuardrailVersion: '2', stableGuardrailVersion: '1' }],
  ] as [string, Partial<LambdaModelCanaryProps>][])('%s', (_name, props) => {
    expect(errorOf(props)).toBeUndefined();
  });
});

describe('fails when signal thresholds are set without modelSignals', () => {
  test.each([
    ['maxTokensPerRequestRatio', { maxTokensPerRequestRatio: 2 }],
    ['maxGuardrailBlocksPerMinute', { maxGuardrailBlocksPerMinute: 3 }],
    ['maxGuardrailBlocksPerMinute 0', { maxGuardrailBlocksPerMinute: 0 }],
    ['maxSchemaFailurePercent', { maxSchemaFailurePercent: 2 }],
    ['maxResponseLengthShiftPercent', { maxResponseLengthShiftPercent: 30 }],
    ['the token prices', { inputTokenPricePer1k: 0.003, outputTokenPricePer1k: 0.015 }],
    ['predictionClasses', { predictionClasses: ['positive', 'negative'] }],
  ] as [string, Partial<LambdaModelCanaryProps>][])('%s', (_name, props) => {
    const message = expectProblem(props, 'model-signal thresholds are set but modelSignals is not', SET_MODEL_SIGNALS, 'cdk-model-canary/runtime');
    expect(problemCount(message)).toBe(1);
  });

  test('modelSignals: false is as off as leaving it out', () => {
    expectProblem({ modelSignals: false, maxTokensPerRequestRatio: 2 }, SET_MODEL_SIGNALS);
  });
});

describe('fails when the cost guard is half configured', () => {
  test.each([
    ['only the input price', { inputTokenPricePer1k: 0.003 }],
    ['only the output price', { outputTokenPricePer1k: 0.015 }],
  ] as [string, Partial<LambdaModelCanaryProps>][])('%s', (_name, props) => {
    const message = expectProblem({ modelSignals: true, ...props }, BOTH_PRICES);
    expect(problemCount(message)).toBe(1);
  });

  test('maxCostPerRequest without prices', () => {
    const message = expectProblem({ modelSignals: true, maxCostPerRequest: 0.02 }, 'maxCostPerRequest needs inputTokenPricePer1k and outputTokenPricePer1k to compute a cost');
    expect(problemCount(message)).toBe(1);
  });

  test('maxCostPerRequest with the output price only: both problems are reported', () => {
    const message = expectProblem({ modelSignals: true, maxCostPerRequest: 0.02, outputTokenPricePer1k: 0.015 }, BOTH_PRICES, 'maxCostPerRequest needs');
    expect(problemCount(message)).toBe(2);
  });
});

describe('fails when predictionClasses cannot describe a distribution', () => {
  test.each([
    ['no class', []],
    ['one class', ['positive']],
    ['a duplicate', ['positive', 'negative', 'positive']],
  ])('%s', (_name, classes) => {
    expectProblem(
      { modelSignals: true, predictionClasses: classes },
      `predictionClasses is ${JSON.stringify(classes)}`,
      'give at least two distinct class names, as the model code records them',
    );
  });
});

describe('fails when the Bedrock guardrail guard is partly configured', () => {
  test.each([
    ['only the ARN', { bedrockGuardrailArn: GUARDRAIL_ARN }],
    ['only the canary version', { canaryGuardrailVersion: '3' }],
    ['only the stable version', { stableGuardrailVersion: '2' }],
    ['no ARN', { canaryGuardrailVersion: '3', stableGuardrailVersion: '2' }],
    ['no stable version', { bedrockGuardrailArn: GUARDRAIL_ARN, canaryGuardrailVersion: '3' }],
    ['no canary version', { bedrockGuardrailArn: GUARDRAIL_ARN, stableGuardrailVersion: '2' }],
  ] as [string, Partial<LambdaModelCanaryProps>][])('%s', (_name, props) => {
    expectProblem({ modelSignals: true, ...props }, BEDROCK_TOGETHER);
  });
});

describe('fails when a signal threshold is out of range', () => {
  const signals = { modelSignals: true, inputTokenPricePer1k: 0.003, outputTokenPricePer1k: 0.015 };

  test.each([
    ['maxTokensPerRequestRatio', 0.9, 'give a multiple of the stable version\'s tokens per request, at least 1 (1.5 = 150 %)'],
    ['maxTokensPerRequestRatio', 1001, 'give a multiple of the stable version\'s tokens per request'],
    ['maxTokensPerRequestRatio', Number.NaN, 'give a multiple of the stable version\'s tokens per request'],
    ['maxGuardrailBlocksPerMinute', -1, 'give a number of blocked requests per minute, 0 or more'],
    ['maxGuardrailBlockRateIncrease', -0.5, 'give percentage points from 0 to 100'],
    ['maxGuardrailBlockRateIncrease', 101, 'give percentage points from 0 to 100'],
    ['maxSchemaFailurePercent', -1, 'give a percentage from 0 to 100'],
    ['maxSchemaFailurePercent', 100.5, 'give a percentage from 0 to 100'],
    ['maxResponseLengthShiftPercent', 0, 'give a percentage change of the median length, at least 1'],
    ['inputTokenPricePer1k', -0.001, 'give a price of 0 or more'],
    ['outputTokenPricePer1k', -0.001, 'give a price of 0 or more'],
    ['maxCostPerRequest', -1, 'give a cost of 0 or more'],
    ['maxCostPerRequestRatio', 0.5, 'give a multiple of the stable version\'s cost, at least 1'],
    ['maxPredictionShift', 0, 'give a population stability index above 0 (0.1 is a moderate shift)'],
    ['maxPredictionShift', -0.1, 'give a population stability index above 0'],
    ['maxPredictionShift', 11, 'give a population stability index above 0'],
    ['minPredictionsForShift', 0, 'give a whole number of predictions, at least 1'],
  ] as [keyof LambdaModelCanaryProps, number, string][])('%s %d', (prop, value, hint) => {
    const message = expectProblem({ ...signals, predictionClasses: ['positive', 'negative'], [prop]: value }, `${prop} is ${value}: ${hint}`);
    expect(problemCount(message)).toBe(1);
  });

  test.each([
    ['0 minutes', Duration.minutes(0), 0],
    ['more than a day', Duration.minutes(1441), 1441],
  ])('tokensWindow of %s', (_name, tokensWindow, minutes) => {
    expectProblem({ modelSignals: true, tokensWindow }, `tokensWindow (minutes) is ${minutes}: give whole minutes from 1 to 1440`);
  });
});

describe('several signal problems are reported together', () => {
  test('one message lists every problem', () => {
    const message = expectProblem(
      { maxTokensPerRequestRatio: 0.5, inputTokenPricePer1k: 0.003, predictionClasses: ['only'], bedrockGuardrailArn: GUARDRAIL_ARN },
      'maxTokensPerRequestRatio is 0.5',
      SET_MODEL_SIGNALS,
      BOTH_PRICES,
      'predictionClasses is ["only"]',
      BEDROCK_TOGETHER,
    );
    expect(problemCount(message)).toBe(5);
  });
});

describe('SageMakerModelCanary checks the same signal props', () => {
  test('fails before building anything, naming its own construct', () => {
    const stack = newStack();
    const role = new iam.Role(stack, 'ModelRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    const model = new sagemaker.CfnModel(stack, 'Model', {
      executionRoleArn: role.roleArn,
      primaryContainer: { image: '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-cpu-py311-ubuntu20.04-sagemaker' },
    });
    expect(
      () => new SageMakerModelCanary(stack, 'Canary', { model, instanceType: 'ml.m5.large', predictionClasses: ['short', 'short'] }),
    ).toThrow(/^SageMakerModelCanary: [\s\S]*set modelSignals: true[\s\S]*give at least two distinct class names/);
    expect(stack.node.tryFindChild('Canary')?.node.tryFindChild('Rollout')).toBeUndefined();
  });
});
