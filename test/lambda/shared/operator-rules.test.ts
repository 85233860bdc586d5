import type { AlarmView } from '../../../lambda/shared/alarms';
import { type OperatorCommand, parseChannel, pendingCommands, withCommand, EMPTY_CHANNEL, STANDARD_PARAMETER_MAX_CHARS } from '../../../lambda/shared/operator';
import { applyCommands } from '../../../lambda/shared/operator-rules';
import { decideCheck } from '../../../lambda/shared/rollout';
import { NOW, plan, progress } from '../helpers';

const ALICE = 'arn:aws:iam::123456789012:user/alice';
const cmd = (command: OperatorCommand['command'], extra: Partial<OperatorCommand> = {}): OperatorCommand => ({ id: `${command}-${extra.at ?? NOW}`, command, by: ALICE, at: NOW, execution: 'exec-1', ...extra });
const firing: AlarmView = { name: 'ErrorRate', state: 'ALARM', updatedAt: NOW - 30, reason: 'crossed', configuredAt: 0, versions: [] };

describe('operator commands in the check step', () => {
  const p = plan(); // steps 5/25/100 % baking 600 s, interval 120 s, 100 requests, ROLL_BACK, hold 3600 s
  const base = progress({ stepIndex: 0, stepStartedAt: NOW - 100, execution: 'exec-1' });

  test('abort rolls back whatever else holds, naming who', () => {
    const { progress: applied } = applyCommands(base, [cmd('abort', { reason: 'bad answers' })], NOW);
    const next = decideCheck(p, applied, { firing: [], relation: 'ours', canaryRequests: 5000, now: NOW });
    expect(next).toMatchObject({ decision: 'rollback', reason: 'aborted by user/alice: bad answers' });
  });

  test('promote skips the steps; a firing guard still wins unless --force', () => {
    const promote = applyCommands(base, [cmd('promote')], NOW).progress;
    expect(decideCheck(p, promote, { firing: [], relation: 'ours', canaryRequests: 0, now: NOW })).toMatchObject({ decision: 'promote', reason: 'promoted by user/alice' });
    expect(decideCheck(p, promote, { firing: [firing], relation: 'ours', canaryRequests: 0, now: NOW }).decision).toBe('rollback');
    const forced = applyCommands(base, [cmd('promote', { force: true })], NOW).progress;
    expect(decideCheck(p, forced, { firing: [firing], relation: 'ours', canaryRequests: 0, now: NOW })).toMatchObject({ decision: 'promote', reason: expect.stringContaining('--force') });
    // A canary the fast path already set to 0 stays rolled back.
    expect(decideCheck(p, forced, { firing: [firing], relation: 'idle', canaryRequests: 0, now: NOW }).decision).not.toBe('promote');
  });

  test('pause holds past the bake, guards still roll back, and resume gives back the bake time left', () => {
    const paused = applyCommands(base, [cmd('pause')], NOW).progress;
    const later = NOW + 2000;
    expect(decideCheck(p, paused, { firing: [], relation: 'ours', canaryRequests: 5000, now: later })).toMatchObject({ decision: 'bake', hold: 'paused', reason: 'paused by user/alice' });
    expect(decideCheck(p, paused, { firing: [firing], relation: 'ours', canaryRequests: 5000, now: later }).decision).toBe('rollback');
    const resumed = applyCommands(paused, [cmd('resume', { at: later })], later).progress;
    // 100 s baked before the pause: 500 s left after it.
    expect(resumed.stepStartedAt).toBe(later - 100);
    expect(decideCheck(p, resumed, { firing: [], relation: 'ours', canaryRequests: 5000, now: later + 499 }).decision).toBe('bake');
    expect(decideCheck(p, resumed, { firing: [], relation: 'ours', canaryRequests: 5000, now: later + 500 }).decision).toBe('advance');
  });

  test('a pause longer than maxHold rolls back, saying what to change', () => {
    const paused = applyCommands(base, [cmd('pause')], NOW).progress;
    expect(decideCheck(p, paused, { firing: [], relation: 'ours', canaryRequests: 5000, now: NOW + p.maxHoldSeconds }).reason).toContain('longer than maxHold');
  });

  test('each command applies once: the applied ids are kept', () => {
    const channel = withCommand(withCommand(EMPTY_CHANNEL, cmd('pause')), cmd('resume', { at: NOW + 5 }));
    const first = applyCommands(base, pendingCommands(channel, 'exec-1', []), NOW + 10);
    expect(first.effective.map((e) => e.command.command)).toEqual(['pause', 'resume']);
    expect(pendingCommands(channel, 'exec-1', first.progress.operator!.applied)).toEqual([]);
    expect(pendingCommands(channel, 'another-execution', [])).toEqual([]);
  });

  test('the channel stays within a Standard parameter and drops the oldest; junk reads as empty', () => {
    let channel = EMPTY_CHANNEL;
    for (let i = 0; i < 40; i++) channel = withCommand(channel, cmd('pause', { id: `id-${i}`, reason: 'x'.repeat(300) }));
    expect(JSON.stringify(channel).length).toBeLessThanOrEqual(STANDARD_PARAMETER_MAX_CHARS);
    expect(channel.commands[channel.commands.length - 1].id).toBe('id-39');
    expect(parseChannel('not json')).toEqual(EMPTY_CHANNEL);
    expect(parseChannel(JSON.stringify({ commands: [{ id: 1 }] })).commands).toEqual([]);
  });
});

describe('approval gates', () => {
  const gated = { ...plan(), approvalSteps: [2], approvalTimeoutSeconds: 3600, onApprovalTimeout: 'ROLL_BACK' as const };
  const baked = progress({ stepIndex: 0, stepStartedAt: NOW - 700, execution: 'exec-1' });

  test('a baked step waits at its share for the approval, with the command to run', () => {
    const next = decideCheck(gated, baked, { firing: [], relation: 'ours', canaryRequests: 5000, now: NOW });
    expect(next).toMatchObject({ decision: 'bake', hold: 'approval', approvalWaitSince: NOW });
    expect(next.reason).toContain('cdk-model-canary approve');
    const approved = applyCommands(next, [cmd('approve')], NOW + 60).progress;
    expect(decideCheck(gated, approved, { firing: [], relation: 'ours', canaryRequests: 5000, now: NOW + 60 }).decision).toBe('advance');
  });

  test('past the timeout it rolls back, or holds with HOLD', () => {
    const waiting = decideCheck(gated, baked, { firing: [], relation: 'ours', canaryRequests: 5000, now: NOW });
    expect(decideCheck(gated, waiting, { firing: [], relation: 'ours', canaryRequests: 5000, now: NOW + 3600 })).toMatchObject({ decision: 'rollback', reason: expect.stringContaining('nobody approved step 2') });
    const hold = { ...gated, onApprovalTimeout: 'HOLD' as const };
    expect(decideCheck(hold, waiting, { firing: [], relation: 'ours', canaryRequests: 5000, now: NOW + 3600 })).toMatchObject({ decision: 'bake', hold: 'approval', reason: expect.stringContaining('timed out') });
  });

  test('a step without a gate is not held', () => {
    const next = decideCheck({ ...gated, approvalSteps: [3] }, baked, { firing: [], relation: 'ours', canaryRequests: 5000, now: NOW });
    expect(next.decision).toBe('advance');
  });
});

describe('operator commands in the post-promotion watch', () => {
  // Promoted at NOW - 120, watching: only an abort still means something.
  const inWatch = progress({ stepIndex: 2, weightPercent: 100, decision: 'watch', watchStartedAt: NOW - 120, stepStartedAt: NOW - 900, execution: 'exec-1' });

  test.each(['pause', 'promote', 'resume', 'approve'] as const)('%s has no effect and no effective entry, but is recorded as applied', (command) => {
    const c = cmd(command, { id: `${command}-in-watch` });
    const { progress: applied, effective } = applyCommands(inWatch, [c], NOW);
    expect(effective).toEqual([]);
    const op = applied.operator!;
    // Recorded, so the next check does not read it again.
    expect(op.applied).toEqual([`${command}-in-watch`]);
    expect(op.log).toEqual([expect.objectContaining({ command, by: ALICE, appliedAt: NOW })]);
    expect(pendingCommands(withCommand(EMPTY_CHANNEL, c), 'exec-1', op.applied)).toEqual([]);
    // No effect: nothing paused, promoted or approved, and the clocks stay where they were.
    expect(op.pausedBy).toBeUndefined();
    expect(op.promoteBy).toBeUndefined();
    expect(op.approvals).toEqual([]);
    expect(applied.stepStartedAt).toBe(inWatch.stepStartedAt);
    expect(applied.watchStartedAt).toBe(inWatch.watchStartedAt);
  });

  test('a resume of a pause from before the promotion does not move the clocks in the watch', () => {
    const pausedBefore = { ...inWatch, operator: { applied: ['p'], approvals: [], log: [], pausedBy: { by: ALICE, at: NOW - 600 } } };
    const { progress: applied, effective } = applyCommands(pausedBefore, [cmd('resume')], NOW);
    expect(effective).toEqual([]);
    expect(applied.stepStartedAt).toBe(inWatch.stepStartedAt);
    expect(applied.operator!.pausedBy).toEqual({ by: ALICE, at: NOW - 600 });
  });

  test('abort takes effect, saying traffic goes back to the previous version', () => {
    const { progress: applied, effective } = applyCommands(inWatch, [cmd('pause'), cmd('abort', { id: 'abort-1', reason: 'bad answers' })], NOW);
    expect(effective).toHaveLength(1);
    expect(effective[0].command.command).toBe('abort');
    expect(effective[0].effect).toContain('previous version');
    expect(effective[0].effect).not.toContain('canary to 0%');
    expect(applied.operator!.abortBy).toEqual({ by: ALICE, at: NOW, reason: 'bad answers' });
    expect(applied.operator!.applied).toEqual([`pause-${NOW}`, 'abort-1']);
  });

  test('before the watch the same commands still act (the rule keys on watchStartedAt)', () => {
    const before = { ...inWatch, watchStartedAt: undefined, decision: 'bake' as const };
    expect(applyCommands(before, [cmd('pause')], NOW).effective.map((e) => e.command.command)).toEqual(['pause']);
    expect(applyCommands(before, [cmd('abort')], NOW).effective[0].effect).toBe('canary to 0%, the rollout ends as rolled back');
  });
});
