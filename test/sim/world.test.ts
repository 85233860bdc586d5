/**
 * The simulated world as a whole: template resolution, SDK interception, fault injection shapes,
 * the virtual clock, and the alarm → EventBridge → Lambda fast path wiring.
 */
import { GetAliasCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { DescribeAlarmsCommand, CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { AddTagsCommand, DeleteTagsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { endpointArn, SimWorld } from '../../sim';
import { CallRecorder } from '../../sim/world/recording';
import { ALARMS, exampleStack, healthyScenario } from '../workflow/helpers';

describe('SimWorld', () => {
  let world: SimWorld;
  afterEach(() => world?.dispose());

  it("resolves the synthesized definition: every Task runs the stack's steps function, naming its step", async () => {
    world = SimWorld.fromStack(exampleStack(), { scenario: healthyScenario() });
    await world.deploy('1');
    const machine = [...world.sfn.machines.values()].find((m) => m.name.includes('SentimentCanary'))!;
    const tasks = Object.entries(machine.definition.States).filter(([, s]) => s.Type === 'Task') as unknown as [string, { Resource: string; Parameters: { step: string } }][];
    expect(tasks.map(([name]) => name).sort()).toEqual(
      ['AlertRollbackFailed', 'Check', 'PreTrafficChecks', 'Promote', 'RollBack', 'RollBackAfterError', 'SetWeight', 'Start', 'WatchCheck'].sort(),
    );
    // One function (its Description names the steps entry) runs them all: the payload names the step.
    expect(new Set(tasks.map(([, s]) => world.lambda.findByArn(s.Resource)?.handlerName))).toEqual(new Set(['steps']));
    expect(Object.fromEntries(tasks.map(([name, s]) => [name, s.Parameters.step]))).toEqual({
      Start: 'start',
      PreTrafficChecks: 'pre-traffic',
      SetWeight: 'set-weight',
      Check: 'check',
      Promote: 'promote',
      RollBack: 'rollback',
      RollBackAfterError: 'rollback',
      AlertRollbackFailed: 'rollback-failed',
      WatchCheck: 'watch',
    });
    for (const [, s] of tasks) expect(s.Resource).toMatch(/^arn:aws:lambda:us-east-1:123456789012:function:/);
    const plan = (machine.definition.States.Plan as unknown as { Result: { topicArn: string; target: { functionName: string } } }).Result;
    expect(world.sns.topics.has(plan.topicArn)).toBe(true);
    expect(plan.target.functionName).toBe(world.modelFunctionName);
  });

  it('creates the alias on the first deploy and answers the handlers’ SDK clients', async () => {
    world = SimWorld.fromStack(exampleStack(), { scenario: healthyScenario() });
    const first = await world.deploy('1');
    expect(first).toMatchObject({ requestType: 'Create', action: 'created', executionArn: undefined });
    // Every simulated API call takes virtual time: drive the clock while awaiting one from test code.
    const alias = await world.drive(new LambdaClient({}).send(new GetAliasCommand({ FunctionName: world.modelFunctionName, Name: 'live' })));
    expect(alias).toMatchObject({ FunctionVersion: '1', Name: 'live' });
    const alarms = await world.drive(new CloudWatchClient({}).send(new DescribeAlarmsCommand({ AlarmNames: Object.values(ALARMS) })));
    expect(alarms.MetricAlarms!.map((a) => a.AlarmName).sort()).toEqual(Object.values(ALARMS).sort());
  });

  it('injects faults shaped like SDK v3 service errors, retried by the client as SDK v3 does', async () => {
    world = SimWorld.fromStack(exampleStack(), { scenario: healthyScenario() });
    await world.deploy('1');
    const client = new LambdaClient({});
    const call = () => client.send(new GetAliasCommand({ FunctionName: world.modelFunctionName, Name: 'live' }));
    // One throttle: the client's second attempt succeeds.
    world.faults.add('GetAlias', ['throttle']);
    await expect(world.drive(call())).resolves.toMatchObject({ FunctionVersion: '1' });
    // Three: the client gives up after its 3 attempts and throws the service error.
    world.faults.add('GetAlias', ['throttle', 'throttle', 'throttle']);
    const err = (await world.drive(call()).catch((e: unknown) => e)) as TooManyRequestsException;
    expect(err).toBeInstanceOf(TooManyRequestsException);
    expect(err.$metadata).toMatchObject({ httpStatusCode: 429, attempts: 3 });
    expect(err.$fault).toBe('client');
    expect(world.faults.count('GetAlias')).toBe(4);
    expect(world.apiCalls.filter((c) => c.operation === 'GetAlias' && !c.caller).map((c) => [c.attempt, c.error ?? 'ok'])).toEqual([
      [1, 'TooManyRequestsException'],
      [2, 'ok'],
      [1, 'TooManyRequestsException'],
      [2, 'TooManyRequestsException'],
      [3, 'TooManyRequestsException'],
    ]);
    // Not retryable: AccessDenied fails at once.
    world.faults.add('GetAlias', ['accessDenied']);
    const denied = (await world.drive(call()).catch((e: unknown) => e)) as Error & { $metadata: { httpStatusCode: number; attempts: number } };
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.$metadata).toMatchObject({ httpStatusCode: 403, attempts: 1 });
  });

  it('runs Date.now() on the virtual clock and generates traffic through the alias', async () => {
    world = SimWorld.fromStack(exampleStack(), { scenario: healthyScenario(), startTime: '2030-01-01T00:00:00Z' });
    expect(new Date().toISOString()).toBe('2030-01-01T00:00:00.000Z');
    await world.deploy('1');
    const before = Date.now();
    await world.advance(3600);
    expect(Date.now() - before).toBe(3_600_000);
    expect(world.now()).toBe(before + 3_600_000);
    // 10 requests per second for an hour.
    expect(world.served.get('1')!.requests).toBeGreaterThan(35_000);
  });

  it('delivers an alarm entering ALARM to the on-alarm handler with the rule’s transformed input', async () => {
    world = SimWorld.fromStack(exampleStack(), { scenario: healthyScenario() });
    await world.deploy('1');
    world.setAlarmState(ALARMS.errorRate, 'ALARM', 'test');
    await world.advance(5);
    const fastPath = world.invocations.filter((i) => i.handler === 'on-alarm');
    expect(fastPath).toHaveLength(1);
    const input = fastPath[0].input as { canaries: string; event: { time: string; detail: { alarmName: string; state: { value: string }; configuration: { metrics: unknown[] } } } };
    // The stack's one rule: the handler finds the canary by its descriptor under the stack's path.
    expect(input.canaries).toBe('/cdk-model-canary/ModelCanaryExample');
    expect(input.event.detail).toMatchObject({ alarmName: ALARMS.errorRate, state: { value: 'ALARM' } });
    expect(input.event.detail.configuration.metrics).toHaveLength(3);
    expect(input.event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // No canary has a share: the handler leaves the alias alone.
    expect(fastPath[0].result).toMatchObject({ action: 'ignored' });
  });

  it('serves SageMaker DeleteTags from the simulator, so the call is made, recorded and takes effect', async () => {
    world = SimWorld.fromStack(exampleStack(), { canaryName: 'SummarizerCanary', scenario: healthyScenario({ versions: { 'summarizer-v1': {} } }) });
    const recorder = new CallRecorder(world);
    await world.deploy('summarizer-v1');
    const sm = new SageMakerClient({});
    const ResourceArn = endpointArn(world.endpointName);
    await world.drive(sm.send(new AddTagsCommand({ ResourceArn, Tags: [{ Key: 'team', Value: 'ml' }] })));
    expect(world.endpoint()?.tags.get('team')).toBe('ml');
    await world.drive(sm.send(new DeleteTagsCommand({ ResourceArn, TagKeys: ['team'] })));
    expect(world.endpoint()?.tags.has('team')).toBe(false);
    expect(world.apiCalls.filter((c) => c.operation === 'DeleteTags').map((c) => c.service)).toEqual(['sagemaker']);
    // Validated as SageMaker does (1 to 50 keys).
    await expect(world.drive(sm.send(new DeleteTagsCommand({ ResourceArn, TagKeys: [] })))).rejects.toThrow(/TagKeys/);
    expect(recorder.unattributed.some((c) => c.operation === 'DeleteTags')).toBe(true);
  });
});
