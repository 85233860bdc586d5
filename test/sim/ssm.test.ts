/**
 * The simulated Parameter Store (sim/aws/ssm/ssm.ts), STS GetCallerIdentity, and the Step Functions reads
 * the operator CLI uses (DescribeStateMachine, GetExecutionHistory).
 */
import { DescribeStateMachineCommand, GetExecutionHistoryCommand, type HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import {
  GetParameterCommand,
  GetParameterHistoryCommand,
  GetParametersByPathCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import * as cdk from 'aws-cdk-lib';
import { SimWorld } from '../../sim';
import { MAX_HIERARCHY_LEVELS, MAX_NAME_CHARS, MAX_STANDARD_VALUE_CHARS, parameterArn, SsmSim } from '../../sim/aws/ssm/ssm';
import { ACCOUNT } from '../../sim/aws/core/account';
import { type SynthesizedStack, synthesizeStack } from '../../sim/aws/cloudformation/template';
import { exampleStack, healthyScenario } from '../workflow/helpers';
import { errorName } from './error-name';

describe('SsmSim (unit)', () => {
  let now = 1_000;
  const sim = () => new SsmSim(() => now);

  it('versions each put, records who and when, and refuses an existing name without Overwrite', () => {
    const s = sim();
    expect(s.putParameter({ Name: '/canary/a', Value: 'x', Type: 'String' }, 'start')).toMatchObject({ Version: 1, Tier: 'Standard' });
    expect(errorName(() => s.putParameter({ Name: '/canary/a', Value: 'y', Type: 'String' }))).toBe('ParameterAlreadyExists');
    now = 2_000;
    expect(s.putParameter({ Name: '/canary/a', Value: 'y', Type: 'String', Overwrite: true }, 'promote')).toMatchObject({ Version: 2 });
    const p = s.getParameter({ Name: '/canary/a' }).Parameter!;
    expect(p).toMatchObject({ Name: '/canary/a', Value: 'y', Version: 2, Type: 'String', ARN: parameterArn('/canary/a') });
    expect(p.LastModifiedDate).toEqual(new Date(2_000));
    expect(s.getParameter({ Name: '/canary/a:1' }).Parameter).toMatchObject({ Value: 'x', Version: 1 });
    const history = s.getParameterHistory({ Name: '/canary/a' }).Parameters!;
    expect(history.map((h) => [h.Version, h.Value, h.LastModifiedUser])).toEqual([
      [1, 'x', 'start'],
      [2, 'y', 'promote'],
    ]);
  });

  it('enforces the Standard tier value limit (4096 characters)', () => {
    const s = sim();
    expect(() => s.putParameter({ Name: 'v', Value: 'a'.repeat(MAX_STANDARD_VALUE_CHARS), Type: 'String' })).not.toThrow();
    expect(errorName(() => s.putParameter({ Name: 'w', Value: 'a'.repeat(MAX_STANDARD_VALUE_CHARS + 1), Type: 'String' }))).toBe('ValidationException');
    expect(s.parameters.has('w')).toBe(false);
  });

  it('enforces the name rules: characters, fully qualified hierarchies, reserved prefixes, length', () => {
    const s = sim();
    for (const bad of ['has space', 'semi;colon', 'a/b', '/a//b', '/aws/x', 'ssm-thing', '']) {
      expect([bad, errorName(() => s.putParameter({ Name: bad, Value: 'v', Type: 'String' }))]).toEqual([bad, 'ValidationException']);
    }
    // Length: the ARN prefix counts toward the 1011 characters.
    const prefix = parameterArn('/').length;
    const longest = `/${'n'.repeat(MAX_NAME_CHARS - prefix)}`;
    expect(parameterArn(longest)).toHaveLength(MAX_NAME_CHARS);
    expect(() => s.putParameter({ Name: longest, Value: 'v', Type: 'String' })).not.toThrow();
    expect(errorName(() => s.putParameter({ Name: `${longest}n`, Value: 'v', Type: 'String' }))).toBe('ValidationException');
  });

  it('enforces the 15-level hierarchy limit', () => {
    const s = sim();
    const levels = (n: number) => `/${Array.from({ length: n }, (_, i) => `l${i}`).join('/')}`;
    expect(() => s.putParameter({ Name: levels(MAX_HIERARCHY_LEVELS), Value: 'v', Type: 'String' })).not.toThrow();
    expect(errorName(() => s.putParameter({ Name: levels(MAX_HIERARCHY_LEVELS + 1), Value: 'v', Type: 'String' }))).toBe('HierarchyLevelLimitExceededException');
  });

  it('GetParametersByPath: one level or recursive, at most 10 per page, NextToken paging', () => {
    const s = sim();
    for (let i = 0; i < 23; i++) s.putParameter({ Name: `/app/p${String(i).padStart(2, '0')}`, Value: String(i), Type: 'String' });
    s.putParameter({ Name: '/app/deep/x', Value: 'deep', Type: 'String' });
    s.putParameter({ Name: '/other/y', Value: 'other', Type: 'String' });
    const first = s.getParametersByPath({ Path: '/app' });
    expect(first.Parameters).toHaveLength(10);
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = s.getParametersByPath({ Path: '/app', NextToken: token, MaxResults: 7 });
      expect(page.Parameters!.length).toBeLessThanOrEqual(7);
      names.push(...page.Parameters!.map((p) => p.Name!));
      token = page.NextToken;
    } while (token);
    expect(names).toHaveLength(23);
    expect(names).not.toContain('/app/deep/x');
    const recursive = s.getParametersByPath({ Path: '/app/', Recursive: true, MaxResults: 10 });
    const all: string[] = [...recursive.Parameters!.map((p) => p.Name!)];
    for (let t = recursive.NextToken; t; ) {
      const page = s.getParametersByPath({ Path: '/app/', Recursive: true, NextToken: t });
      all.push(...page.Parameters!.map((p) => p.Name!));
      t = page.NextToken;
    }
    expect(all).toHaveLength(24);
    expect(all).toContain('/app/deep/x');
    expect(all).not.toContain('/other/y');
    expect(errorName(() => s.getParametersByPath({ Path: '/app', MaxResults: 11 }))).toBe('ValidationException');
    expect(errorName(() => s.getParametersByPath({ Path: 'app' }))).toBe('ValidationException');
  });

  it('GetParameter of an absent name is ParameterNotFound (400)', () => {
    let caught: unknown;
    try {
      sim().getParameter({ Name: '/nope' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ParameterNotFound);
    expect((caught as ParameterNotFound).$metadata.httpStatusCode).toBe(400);
  });
});

describe('Parameter Store in a world', () => {
  let world: SimWorld;
  afterEach(() => world?.dispose());

  it('answers SSMClient and sends "Parameter Store Change" events to EventBridge', async () => {
    world = SimWorld.fromStack(exampleStack(), { scenario: healthyScenario() });
    const ssm = new SSMClient({});
    await world.drive(ssm.send(new PutParameterCommand({ Name: '/canary/command', Value: 'pause', Type: 'String', Description: 'operator command' })));
    await expect(world.drive(ssm.send(new PutParameterCommand({ Name: '/canary/command', Value: 'resume', Type: 'String' })))).rejects.toBeInstanceOf(
      ParameterAlreadyExists,
    );
    await world.drive(ssm.send(new PutParameterCommand({ Name: '/canary/command', Value: 'resume', Type: 'String', Overwrite: true })));
    const got = await world.drive(ssm.send(new GetParameterCommand({ Name: '/canary/command' })));
    expect(got.Parameter).toMatchObject({ Value: 'resume', Version: 2 });
    const byPath = await world.drive(ssm.send(new GetParametersByPathCommand({ Path: '/canary' })));
    expect(byPath.Parameters!.map((p) => p.Name)).toEqual(['/canary/command']);
    const history = await world.drive(ssm.send(new GetParameterHistoryCommand({ Name: '/canary/command' })));
    // No handler made these calls: the operator did.
    expect(history.Parameters!.map((h) => h.LastModifiedUser)).toEqual(['arn:aws:iam::123456789012:user/operator', 'arn:aws:iam::123456789012:user/operator']);

    const changes = world.events.events.filter((e) => e.source === 'aws.ssm' && (e.detail as { name: string }).name === '/canary/command');
    expect(changes).toHaveLength(2);
    expect(changes[0]).toMatchObject({
      'detail-type': 'Parameter Store Change',
      account: ACCOUNT,
      resources: ['arn:aws:ssm:us-east-1:123456789012:parameter/canary/command'],
      detail: { operation: 'Create', name: '/canary/command', type: 'String', description: 'operator command' },
    });
    expect(changes[1].detail).toMatchObject({ operation: 'Update', name: '/canary/command' });
    // The failed put sent nothing, and each call was recorded.
    expect(world.apiCalls.filter((c) => c.service === 'ssm').map((c) => [c.operation, c.error])).toEqual([
      ['PutParameter', undefined],
      ['PutParameter', 'ParameterAlreadyExists'],
      ['PutParameter', undefined],
      ['GetParameter', undefined],
      ['GetParametersByPath', undefined],
      ['GetParameterHistory', undefined],
    ]);
  });

  it('delivers the event to a rule that matches it', async () => {
    world = SimWorld.fromStack(exampleStack(), { scenario: healthyScenario() });
    world.events.putRule({
      name: 'ssm-watch',
      EventPattern: { source: ['aws.ssm'], 'detail-type': ['Parameter Store Change'], detail: { name: [{ prefix: '/canary/' }] } },
      Targets: [{ Id: 't', Arn: 'arn:aws:sqs:us-east-1:123456789012:nowhere', InputPath: '$.detail' }],
    });
    world.ssm.putParameter({ Name: '/elsewhere/x', Value: '1', Type: 'String' });
    expect(world.events.deliveries.filter((d) => d.rule === 'ssm-watch')).toEqual([]);
    world.ssm.putParameter({ Name: '/canary/x', Value: '1', Type: 'String' });
    // (A target that is not a simulated function is not invoked: the delivery is what there is to see.)
    expect(world.events.deliveries.filter((d) => d.rule === 'ssm-watch').map((d) => d.input)).toEqual([
      { operation: 'Create', name: '/canary/x', type: 'String', description: '' },
    ]);
  });

  it('answers STS GetCallerIdentity with the simulated account and the operator (SIM_CALLER_ARN)', async () => {
    world = SimWorld.fromStack(exampleStack(), { scenario: healthyScenario() });
    const sts = new STSClient({});
    await expect(world.drive(sts.send(new GetCallerIdentityCommand({})))).resolves.toMatchObject({
      Account: ACCOUNT,
      Arn: `arn:aws:iam::${ACCOUNT}:user/operator`,
    });
    process.env.SIM_CALLER_ARN = `arn:aws:iam::${ACCOUNT}:user/alice`;
    try {
      const id = await world.drive(sts.send(new GetCallerIdentityCommand({})));
      expect(id.Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/alice`);
      expect(id.UserId).toBeTruthy();
    } finally {
      delete process.env.SIM_CALLER_ARN;
    }
  });

  it('creates the AWS::SSM::Parameter resources of a synthesized template; Ref is the name', async () => {
    const extra = synthesizeStack((app) => {
      const stack = new cdk.Stack(app, 'Params');
      const topic = new cdk.aws_sns.Topic(stack, 'Topic', { topicName: 'param-topic' });
      const named = new cdk.aws_ssm.StringParameter(stack, 'Named', {
        parameterName: '/canary/config/topic',
        stringValue: topic.topicArn,
        description: 'where alerts go',
      });
      new cdk.aws_ssm.CfnParameter(stack, 'Unnamed', { type: 'String', value: cdk.Fn.join('|', [named.parameterName, cdk.Aws.REGION]) });
      return stack;
    });
    const base = exampleStack();
    const stack: SynthesizedStack = {
      stackName: base.stackName,
      template: { ...base.template, Resources: { ...base.template.Resources, ...extra.template.Resources } },
    };
    world = SimWorld.fromStack(stack, { scenario: healthyScenario() });
    const ssm = new SSMClient({});
    const named = await world.drive(ssm.send(new GetParameterCommand({ Name: '/canary/config/topic' })));
    expect(named.Parameter).toMatchObject({ Value: `arn:aws:sns:us-east-1:${ACCOUNT}:param-topic`, Type: 'String', Version: 1 });
    const unnamed = [...world.ssm.parameters.values()].find((p) => p.name.startsWith('CFN-'));
    expect(unnamed?.versions[0].value).toBe('/canary/config/topic|us-east-1');
    // Ref of the parameter resolves to its name, as CloudFormation's does.
    const namedId = Object.entries(extra.template.Resources).find(([, r]) => r.Type === 'AWS::SSM::Parameter' && r.Properties?.Name)![0];
    const resolver = (world as unknown as { resolver: { resolve(v: unknown): unknown } }).resolver;
    expect(resolver.resolve({ Ref: namedId })).toBe('/canary/config/topic');
    const mine = world.ssm.changes.filter((e) => [named.Parameter!.Name, unnamed!.name].includes((e.detail as { name: string }).name));
    expect(mine.map((e) => (e.detail as { operation: string }).operation)).toEqual(['Create', 'Create']);
  });
});

describe('Step Functions reads for the operator CLI', () => {
  let world: SimWorld;
  afterAll(() => world?.dispose());

  it('DescribeStateMachine and GetExecutionHistory on a real rollout', async () => {
    world = SimWorld.fromExampleApp({ scenario: healthyScenario(), seed: 42 });
    await world.deploy('1');
    await world.advance(120);
    const second = await world.deploy('2');
    expect(second.executionArn).toBeDefined();
    await world.advance(5 * 60);
    const sfn = new SFNClient({});
    const execution = world.sfn.executions.get(second.executionArn!)!;

    const machine = await world.drive(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: execution.stateMachineArn })));
    expect(machine).toMatchObject({ stateMachineArn: execution.stateMachineArn, status: 'ACTIVE' });
    expect(machine.name).toContain('SentimentCanary');
    const definition = JSON.parse(machine.definition!) as { StartAt: string; States: Record<string, unknown> };
    expect(definition.States[definition.StartAt]).toBeDefined();
    await expect(world.drive(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: `${execution.stateMachineArn}-nope` })))).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
    });

    const all: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await world.drive(sfn.send(new GetExecutionHistoryCommand({ executionArn: execution.executionArn, maxResults: 7, nextToken })));
      expect(page.events!.length).toBeLessThanOrEqual(7);
      all.push(...page.events!);
      nextToken = page.nextToken;
    } while (nextToken);
    expect(all.length).toBeGreaterThan(10);
    expect(all.map((e) => e.id)).toEqual(all.map((_, i) => i + 1));
    expect(all[0]).toMatchObject({ type: 'ExecutionStarted', executionStartedEventDetails: { input: execution.input } });
    // (structuredClone gives a native Date; the virtual clock replaces the global Date class.)
    for (const e of all) expect(Object.prototype.toString.call(e.timestamp)).toBe('[object Date]');
    expect(all[0].timestamp!.getTime()).toBe(execution.startDate);
    const entered = all.filter((e) => e.type!.endsWith('StateEntered'));
    const exited = all.filter((e) => e.type!.endsWith('StateExited'));
    expect(entered.length).toBeGreaterThan(3);
    for (const e of entered) expect(typeof JSON.parse(e.stateEnteredEventDetails!.input!)).toBe('object');
    for (const e of exited) expect(e.stateExitedEventDetails!.name).toBeTruthy();
    expect(entered[0].stateEnteredEventDetails!.name).toBe(definition.StartAt);
    expect(all.some((e) => e.type === 'TaskStateEntered')).toBe(true);
    expect(all.some((e) => e.type === 'TaskStateExited')).toBe(true);
    expect(all.some((e) => e.type === 'WaitStateEntered' || e.type === 'ChoiceStateExited' || e.type === 'PassStateExited')).toBe(true);
    // Each Lambda task attempt: Scheduled, Started, then Succeeded or Failed; a failed attempt is
    // followed by the retry's Scheduled or by the state's exit (caught).
    const count = (type: string) => all.filter((e) => e.type === type).length;
    expect(count('LambdaFunctionScheduled')).toBe(count('LambdaFunctionStarted'));
    expect(count('LambdaFunctionScheduled')).toBe(count('LambdaFunctionSucceeded') + count('LambdaFunctionFailed'));
    all.forEach((e, i) => {
      if (e.type === 'LambdaFunctionFailed') {
        expect(e.lambdaFunctionFailedEventDetails!.error).toBeTruthy();
        expect(['LambdaFunctionScheduled', 'TaskStateExited', 'ExecutionFailed']).toContain(all[i + 1]?.type ?? 'ExecutionFailed');
      }
      if (e.type === 'LambdaFunctionScheduled') expect(e.lambdaFunctionScheduledEventDetails!.resource).toMatch(/^arn:aws:lambda:/);
    });
    // Running still: no end event yet.
    expect(all.some((e) => e.type!.startsWith('ExecutionSucceeded') || e.type === 'ExecutionFailed')).toBe(false);

    const newest = await world.drive(sfn.send(new GetExecutionHistoryCommand({ executionArn: execution.executionArn, reverseOrder: true, maxResults: 3 })));
    expect(newest.events!.map((e) => e.id)).toEqual([all.length, all.length - 1, all.length - 2]);

    // Run to the end: the history ends with ExecutionSucceeded and its output.
    await world.runUntilDone();
    const end = await world.drive(sfn.send(new GetExecutionHistoryCommand({ executionArn: execution.executionArn, reverseOrder: true, maxResults: 1 })));
    expect(end.events![0]).toMatchObject({ type: 'ExecutionSucceeded' });
    expect(JSON.parse(end.events![0].executionSucceededEventDetails!.output!)).toEqual(execution.output);
  });
});
