/**
 * The simulated Step Functions fails an execution whose history passes 25,000 events, without any
 * Catch (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html), and reports
 * every execution's start and end (the "Step Functions Execution Status Change" events).
 */
import { VirtualClock } from '../../sim/aws/core/clock';
import { MAX_HISTORY_EVENTS, StepFunctionsSim } from '../../sim/aws/stepfunctions/stepfunctions';
import type { ExecutionRecord } from '../../sim/aws/stepfunctions/execution-types';

describe('StepFunctionsSim', () => {
  let clock: VirtualClock;
  beforeEach(() => (clock = new VirtualClock(Date.UTC(2026, 0, 1))));
  afterEach(() => clock.uninstall());

  /** A loop of one Task and one Wait, caught by a Catch that must never run for the history limit. */
  const loop = {
    StartAt: 'Work',
    States: {
      Work: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:work', Next: 'Pause', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }] },
      Pause: { Type: 'Wait', Seconds: 10, Next: 'Work' },
      Caught: { Type: 'Succeed' },
    },
  };

  it('fails an execution past 25,000 history events, without running its Catch', async () => {
    const statuses: string[] = [];
    const sfn = new StepFunctionsSim(() => clock.now(), async () => ({ ok: true }), (e: ExecutionRecord) => statuses.push(e.status));
    const arn = sfn.putStateMachine('loop', loop as never);
    const { executionArn } = sfn.startExecution({ stateMachineArn: arn, name: 'run' });
    const record = sfn.executions.get(executionArn!)!;
    // Each round writes 7 events (Task: entered, scheduled, started, succeeded, exited; Wait: entered, exited).
    await clock.advance(Math.ceil(MAX_HISTORY_EVENTS / 7 + 10) * 10_000);
    await record.done;
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('States.Runtime');
    expect(record.cause).toMatch(/maximum number of history events \(25000\)/);
    expect(record.historyEvents).toBeGreaterThan(MAX_HISTORY_EVENTS);
    expect(record.historyEvents).toBeLessThan(MAX_HISTORY_EVENTS + 10);
    expect(record.events.some((e) => e.state?.name === 'Caught')).toBe(false);
    expect(statuses).toEqual(['RUNNING', 'FAILED']);
  });

  it('reports a stopped execution as ABORTED once', async () => {
    const statuses: string[] = [];
    const sfn = new StepFunctionsSim(() => clock.now(), async () => ({ ok: true }), (e) => statuses.push(`${e.status}:${e.error ?? ''}`));
    const arn = sfn.putStateMachine('loop', loop as never);
    const { executionArn } = sfn.startExecution({ stateMachineArn: arn, name: 'run' });
    await clock.advance(25_000);
    sfn.stopExecution({ executionArn, error: 'Superseded', cause: 'a new release' });
    await clock.advance(1000);
    await sfn.executions.get(executionArn!)!.done;
    expect(statuses).toEqual(['RUNNING:', 'ABORTED:Superseded']);
  });

  it('times out an execution past its TimeoutSeconds and reports TIMED_OUT', async () => {
    const statuses: string[] = [];
    const sfn = new StepFunctionsSim(() => clock.now(), async () => ({ ok: true }), (e) => statuses.push(`${e.status}:${e.error ?? ''}`));
    const arn = sfn.putStateMachine('slow', { TimeoutSeconds: 30, StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 60, End: true } } } as never);
    const { executionArn } = sfn.startExecution({ stateMachineArn: arn, name: 'run' });
    await clock.advance(61_000);
    await sfn.executions.get(executionArn!)!.done;
    expect(statuses).toEqual(['RUNNING:', 'TIMED_OUT:States.Timeout']);
  });
});
