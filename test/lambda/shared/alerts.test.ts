import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { buildAlert, MAX_SUBJECT, publishAlert, subjectLine, withDecider, type AlertEvent, type AlertFacts } from '../../../lambda/shared/alerts';
import { alertFacts } from '../../../lambda/shared/rollout';
import { NOW, plan, progress, state, TOPIC_ARN } from '../helpers';

const EVENTS: AlertEvent[] = ['STARTED', 'STEP', 'HOLDING', 'PROMOTED', 'ROLLED_BACK', 'FAILED', 'SUPERSEDED', 'ROLLBACK_FAILED', 'OPERATOR', 'APPROVAL_NEEDED'];

function facts(event: AlertEvent, extra: Partial<AlertFacts> = {}): AlertFacts {
  return {
    event,
    canaryName: 'sentiment',
    target: 'alias live of function sentiment-fn',
    stableVersion: '5',
    canaryVersion: '6',
    weightPercent: 25,
    step: { number: 2, of: 4 },
    canaryRequests: 412,
    at: NOW,
    ...extra,
  };
}

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

describe('subjectLine', () => {
  test('prefixes, keeps short ASCII as is', () => {
    expect(subjectLine('sentiment v6 promoted')).toBe('[canary] sentiment v6 promoted');
  });

  test('replaces non-ASCII and control characters, cuts under 100 (99) with an ellipsis', () => {
    const s = subjectLine(`modèle — ${'x'.repeat(200)}\nline two\t`);
    expect(s).toHaveLength(99);
    expect(s).toMatch(PRINTABLE_ASCII);
    expect(s.endsWith('...')).toBe(true);
    expect(s.startsWith('[canary] mod?le ? x')).toBe(true);
  });

  test('99 characters are kept whole, 100 are cut: SNS wants a subject of less than 100', () => {
    const text = 'y'.repeat(99 - '[canary] '.length);
    expect(MAX_SUBJECT).toBe(99);
    expect(subjectLine(text)).toBe(`[canary] ${text}`);
    expect(subjectLine(`${text}z`)).toHaveLength(99);
  });
});

describe('buildAlert', () => {
  test.each(EVENTS)('%s: subject is at most 99 printable ASCII characters, body is JSON with the facts', (event) => {
    const longName = 'a-very-long-canary-name-for-the-recommendation-model-ünïcode';
    const alert = buildAlert(
      facts(event, {
        canaryName: longName,
        reason: 'guard alarm in ALARM',
        alarm: { name: 'stack-sentiment-ErrorRate', reason: 'Threshold Crossed', value: 0.31, threshold: 0.05 },
      }),
    );
    expect(alert.subject.length).toBeLessThanOrEqual(99);
    expect(alert.subject).toMatch(PRINTABLE_ASCII);
    const body = JSON.parse(alert.message);
    expect(body).toMatchObject({
      schema: 'cdk-model-canary/alert@1',
      event,
      canary: longName,
      stableVersion: '5',
      canaryVersion: '6',
      weightPercent: 25,
      step: { number: 2, of: 4 },
      canaryRequests: 412,
      alarm: { name: 'stack-sentiment-ErrorRate', reason: 'Threshold Crossed', value: 0.31, threshold: 0.05 },
      at: '2025-01-01T00:00:00.000Z',
    });
    expect(typeof body.summary).toBe('string');
    expect(body.summary).toContain(longName);
  });

  test('ROLLED_BACK names the alarm and the weight in the subject', () => {
    const alert = buildAlert(facts('ROLLED_BACK', { weightPercent: 5, alarm: { name: 'ErrorRate', value: 0.3, threshold: 0.05 } }));
    expect(alert.subject).toBe('[canary] ROLLED BACK sentiment v6 at 5% (step 2/4): alarm ErrorRate');
    expect(JSON.parse(alert.message).summary).toContain('v5 serves all traffic again');
    expect(JSON.parse(alert.message).summary).toContain('alarm ErrorRate (value 0.3, threshold 0.05)');
  });

  test('ROLLED_BACK without an alarm gives the reason', () => {
    const alert = buildAlert(facts('ROLLED_BACK', { reason: 'not enough traffic' }));
    expect(alert.subject).toContain('not enough traffic');
  });

  test('STEP shows the step and a rounded share; SageMaker variant names are not prefixed with v', () => {
    const alert = buildAlert(facts('STEP', { weightPercent: 33.3333, canaryVersion: 'variant-b' }));
    expect(alert.subject).toBe('[canary] sentiment variant-b now gets 33.33% of traffic (step 2/4)');
  });

  test('ROLLBACK_FAILED asks for action and keeps the weight', () => {
    const alert = buildAlert(facts('ROLLBACK_FAILED', { reason: 'AccessDenied' }));
    expect(alert.subject.startsWith('[canary] ACTION NEEDED')).toBe(true);
    expect(JSON.parse(alert.message).summary).toContain('25%');
  });
});

describe('publishAlert', () => {
  const sns = mockClient(SNSClient);
  beforeEach(() => sns.reset());

  test('publishes the subject and body to the topic', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const alert = await publishAlert(TOPIC_ARN, facts('PROMOTED'));
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TOPIC_ARN, Subject: alert.subject, Message: alert.message });
  });
});

describe('alerts of the post-promotion watch', () => {
  const WATCH_UNTIL = NOW + 600; // 2025-01-01T00:10:00Z

  test('PROMOTED with a watch: watchUntil in the body as ISO time, and the summary says until when and to what traffic goes back', () => {
    const alert = buildAlert(facts('PROMOTED', { weightPercent: 100, watchUntil: WATCH_UNTIL }));
    const body = JSON.parse(alert.message);
    expect(body.watchUntil).toBe('2025-01-01T00:10:00.000Z');
    expect(body.summary).toContain('until 2025-01-01T00:10:00.000Z');
    expect(body.summary).toContain('back to v5');
    expect(alert.subject).toBe('[canary] sentiment v6 promoted: it serves 100% of traffic');
  });

  test('PROMOTED without a watch has no watchUntil and no watch sentence', () => {
    const body = JSON.parse(buildAlert(facts('PROMOTED', { weightPercent: 100 })).message);
    expect(body).not.toHaveProperty('watchUntil');
    expect(body.summary).not.toContain('watch');
  });

  test('ROLLED_BACK after the promotion: its own subject, and afterPromotion in the body', () => {
    const alert = buildAlert(facts('ROLLED_BACK', { weightPercent: 100, afterPromotion: true, alarm: { name: 'ErrorRate', value: 0.3, threshold: 0.05 } }));
    expect(alert.subject).toContain('after its promotion');
    expect(alert.subject).toBe('[canary] ROLLED BACK sentiment v6 after its promotion: alarm ErrorRate');
    const body = JSON.parse(alert.message);
    expect(body.afterPromotion).toBe(true);
    expect(body.summary).toContain('post-promotion watch');
    expect(body.summary).toContain('back to v5');
  });

  test('ROLLED_BACK after the promotion without an alarm gives the reason', () => {
    const alert = buildAlert(facts('ROLLED_BACK', { weightPercent: 100, afterPromotion: true, reason: 'aborted by user/alice' }));
    expect(alert.subject).toBe('[canary] ROLLED BACK sentiment v6 after its promotion: aborted by user/alice');
  });

  test('ROLLED_BACK before the promotion keeps its subject (afterPromotion false or absent)', () => {
    for (const afterPromotion of [false, undefined]) {
      const alert = buildAlert(facts('ROLLED_BACK', { weightPercent: 5, afterPromotion, alarm: { name: 'ErrorRate' } }));
      expect(alert.subject).toBe('[canary] ROLLED BACK sentiment v6 at 5% (step 2/4): alarm ErrorRate');
      expect(alert.subject).not.toContain('after its promotion');
    }
  });
});

describe('subjects name the decider in full: the guard, and the judge or an alarm (issue 18 §6)', () => {
  const plan = {
    canaryName: 'SentimentCanary',
    stackName: 'ModelCanaryExample',
    judge: { stackName: 'ModelCanaryExample', guards: [{ name: 'TokensPerRequestVsStable' }, { name: 'GuardrailBlockRateVsStable' }] },
  };

  test('a judged guard\'s evidence alarm is the judge deciding; the guard is named without "<stack>-<canary>-"', () => {
    const alarm = withDecider({ name: 'ModelCanaryExample-SentimentCanary-TokensPerRequestVsStable', value: 2.4, threshold: 2.3 }, plan);
    expect(alarm).toEqual({ name: 'ModelCanaryExample-SentimentCanary-TokensPerRequestVsStable', value: 2.4, threshold: 2.3, guard: 'TokensPerRequestVsStable', decidedBy: 'judge' });
    const alert = buildAlert(facts('ROLLED_BACK', { canaryName: 'SentimentCanary', alarm }));
    expect(alert.subject).toBe('[canary] ROLLED BACK SentimentCanary v6 at 25% (step 2/4): judge TokensPerRequestVsStable');
    // The evidence stays in the body, under the fields it always had.
    expect(JSON.parse(alert.message).alarm).toEqual({ ...alarm });
  });

  test('an alarm guard, and a user\'s own alarm (its whole name), are alarms deciding', () => {
    expect(withDecider({ name: 'ModelCanaryExample-SentimentCanary-ErrorRate' }, plan)).toMatchObject({ guard: 'ErrorRate', decidedBy: 'alarm' });
    expect(withDecider({ name: 'team-p99-latency' }, plan)).toMatchObject({ guard: 'team-p99-latency', decidedBy: 'alarm' });
    // A user's alarm that happens to be named like a judged guard, outside the prefix, is still an alarm.
    expect(withDecider({ name: 'TokensPerRequestVsStable' }, plan)).toMatchObject({ decidedBy: 'alarm' });
    expect(withDecider({ name: 'ModelCanaryExample-SentimentCanary-TokensPerRequestVsStable' }, { ...plan, judge: null })).toMatchObject({ decidedBy: 'alarm' });
  });

  test.each(['ROLLED_BACK', 'ROLLED_BACK after promotion'])('%s: the longest canary name (87) is shortened in its middle, the decider and the step stay whole', (kind) => {
    const canaryName = `recommendation-${'x'.repeat(59)}-model-canary`;
    expect(canaryName).toHaveLength(87);
    const alarm = withDecider({ name: `ModelCanaryExample-${canaryName}-GuardrailBlockRateVsStable` }, { ...plan, canaryName });
    const afterPromotion = kind !== 'ROLLED_BACK';
    const alert = buildAlert(facts('ROLLED_BACK', { canaryName, alarm, afterPromotion, weightPercent: afterPromotion ? 100 : 25 }));
    expect(alert.subject.length).toBeLessThanOrEqual(99);
    expect(alert.subject).toMatch(/: judge GuardrailBlockRateVsStable$/);
    if (!afterPromotion) expect(alert.subject).toContain('(step 2/4)');
    expect(alert.subject).toMatch(/^\[canary\] ROLLED BACK recommend[\w-]*\.\.\.[\w-]*canary v6 /);
    expect(JSON.parse(alert.message).canary).toBe(canaryName);
  });

  test.each(EVENTS)('%s: a long canary name keeps the step in the subject', (event) => {
    const canaryName = 'c'.repeat(87);
    const alert = buildAlert(facts(event, { canaryName, operator: { command: 'pause', by: 'arn:aws:sts::1:assumed-role/ops/alice', at: NOW } }));
    expect(alert.subject.length).toBeLessThanOrEqual(99);
    if (!['STARTED', 'PROMOTED', 'SUPERSEDED'].includes(event)) expect(alert.subject).toContain('(step 2/4)');
  });

  test('a long reason (no decider) is what gets cut', () => {
    const alert = buildAlert(facts('ROLLED_BACK', { canaryName: 'SentimentCanary', reason: `held 360 min without enough traffic: ${'the canary served 3 of the 100 requests '.repeat(3)}` }));
    expect(alert.subject).toHaveLength(99);
    expect(alert.subject).toMatch(/^\[canary\] ROLLED BACK SentimentCanary v6 at 25% \(step 2\/4\): held 360 min .*\.\.\.$/);
  });
});

test('the workflow\'s alert facts carry the guard and its decider, so the rollback alert says "judge"', () => {
  const judge = { alpha: 0.01, canaryName: 'sentiment', stackName: 'stack', guards: [{ name: 'TokensPerRequestVsStable' }] } as never;
  const s = state({
    plan: plan({ stackName: 'stack', judge }),
    progress: progress({ stepIndex: 1, weightPercent: 25, alarm: { name: 'stack-sentiment-TokensPerRequestVsStable', value: 2.5, threshold: 2.3 } }),
  });
  const target = { description: 'alias live of function sentiment-fn' } as never;
  const f = alertFacts(s, target, 'ROLLED_BACK');
  expect(f.alarm).toMatchObject({ guard: 'TokensPerRequestVsStable', decidedBy: 'judge' });
  expect(buildAlert(f).subject).toBe('[canary] ROLLED BACK sentiment v6 at 25% (step 2/3): judge TokensPerRequestVsStable');
});
