import { CfnParameter, CfnResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Guard, LambdaModelCanary, type LambdaModelCanaryProps, RolloutSchedule } from '../../lib';
import { STEP_NAMES } from '../../lambda/shared/steps';
import { definitionOf, modelFunction, newStack, onlyResourceOfType, type TemplateJson, workflowMachines } from './support';
import { grantsOfRole, roleOfFunction, synthCanary } from './support';

/** Builds a canary with these props on a fresh stack and returns what it threw (or undefined). */
function errorOf(props: Partial<LambdaModelCanaryProps>, fnProps = {}): Error | undefined {
  const stack = newStack();
  const fn = modelFunction(stack, 'Model', fnProps);
  try {
    new LambdaModelCanary(stack, 'Canary', { modelFunction: fn, ...props });
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

/** Every message must name the construct and the prop, show the bad value and say what to give instead. */
function expectProblem(props: Partial<LambdaModelCanaryProps>, ...expected: (string | RegExp)[]): void {
  const error = errorOf(props);
  expect(error).toBeInstanceOf(Error);
  expect(error!.message).toMatch(/^LambdaModelCanary at CanaryTestStack\/Canary: /);
  for (const e of expected) expect(error!.message).toMatch(e instanceof RegExp ? e : new RegExp(escape(e)));
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const step = (percent: number, bake: Duration) => ({ percent, bake });
const m = Duration.minutes;

describe('valid props are accepted', () => {
  test.each([
    ['the defaults', {}],
    ['a canary preset (last step 100 % with no bake)', { schedule: RolloutSchedule.CANARY_10PERCENT_5MINUTES }],
    ['boundary thresholds', { guards: [Guard.errorRate({ maxPercent: 0 }), Guard.latencyP95({ max: Duration.millis(1) }), Guard.errorRateVsStable({ maxRatio: 1, maxIncreasePoints: 100 })] }],
    ['boundary windows', { guards: [Guard.errorRate({ window: m(1) })], checkInterval: Duration.seconds(10), minRequestsPerStep: 1 }],
    ['an email with a plus and subdomain', { alertEmails: ['ml+canary@alerts.example.co.uk'] }],
    ['an alias with dashes and underscores', { aliasName: 'prod_v2-live' }],
  ] as [string, Partial<LambdaModelCanaryProps>][])('%s', (_name, props) => {
    expect(errorOf(props)).toBeUndefined();
  });
});

describe('fails when the schedule is impossible', () => {
  test('steps are not strictly increasing', () => {
    expectProblem({ schedule: RolloutSchedule.fromPercentages([5, 25, 25, 100], m(10)) }, 'schedule step 3 (25%) does not raise the share of step 2 (25%)', 'make the steps strictly increasing');
    expectProblem({ schedule: RolloutSchedule.fromPercentages([50, 10, 100], m(10)) }, 'schedule step 2 (10%)', 'strictly increasing');
  });

  test.each([0, -5, 150])('a step sends %d %% to the canary', (percent) => {
    const schedule = percent > 100 ? RolloutSchedule.fromPercentages([50, percent], m(10)) : RolloutSchedule.fromPercentages([percent, 100], m(10));
    expectProblem({ schedule }, `sends ${percent}% to the canary`, 'use a share more than 0 and at most 100');
  });

  test('there are no steps', () => {
    expectProblem({ schedule: RolloutSchedule.custom([]) }, 'schedule has no steps', 'give at least one');
  });

  test('a step bakes less than the 1-minute metric period', () => {
    expectProblem({ schedule: RolloutSchedule.fromPercentages([10, 100], Duration.seconds(30)) }, 'schedule step 1 bakes 30s', 'bake at least 1 minute');
  });

  test('a zero bake is only allowed on a last step at 100 %', () => {
    expectProblem({ schedule: RolloutSchedule.custom([step(10, Duration.seconds(0)), step(100, Duration.seconds(0))]) }, 'schedule step 1 bakes 0s', 'only a last step at 100% may bake 0');
    expectProblem({ schedule: RolloutSchedule.custom([step(10, m(5)), step(50, Duration.seconds(0))]) }, 'schedule step 2 bakes 0s');
    expectProblem({ schedule: RolloutSchedule.custom([step(10, m(5)), step(100, Duration.seconds(59))]) }, 'schedule step 2 bakes 59s');
  });
});

describe('fails when the false-rollback budget is impossible', () => {
  test.each([0, 0.5, -0.1, Number.NaN])('falseRollbackRate %d', (v) => {
    expectProblem({ falseRollbackRate: v }, `falseRollbackRate is ${v}`, 'give a probability above 0 and below 0.5');
  });

  test('the limits just inside are accepted', () => {
    expect(errorOf({ falseRollbackRate: 0.0001 })).toBeUndefined();
    expect(errorOf({ falseRollbackRate: 0.49 })).toBeUndefined();
  });
});

describe('fails when traffic rules are impossible', () => {
  test('minRequestsPerStep 0', () => {
    expectProblem({ minRequestsPerStep: 0 }, 'minRequestsPerStep is 0', 'at least 1');
  });

  test('minRequestsPerStep 1.5', () => {
    expectProblem({ minRequestsPerStep: 1.5 }, 'minRequestsPerStep is 1.5', 'give a whole number');
  });

  test('checkInterval 5 s', () => {
    expectProblem({ checkInterval: Duration.seconds(5) }, 'checkInterval (s) is 5', 'give 10 seconds to 1 hour');
  });

  test('checkInterval of 2 hours', () => {
    expectProblem({ checkInterval: Duration.hours(2) }, 'checkInterval (s) is 7200', 'give 10 seconds to 1 hour');
  });

  test('maxHold longer than a week', () => {
    expectProblem({ maxHold: Duration.days(8) }, 'maxHold (s) is 691200', 'give at most 7 days');
  });

  test('a pre-traffic check sent 0 times', () => {
    expectProblem({ preTrafficChecks: [{ payload: '{}' }, { payload: '{}', repeat: 0 }] }, 'preTrafficChecks[1].repeat is 0', 'send each request 1 to 100 times');
  });
});

describe('fails on invalid names and addresses', () => {
  test.each(['not-an-email', 'a@b', 'two words@example.com', ''])('alertEmails with %j', (email) => {
    expectProblem({ alertEmails: ['ok@example.com', email] }, `alertEmails has ${JSON.stringify(email)}, which is not an email address`, 'give addresses like');
  });

  test.each(['123', 'has space', '', 'a'.repeat(129), 'live:1'])('aliasName %j', (aliasName) => {
    expectProblem({ aliasName }, `aliasName "${aliasName}" is not a valid alias name`, 'use 1-128 letters, digits, - or _, not only digits');
  });

  test('the model function deletes replaced versions (currentVersionOptions removalPolicy DESTROY)', () => {
    const error = errorOf({}, { currentVersionOptions: { removalPolicy: RemovalPolicy.DESTROY } });
    expect(error?.message).toMatch(/^LambdaModelCanary at CanaryTestStack\/Canary: modelFunction has currentVersionOptions.removalPolicy DESTROY/);
    expect(error?.message).toContain('remove that option');
  });
});

describe('several problems are reported together', () => {
  test('one message lists every problem, one per line', () => {
    const error = errorOf({ falseRollbackRate: -1, minRequestsPerStep: 0, alertEmails: ['nope'] });
    const lines = error!.message.split('\n');
    expect(lines[0]).toBe('LambdaModelCanary at CanaryTestStack/Canary: ');
    expect(lines).toHaveLength(4);
    expect(lines.slice(1)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^- minRequestsPerStep is 0: /),
        expect.stringMatching(/^- falseRollbackRate is -1: /),
        expect.stringMatching(/^- alertEmails has "nope"/),
      ]),
    );
  });
});

describe('a failed construction leaves nothing behind that would deploy', () => {
  test.each([
    ['a LambdaModelCanary prop', { aliasName: 'has space' }],
    ['a rollout prop', { falseRollbackRate: 1 }],
    ['a canaryName too long', { canaryName: 'c'.repeat(88) }],
    ['a guard window longer than the whole schedule', { schedule: RolloutSchedule.fromPercentages([100], Duration.minutes(3)), guards: [Guard.errorRate({ window: Duration.minutes(10) })] }],
    ['a schedule', { schedule: RolloutSchedule.custom([]) }],
  ] as [string, Partial<LambdaModelCanaryProps>][])('invalid %s: the constructor throws before creating any resource', (_name, props) => {
    const stack = newStack();
    const fn = modelFunction(stack);
    expect(() => new LambdaModelCanary(stack, 'Canary', { modelFunction: fn, ...props })).toThrow(/^LambdaModelCanary at CanaryTestStack\/Canary: /);

    // The construct got as far as attaching itself to the tree, but holds no CloudFormation resource.
    const leftover = stack.node.tryFindChild('Canary');
    expect(leftover?.node.findAll().filter(CfnResource.isCfnResource) ?? []).toEqual([]);

    // The stack still synthesizes, with the model function and nothing of the canary.
    const template = Template.fromStack(stack);
    for (const type of ['Custom::ModelCanaryRelease', 'AWS::CloudWatch::Alarm', 'AWS::StepFunctions::StateMachine', 'AWS::SNS::Topic', 'AWS::Events::Rule']) {
      template.resourceCountIs(type, 0);
    }
    template.resourceCountIs('AWS::Lambda::Function', 1);
  });
});

describe('the execution history bound (25,000 events, Step Functions quotas)', () => {
  test('a day-long bake checked every 10 s could overflow the history: error with what to change', () => {
    expectProblem(
      { schedule: RolloutSchedule.fromPercentages([50, 100], Duration.hours(24)), checkInterval: Duration.seconds(10) },
      /could write \d+ execution history events \(2 steps, maxHold 21600s, checkInterval 10s\)/,
      'lower maxHold (a held step checks every 5 minutes at most), bake for less, use fewer steps, shorten postPromotionWatch or raise checkInterval',
    );
  });

  test('the same schedule checked every 2 minutes fits', () => {
    expect(errorOf({ schedule: RolloutSchedule.fromPercentages([50, 100], Duration.hours(24)), checkInterval: Duration.minutes(2) })).toBeUndefined();
  });

  test('a 7-day maxHold on one step fits (the hold backs off to 5-minute checks), on four steps it does not', () => {
    expect(errorOf({ schedule: RolloutSchedule.fromPercentages([100], m(10)), maxHold: Duration.days(7) })).toBeUndefined();
    expectProblem({ maxHold: Duration.days(7) }, /could write \d+ execution history events \(4 steps, maxHold 604800s, checkInterval 30s\)/);
  });

  test('the state machine times out after the longest the schedule can take', () => {
    const stack = newStack();
    new LambdaModelCanary(stack, 'Canary', { modelFunction: modelFunction(stack), maxHold: Duration.hours(1) });
    const machines = workflowMachines(Template.fromStack(stack).toJSON() as TemplateJson);
    const definition = JSON.stringify(Object.values(machines)[0].Properties.DefinitionString);
    const timeout = Number(/\\"TimeoutSeconds\\":(\d+)/.exec(definition)?.[1]);
    // 4 steps × (10 min bake + 1 h hold + 5 min late hold check + 30 s) + the 10 min post-promotion watch
    // + start, pre-traffic and an hour of slack.
    expect(timeout).toBe(4 * (600 + 3600 + 300 + 30) + 600 + 600 + 3600 + 300 + 3600);
  });
});

describe('props a user plausibly gets wrong', () => {
  const warningsOf = (props: Partial<LambdaModelCanaryProps>) => {
    const stack = newStack();
    new LambdaModelCanary(stack, 'Canary', { modelFunction: modelFunction(stack), ...props });
    return Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));
  };

  test.each([
    ['errorRate', (maxPercent: number) => Guard.errorRate({ maxPercent })],
    ['schemaFailureRate', (maxPercent: number) => Guard.schemaFailureRate({ maxPercent })],
  ] as const)('Guard.%s maxPercent 0.05 (a fraction given as a percentage): a warning with the fix', (name, guard) => {
    const [w] = warningsOf({ guards: [guard(0.05)] }).filter((t) => t.includes('maxPercent'));
    expect(w).toMatch(new RegExp(`Guard.${name}: maxPercent is 0.05, which means 0.05%, not 5%.*give maxPercent: 5`));
    expect(warningsOf({ guards: [guard(5)] }).filter((t) => t.includes('maxPercent'))).toEqual([]);
    expect(warningsOf({ guards: [guard(0)] }).filter((t) => t.includes('maxPercent'))).toEqual([]);
  });

  test('a guard window longer than a step bakes: a warning naming the steps', () => {
    const warnings = warningsOf({ schedule: RolloutSchedule.fromPercentages([10, 50, 100], m(3)), guards: [Guard.errorRate({ window: m(5) }), Guard.latencyP95({ window: m(3) })] });
    const windows = warnings.filter((t) => t.includes('window'));
    expect(windows).toHaveLength(1);
    expect(windows[0]).toMatch(/Guard.errorRate: window \(5 min\) is longer than the bake of steps 1, 2, 3 \(3 min, 3 min, 3 min\).*bake each step at least the window or shorten it/);
    expect(warningsOf({}).filter((t) => t.includes('window'))).toEqual([]);
    // A preset whose last step is an instant 100 %: only the baking step counts.
    expect(warningsOf({ schedule: RolloutSchedule.CANARY_10PERCENT_5MINUTES }).filter((t) => t.includes('window'))).toEqual([]);
  });

  test('a guard window longer than the whole schedule: an error (no guard could fire before promotion)', () => {
    expectProblem({ schedule: RolloutSchedule.fromPercentages([100], m(3)), guards: [Guard.tokensPerRequestRatio()] }, 'Guard.tokensPerRequestRatio: window (10 min) is longer than the whole schedule bakes (3 min)', 'shorten the window or bake longer');
    // The default guards' 5-minute windows count too.
    expectProblem({ schedule: RolloutSchedule.fromPercentages([100], m(3)) }, 'Guard.errorRate: window (5 min)', 'Guard.latencyP95: window (5 min)');
  });

  test('a pre-traffic payload that is not a string (plain JavaScript): an error, not a TypeError', () => {
    expectProblem({ preTrafficChecks: [{ payload: { text: 'hi' } as unknown as string }] }, 'preTrafficChecks[0].payload is object, not a string', 'JSON.stringify(');
  });

  test('a pre-traffic payload that is not JSON: an error with an example', () => {
    expectProblem({ preTrafficChecks: [{ payload: 'great product' }] }, 'preTrafficChecks[0].payload is not JSON ("great product")', 'JSON.stringify(');
    expect(errorOf({ preTrafficChecks: [{ payload: '{"text":"great product"}' }] })).toBeUndefined();
  });

  test('pre-traffic retries out of range', () => {
    expectProblem({ preTrafficChecks: [{ payload: '{}', retries: 11 }] }, 'preTrafficChecks[0].retries is 11');
    expectProblem({ preTrafficChecks: [{ payload: '{}', retries: 1.5 }] }, 'preTrafficChecks[0].retries is 1.5: give a whole number');
  });

  test('a canaryName too long for the names derived from it: the error names canaryName, not displayName', () => {
    const error = errorOf({ canaryName: 'c'.repeat(88) });
    expect(error?.message).toMatch(/^LambdaModelCanary at CanaryTestStack\/Canary: canaryName "c+…" is 88 characters: give canaryName at most 87/);
    expect(error?.message).not.toMatch(/displayName/);
    expect(errorOf({ canaryName: 'c'.repeat(87) })).toBeUndefined();
  });

  // New with the shared controller: the stack's rules find a canary's workflow and alarms by name.
  test('a canaryName from a parameter (a token): an error naming canaryName, before anything is built', () => {
    const stack = newStack();
    const fn = modelFunction(stack);
    const canaryName = new CfnParameter(stack, 'CanaryName', { default: 'summarizer' }).valueAsString;
    expect(() => new LambdaModelCanary(stack, 'Canary', { modelFunction: fn, canaryName })).toThrow(/^LambdaModelCanary at CanaryTestStack\/Canary: canaryName is a token .*give a name known at synth time/);
    // Neither the canary nor the stack's shared controller holds a resource.
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::SNS::Topic', 0);
  });
});

describe('fails when an approval gate is impossible', () => {
  test('a share the schedule does not have', () => {
    expectProblem({ approvalGates: [75] }, 'approvalGates has 75, not a share of the schedule (5, 25, 50, 100 %)');
  });

  test('the first step (no traffic has been judged before it)', () => {
    expectProblem({ approvalGates: [5] }, 'approvalGates has 5, the first step', 'give a later step');
  });

  test('a timeout under a minute', () => {
    expectProblem({ approvalGates: [100], approvalTimeout: Duration.seconds(30) }, 'approvalTimeout is 30 s', 'give 1 minute to 7 days');
  });

  test('a gate on a later step is accepted and its step number reaches the plan', () => {
    const stack = newStack();
    new LambdaModelCanary(stack, 'Canary', { modelFunction: modelFunction(stack, 'Model'), approvalGates: [100] });
    expect(definitionOf(Template.fromStack(stack).toJSON() as TemplateJson).States.Plan.Result).toMatchObject({ approvalSteps: [4], approvalTimeoutSeconds: 86400, onApprovalTimeout: 'ROLL_BACK' });
  });
});

describe('fails when a deploy cannot wait for the verdict', () => {
  test('gates whose timeouts do not fit the hour CloudFormation waits', () => {
    expectProblem({ waitForVerdict: true, approvalGates: [100] }, 'waitForVerdict: the rollout takes', 'more than the 50 min a deploy can wait', 'shorten approvalTimeout');
  });

  test('a schedule longer than the hour', () => {
    expectProblem({ waitForVerdict: true, schedule: RolloutSchedule.fromPercentages([5, 25, 50, 100], Duration.minutes(15)) }, 'the rollout takes 64 min', 'bake for less');
  });

  test('the default schedule fits, and the verdict resource waits for the guard alarms', () => {
    const stack = newStack();
    new LambdaModelCanary(stack, 'Canary', { modelFunction: modelFunction(stack, 'Model'), waitForVerdict: true });
    const json = Template.fromStack(stack).toJSON() as TemplateJson;
    const [verdict] = Object.values(json.Resources).filter((r: any) => r.Type === 'Custom::ModelCanaryVerdict') as any[];
    expect(verdict.Properties.ExecutionArn).toEqual({ 'Fn::GetAtt': [onlyResourceOfType(json, 'Custom::ModelCanaryRelease').id, 'ExecutionArn'] });
    const alarms = Object.entries(json.Resources).filter(([, r]: [string, any]) => r.Type === 'AWS::CloudWatch::Alarm').map(([id]) => id);
    expect(alarms.length).toBeGreaterThan(0);
    for (const id of alarms) expect(verdict.DependsOn).toContain(id);
  });
});

describe('the post-promotion watch (postPromotionWatch)', () => {
  test('30 s is refused, naming the prop and saying what to give', () => {
    expectProblem({ postPromotionWatch: Duration.seconds(30) }, 'postPromotionWatch is 30 s', 'give 1 minute to 24 hours', 'Duration.seconds(0)');
  });

  test('more than 24 hours is refused', () => {
    expectProblem({ postPromotionWatch: Duration.seconds(24 * 3600 + 60) }, 'postPromotionWatch is 86460 s', 'give 1 minute to 24 hours');
  });

  test.each([
    ['0 (no watch)', Duration.seconds(0)],
    ['1 minute', Duration.minutes(1)],
    ['23 hours 59 minutes', Duration.minutes(24 * 60 - 1)],
    ['24 hours', Duration.hours(24)],
  ])('%s is accepted (at the default 30 s checks: the watch backs off like a hold)', (_name, postPromotionWatch) => {
    expect(errorOf({ postPromotionWatch })).toBeUndefined();
  });

  test('a 24-hour watch after a 6-hour step checked every 10 s overflows the execution history: the error names postPromotionWatch', () => {
    const schedule = RolloutSchedule.fromPercentages([100], Duration.hours(6));
    expect(errorOf({ schedule, checkInterval: Duration.seconds(10) })).toBeUndefined();
    expectProblem({ schedule, checkInterval: Duration.seconds(10), postPromotionWatch: Duration.hours(24) }, 'and a 86400s post-promotion watch', 'shorten postPromotionWatch or raise checkInterval');
  });

  // 2 steps × (10 min + 30 s check + 30 s to a minute's edge) = 22 min healthy: fits the 50 min alone, not with a 30-minute watch.
  const short = RolloutSchedule.fromPercentages([50, 100], m(10));

  test('waitForVerdict counts the watch: a schedule that fits 50 min alone does not with a 30-minute watch', () => {
    expect(errorOf({ waitForVerdict: true, schedule: short, postPromotionWatch: Duration.seconds(0) })).toBeUndefined();
    expectProblem(
      { waitForVerdict: true, schedule: short, postPromotionWatch: m(30) },
      'waitForVerdict: the rollout takes 52 min',
      'the 30 min post-promotion watch',
      'shorten postPromotionWatch',
    );
  });

  test('waitForVerdict with a watch that still fits is accepted', () => {
    expect(errorOf({ waitForVerdict: true, schedule: short, postPromotionWatch: m(28) })).toBeUndefined();
  });

  test('without waitForVerdict a long watch is no problem for the deploy', () => {
    expect(errorOf({ schedule: short, postPromotionWatch: Duration.hours(2) })).toBeUndefined();
  });

  const WATCH_STATES = ['WatchAfterPromotion', 'WatchCheck', 'WatchedOrNot'];
  // The watch runs in the stack's steps function (every step does), which the stack always has.
  const watchFunctions = (json: TemplateJson) =>
    STEP_NAMES.includes('watch') ? Object.values(json.Resources).filter((r) => r.Type === 'AWS::Lambda::Function' && /^cdk-model-canary: steps /.test(String(r.Properties?.Description ?? ''))) : [];

  test('Duration.seconds(0): no watch states, promotion ends the rollout (the watch function stays for executions started before)', () => {
    const s = synthCanary({ postPromotionWatch: Duration.seconds(0) });
    const def = definitionOf(s.json);
    for (const name of WATCH_STATES) expect(def.States).not.toHaveProperty(name);
    expect(JSON.stringify(def.States.PromotedOrNot)).not.toContain('Watch');
    // An execution started before the deploy that turned the watch off runs its old definition:
    // its WatchCheck must still find the function (a missing one would revert a healthy promotion).
    expect(watchFunctions(s.json)).toHaveLength(1);
    expect(def.States.Plan.Result.postPromotionWatchSeconds).toBe(0);
    // The fast path (the steps function's on-alarm step) reads no execution input without a watch.
    expect(grantsOfRole(s.json, roleOfFunction(s.json, s.stepsId())).has('states:DescribeExecution')).toBe(false);
  });

  test('the default (10 min): PromotedOrNot goes to the watch, WatchCheck runs the watch function', () => {
    const s = synthCanary();
    const def = definitionOf(s.json);
    for (const name of WATCH_STATES) expect(def.States).toHaveProperty(name);
    expect(def.States.Plan.Result.postPromotionWatchSeconds).toBe(600);
    expect(watchFunctions(s.json)).toHaveLength(1);
    expect(def.States.WatchCheck).toMatchObject({ Type: 'Task', Resource: `\${${s.stepsId()}.Arn}`, Parameters: { step: 'watch' } });
    expect(def.States.PromotedOrNot.Choices).toContainEqual(expect.objectContaining({ Variable: '$.progress.decision', StringEquals: 'watch', Next: 'WatchAfterPromotion' }));
    expect(def.States.WatchAfterPromotion).toEqual({ Type: 'Wait', SecondsPath: '$.progress.waitSeconds', Next: 'WatchCheck' });
    expect(def.States.WatchCheck.Next).toBe('WatchedOrNot');
    expect(def.States.WatchedOrNot.Default).toBe('RollBack');
    expect(def.States.WatchedOrNot.Choices).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ StringEquals: 'watch', Next: 'WatchAfterPromotion' }),
        expect.objectContaining({ StringEquals: 'promote', Next: 'Promoted' }),
      ]),
    );
    // The fast path reads the running execution's input to find the previous version.
    expect(grantsOfRole(s.json, roleOfFunction(s.json, s.stepsId())).has('states:DescribeExecution')).toBe(true);
  });
});

describe('promoting on evidence: the evidence-driven schedule, the gate margin and the control share', () => {
  test('a minimum bake shorter than the metric period, or longer than the bake, is refused', () => {
    expectProblem({ schedule: RolloutSchedule.evidenceDriven([10, 100], Duration.seconds(30), m(5)) }, 'schedule step 1 has minBake 30s', 'at least 60s');
    expectProblem({ schedule: RolloutSchedule.evidenceDriven([10, 100], m(6), m(5)) }, 'schedule step 2 has minBake 360s', 'at most its bake (300s)');
    expect(errorOf({ schedule: RolloutSchedule.EVIDENCE_10_50_100 })).toBeUndefined();
  });

  test('promotionMargin and controlPercent outside their ranges are refused', () => {
    expectProblem({ promotionMargin: 1 }, 'promotionMargin is 1', 'give a multiple of stable');
    expectProblem({ controlPercent: 30 }, 'controlPercent is 30', 'give 0 (no control at 100 %) to 20 percent');
    expect(errorOf({ promotionMargin: 3, controlPercent: 0 })).toBeUndefined();
  });

  test('the plan carries the step minimum bakes, the margin and the control share', () => {
    const stack = newStack();
    new LambdaModelCanary(stack, 'Canary', { modelFunction: modelFunction(stack, 'Model'), schedule: RolloutSchedule.EVIDENCE_10_50_100, promotionMargin: 3, controlPercent: 10 });
    const plan = definitionOf(Template.fromStack(stack).toJSON() as TemplateJson).States.Plan.Result;
    expect(plan.steps).toEqual([10, 50, 100].map((percent) => ({ percent, bakeSeconds: 300, minBakeSeconds: 60 })));
    expect(plan.judge.promotionMargin).toBe(3);
    expect(plan.controlPercent).toBe(10);
  });

  test('without judged guards there is no control share (nothing would use it)', () => {
    const stack = newStack();
    new LambdaModelCanary(stack, 'Canary', { modelFunction: modelFunction(stack, 'Model'), guards: [Guard.errorRate()] });
    expect(definitionOf(Template.fromStack(stack).toJSON() as TemplateJson).States.Plan.Result.controlPercent).toBe(0);
  });
});
