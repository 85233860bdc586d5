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

/** The problems of one message, without the "<Construct>: " prefix. */
const problemsOf = (message: string) => {
  const body = message.replace(/^\w+: /, '');
  return body.startsWith('\n- ') ? body.slice(3).split('\n- ') : [body];
};

const SET_WITHOUT_SIGNALS = /^(.+) (is|are) set but modelSignals is not: /;

/** The props the "set but modelSignals is not" problem names, sorted (fails when there is no such problem). */
function namedWithoutSignals(message: string): string[] {
  const matches = problemsOf(message)
    .map((p) => SET_WITHOUT_SIGNALS.exec(p))
    .filter((m): m is RegExpExecArray => m !== null);
  expect(matches).toHaveLength(1);
  const [, list, verb] = matches[0];
  const names = list.split(', ');
  expect(verb).toBe(names.length === 1 ? 'is' : 'are');
  return [...names].sort();
}

const SET_MODEL_SIGNALS = 'set modelSignals: true';
const BOTH_PRICES = 'give both inputTokenPricePer1k and outputTokenPricePer1k for the cost guards, or neither';
const BEDROCK_TOGETHER = 'the Bedrock guardrail guard needs bedrockGuardrailArn, canaryGuardrailVersion and stableGuardrailVersion together';
const COST_NEEDS_PRICES = 'maxCostPerRequest and maxCostPerRequestRatio need inputTokenPricePer1k and outputTokenPricePer1k to compute a cost';
const SHIFT_NEEDS_CLASSES = 'maxPredictionShift and minPredictionsForShift need predictionClasses (the class names the model records)';
const CLASSES_HINT = 'give 2 to 100 distinct class names of 1-255 characters without surrounding spaces, as the model code records them';

/** n distinct class names. */
const classNames = (n: number) => Array.from({ length: n }, (_, i) => `class-${i}`);

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
        minRequestsPerStep: 200,
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
    [
      'upper boundaries',
      {
        modelSignals: true,
        tokensWindow: Duration.days(1),
        maxTokensPerRequestRatio: 1000,
        maxGuardrailBlockRateIncrease: 100,
        maxSchemaFailurePercent: 100,
        maxResponseLengthShiftPercent: 1e6,
        inputTokenPricePer1k: 1e6,
        outputTokenPricePer1k: 1e6,
        maxCostPerRequest: 1e6,
        maxCostPerRequestRatio: 1000,
        predictionClasses: ['a', 'b'],
        maxPredictionShift: 10,
        minPredictionsForShift: 1e9,
        minRequestsPerStep: 1e9,
      },
    ],
    ['100 prediction classes', { modelSignals: true, predictionClasses: classNames(100) }],
    ['minPredictionsForShift equal to minRequestsPerStep', { modelSignals: true, predictionClasses: ['a', 'b'], minPredictionsForShift: 50, minRequestsPerStep: 50 }],
    ['minPredictionsForShift below minRequestsPerStep', { modelSignals: true, predictionClasses: ['a', 'b'], minPredictionsForShift: 20, minRequestsPerStep: 50 }],
    ['the default minPredictionsForShift (100) with the default minRequestsPerStep (100)', { modelSignals: true, predictionClasses: ['a', 'b'] }],
    ['a low minRequestsPerStep without predictionClasses (no prediction-shift guard)', { modelSignals: true, minRequestsPerStep: 10 }],
    ['class names of 1 and 255 characters, and inner spaces', { modelSignals: true, predictionClasses: ['x', 'y'.repeat(255), 'very positive'] }],
    ['tokensWindow of whole minutes given in seconds', { modelSignals: true, tokensWindow: Duration.seconds(120) }],
    ['a Bedrock guardrail without modelSignals (its metrics come from Bedrock)', { bedrockGuardrailArn: GUARDRAIL_ARN, canaryGuardrailVersion: '2', stableGuardrailVersion: '1' }],
    [
      'maxGuardrailBlockRateIncrease for the Bedrock guard without modelSignals',
      { bedrockGuardrailArn: GUARDRAIL_ARN, canaryGuardrailVersion: '2', stableGuardrailVersion: '1', maxGuardrailBlockRateIncrease: 3 },
    ],
  ] as [string, Partial<LambdaModelCanaryProps>][])('%s', (_name, props) => {
    expect(errorOf(props)).toBeUndefined();
  });
});

describe('fails when signal props are set without modelSignals, naming every one of them', () => {
  test.each([
    ['maxTokensPerRequestRatio', { maxTokensPerRequestRatio: 2 }, ['maxTokensPerRequestRatio']],
    ['tokensWindow', { tokensWindow: Duration.minutes(15) }, ['tokensWindow']],
    ['maxGuardrailBlocksPerMinute', { maxGuardrailBlocksPerMinute: 3 }, ['maxGuardrailBlocksPerMinute']],
    ['maxGuardrailBlocksPerMinute 0', { maxGuardrailBlocksPerMinute: 0 }, ['maxGuardrailBlocksPerMinute']],
    ['maxGuardrailBlockRateIncrease without a Bedrock guardrail', { maxGuardrailBlockRateIncrease: 2 }, ['maxGuardrailBlockRateIncrease']],
    ['maxSchemaFailurePercent', { maxSchemaFailurePercent: 2 }, ['maxSchemaFailurePercent']],
    ['maxResponseLengthShiftPercent', { maxResponseLengthShiftPercent: 30 }, ['maxResponseLengthShiftPercent']],
    ['the token prices', { inputTokenPricePer1k: 0.003, outputTokenPricePer1k: 0.015 }, ['inputTokenPricePer1k', 'outputTokenPricePer1k']],
    [
      'maxCostPerRequestRatio with the prices',
      { inputTokenPricePer1k: 0.003, outputTokenPricePer1k: 0.015, maxCostPerRequestRatio: 2 },
      ['inputTokenPricePer1k', 'outputTokenPricePer1k', 'maxCostPerRequestRatio'],
    ],
    [
      'maxCostPerRequest with the prices',
      { inputTokenPricePer1k: 0.003, outputTokenPricePer1k: 0.015, maxCostPerRequest: 0.02 },
      ['inputTokenPricePer1k', 'outputTokenPricePer1k', 'maxCostPerRequest'],
    ],
    ['predictionClasses', { predictionClasses: ['positive', 'negative'] }, ['predictionClasses']],
    [
      'maxPredictionShift and minPredictionsForShift with the classes',
      { predictionClasses: ['positive', 'negative'], maxPredictionShift: 0.2, minPredictionsForShift: 50 },
      ['predictionClasses', 'maxPredictionShift', 'minPredictionsForShift'],
    ],
    ['signalsNamespace', { signalsNamespace: 'Acme/Models' }, ['signalsNamespace']],
  ] as [string, Partial<LambdaModelCanaryProps>, string[]][])('%s', (_name, props, names) => {
    const message = expectProblem(props, SET_MODEL_SIGNALS, 'cdk-model-canary/runtime');
    expect(namedWithoutSignals(message)).toEqual([...names].sort());
    expect(problemCount(message)).toBe(1);
  });

  test('one prop is named with "is", several with "are"', () => {
    expectProblem({ maxSchemaFailurePercent: 2 }, 'maxSchemaFailurePercent is set but modelSignals is not: set modelSignals: true');
    expectProblem({ maxSchemaFailurePercent: 2, maxResponseLengthShiftPercent: 30 }, /maxSchemaFailurePercent, maxResponseLengthShiftPercent are set but modelSignals is not: set modelSignals: true/);
  });

  test('every signal prop set at once is named in the one problem', () => {
    const props = {
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
      minPredictionsForShift: 100,
    };
    const message = expectProblem(props, SET_MODEL_SIGNALS);
    expect(namedWithoutSignals(message)).toEqual(Object.keys(props).sort());
    expect(problemCount(message)).toBe(1);
  });

  test('maxGuardrailBlockRateIncrease is not named when it configures a complete Bedrock guard, but the runtime signals still are', () => {
    const message = expectProblem(
      { bedrockGuardrailArn: GUARDRAIL_ARN, canaryGuardrailVersion: '2', stableGuardrailVersion: '1', maxGuardrailBlockRateIncrease: 3, maxSchemaFailurePercent: 2 },
      SET_MODEL_SIGNALS,
    );
    expect(namedWithoutSignals(message)).toEqual(['maxSchemaFailurePercent']);
  });

  test('modelSignals: false is as off as leaving it out', () => {
    const message = expectProblem({ modelSignals: false, maxTokensPerRequestRatio: 2 }, SET_MODEL_SIGNALS);
    expect(namedWithoutSignals(message)).toEqual(['maxTokensPerRequestRatio']);
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
    const message = expectProblem({ modelSignals: true, maxCostPerRequest: 0.02 }, COST_NEEDS_PRICES);
    expect(problemCount(message)).toBe(1);
  });

  test('maxCostPerRequestRatio without prices (no cost ratio can be computed)', () => {
    const message = expectProblem({ modelSignals: true, maxCostPerRequestRatio: 1.5 }, COST_NEEDS_PRICES);
    expect(problemCount(message)).toBe(1);
  });

  test('both cost thresholds without prices: one problem', () => {
    const message = expectProblem({ modelSignals: true, maxCostPerRequest: 0.02, maxCostPerRequestRatio: 1.5 }, COST_NEEDS_PRICES);
    expect(problemCount(message)).toBe(1);
  });

  test('maxCostPerRequest with the output price only: both problems are reported', () => {
    const message = expectProblem({ modelSignals: true, maxCostPerRequest: 0.02, outputTokenPricePer1k: 0.015 }, BOTH_PRICES, COST_NEEDS_PRICES);
    expect(problemCount(message)).toBe(2);
  });

  test('maxCostPerRequestRatio with the input price only: the missing price is reported', () => {
    const message = expectProblem({ modelSignals: true, maxCostPerRequestRatio: 1.5, inputTokenPricePer1k: 0.003 }, BOTH_PRICES);
    expect(problemCount(message)).toBe(1);
  });
});

describe('fails when the prediction-shift thresholds are set without predictionClasses', () => {
  test.each([
    ['maxPredictionShift', { maxPredictionShift: 0.2 }],
    ['minPredictionsForShift', { minPredictionsForShift: 50 }],
    ['both', { maxPredictionShift: 0.2, minPredictionsForShift: 50 }],
  ] as [string, Partial<LambdaModelCanaryProps>][])('%s', (_name, props) => {
    const message = expectProblem({ modelSignals: true, ...props }, SHIFT_NEEDS_CLASSES);
    expect(problemCount(message)).toBe(1);
  });
});

describe('fails when the prediction shift needs more predictions than a step needs requests', () => {
  const above = (predictions: number, requests: number) =>
    `minPredictionsForShift (${predictions}) is above minRequestsPerStep (${requests}): a step could pass before the prediction shift is judged; lower it or raise minRequestsPerStep`;

  test.each([
    ['above the default minRequestsPerStep (100)', { minPredictionsForShift: 101 }, above(101, 100)],
    ['above a given minRequestsPerStep', { minPredictionsForShift: 60, minRequestsPerStep: 50 }, above(60, 50)],
    ['the default minPredictionsForShift (100) above a lower minRequestsPerStep', { minRequestsPerStep: 50 }, above(100, 50)],
  ] as [string, Partial<LambdaModelCanaryProps>, string][])('%s', (_name, props, expected) => {
    const message = expectProblem({ modelSignals: true, predictionClasses: ['positive', 'negative'], ...props }, expected);
    expect(problemCount(message)).toBe(1);
  });

  test('without predictionClasses only the missing classes are reported', () => {
    const message = expectProblem({ modelSignals: true, minPredictionsForShift: 500 }, SHIFT_NEEDS_CLASSES);
    expect(message).not.toContain('is above minRequestsPerStep');
    expect(problemCount(message)).toBe(1);
  });

  test('SageMakerModelCanary checks it too', () => {
    const stack = newStack();
    const role = new iam.Role(stack, 'ModelRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    const model = new sagemaker.CfnModel(stack, 'Model', {
      executionRoleArn: role.roleArn,
      primaryContainer: { image: '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-cpu-py311-ubuntu20.04-sagemaker' },
    });
    expect(
      () =>
        new SageMakerModelCanary(stack, 'Canary', {
          model,
          instanceType: 'ml.m5.large',
          modelSignals: true,
          predictionClasses: ['short', 'long'],
          minPredictionsForShift: 300,
        }),
    ).toThrow(`SageMakerModelCanary: ${above(300, 100)}`);
  });
});

describe('fails when predictionClasses cannot describe a distribution', () => {
  test.each([
    ['no class', []],
    ['one class', ['positive']],
    ['a duplicate', ['positive', 'negative', 'positive']],
    ['an empty name', ['positive', '']],
    ['a leading space', ['positive', ' negative']],
    ['a trailing space', ['positive ', 'negative']],
    ['a trailing newline', ['positive', 'negative\n']],
    ['a name of 256 characters', ['positive', 'n'.repeat(256)]],
  ])('%s', (_name, classes) => {
    const message = expectProblem({ modelSignals: true, predictionClasses: classes }, `predictionClasses is ${JSON.stringify(classes)}: ${CLASSES_HINT}`);
    expect(problemCount(message)).toBe(1);
  });

  test('more than 100 classes: the message shows the first ten and says there are more', () => {
    const classes = classNames(101);
    const message = expectProblem({ modelSignals: true, predictionClasses: classes }, `predictionClasses is ${JSON.stringify(classes.slice(0, 10))}…: ${CLASSES_HINT}`);
    expect(message).not.toContain('class-10"');
    expect(problemCount(message)).toBe(1);
  });
});

describe('fails when the prediction-shift or token window thresholds are not whole', () => {
  test('minPredictionsForShift of 150.5', () => {
    const message = expectProblem(
      { modelSignals: true, predictionClasses: ['a', 'b'], minPredictionsForShift: 150.5, minRequestsPerStep: 200 },
      'minPredictionsForShift is 150.5: give a whole number',
    );
    expect(problemCount(message)).toBe(1);
  });

  test('minPredictionsForShift of 0.5: below 1 and not whole', () => {
    const message = expectProblem({ modelSignals: true, predictionClasses: ['a', 'b'], minPredictionsForShift: 0.5 });
    expect(problemsOf(message)).toEqual([
      'minPredictionsForShift is 0.5: give a whole number of predictions, at least 1',
      'minPredictionsForShift is 0.5: give a whole number',
    ]);
  });

  test('tokensWindow of 90 seconds', () => {
    const message = expectProblem({ modelSignals: true, tokensWindow: Duration.seconds(90) }, 'tokensWindow is 90s: give whole minutes (metrics come in 1-minute periods)');
    expect(problemCount(message)).toBe(1);
  });

  test('tokensWindow of 30 seconds: under a minute and not whole', () => {
    const message = expectProblem({ modelSignals: true, tokensWindow: Duration.seconds(30) });
    expect(problemsOf(message)).toEqual([
      'tokensWindow (minutes) is 0.5: give whole minutes from 1 to 1440',
      'tokensWindow is 30s: give whole minutes (metrics come in 1-minute periods)',
    ]);
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

describe('fails when the Bedrock guard would compare a guardrail version with itself', () => {
  const SAME = 'the Bedrock guard compares two different guardrail versions (leave these props out when both versions call the same one)';

  test.each([
    ['with modelSignals', { modelSignals: true }],
    ['without modelSignals', {}],
  ] as [string, Partial<LambdaModelCanaryProps>][])('%s', (_name, props) => {
    const message = expectProblem(
      { ...props, bedrockGuardrailArn: GUARDRAIL_ARN, canaryGuardrailVersion: '2', stableGuardrailVersion: '2' },
      `canaryGuardrailVersion and stableGuardrailVersion are both 2: ${SAME}`,
    );
    expect(problemCount(message)).toBe(1);
  });

  test('DRAFT against DRAFT', () => {
    expectProblem({ bedrockGuardrailArn: GUARDRAIL_ARN, canaryGuardrailVersion: 'DRAFT', stableGuardrailVersion: 'DRAFT' }, 'are both DRAFT');
  });

  test('DRAFT against a numbered version is accepted', () => {
    expect(errorOf({ bedrockGuardrailArn: GUARDRAIL_ARN, canaryGuardrailVersion: 'DRAFT', stableGuardrailVersion: '1' })).toBeUndefined();
  });
});

describe('fails when a signal threshold is out of range', () => {
  const signals = { modelSignals: true, inputTokenPricePer1k: 0.003, outputTokenPricePer1k: 0.015 };

  test.each([
    ['maxTokensPerRequestRatio', 0.9, 'give a multiple of the stable version\'s tokens per request from 1 to 1000 (1.5 = 150 %)'],
    ['maxTokensPerRequestRatio', 1001, 'give a multiple of the stable version\'s tokens per request from 1 to 1000'],
    ['maxTokensPerRequestRatio', Number.NaN, 'give a multiple of the stable version\'s tokens per request from 1 to 1000'],
    ['maxTokensPerRequestRatio', Number.POSITIVE_INFINITY, 'give a multiple of the stable version\'s tokens per request from 1 to 1000'],
    ['maxGuardrailBlocksPerMinute', 1e9 + 1, 'give a number of blocked requests per minute, 0 or more'],
    ['maxGuardrailBlocksPerMinute', -1, 'give a number of blocked requests per minute, 0 or more'],
    ['maxGuardrailBlockRateIncrease', -0.5, 'give percentage points from 0 to 100'],
    ['maxGuardrailBlockRateIncrease', 101, 'give percentage points from 0 to 100'],
    ['maxSchemaFailurePercent', -1, 'give a percentage from 0 to 100'],
    ['maxSchemaFailurePercent', 100.5, 'give a percentage from 0 to 100'],
    ['maxResponseLengthShiftPercent', 0, 'give a percentage change of the median length from 1 to 1,000,000'],
    ['maxResponseLengthShiftPercent', 1e6 + 1, 'give a percentage change of the median length from 1 to 1,000,000'],
    ['inputTokenPricePer1k', -0.001, 'give a price of 0 or more'],
    ['outputTokenPricePer1k', -0.001, 'give a price of 0 or more'],
    ['maxCostPerRequest', -1, 'give a cost of 0 or more'],
    ['maxCostPerRequestRatio', 0.5, 'give a multiple of the stable version\'s cost from 1 to 1000'],
    ['maxCostPerRequestRatio', 1001, 'give a multiple of the stable version\'s cost from 1 to 1000'],
    ['maxPredictionShift', 0, 'give a population stability index from 0.001 to 10 (0.1 is a moderate shift)'],
    ['maxPredictionShift', -0.1, 'give a population stability index from 0.001 to 10'],
    ['maxPredictionShift', 11, 'give a population stability index from 0.001 to 10'],
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
    expect(namedWithoutSignals(message)).toEqual(['inputTokenPricePer1k', 'maxTokensPerRequestRatio', 'predictionClasses']);
  });

  test('the new checks join the others in one message', () => {
    const message = expectProblem(
      {
        modelSignals: true,
        tokensWindow: Duration.seconds(150),
        maxCostPerRequestRatio: 2,
        minPredictionsForShift: 10.5,
        bedrockGuardrailArn: GUARDRAIL_ARN,
        canaryGuardrailVersion: '1',
        stableGuardrailVersion: '1',
      },
      'tokensWindow is 150s',
      COST_NEEDS_PRICES,
      SHIFT_NEEDS_CLASSES,
      'minPredictionsForShift is 10.5: give a whole number',
      'are both 1',
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
    ).toThrow(/^SageMakerModelCanary: [\s\S]*predictionClasses is set but modelSignals is not: set modelSignals: true[\s\S]*give 2 to 100 distinct class names/);
    expect(stack.node.tryFindChild('Canary')?.node.tryFindChild('Rollout')).toBeUndefined();
  });
});
