import { awsCall, TransientAwsError } from './errors';
import { shortIdentity } from './operator';
import { ALERT_ATTRIBUTES } from './alert-attributes';

export type AlertEvent =
  | 'STARTED'
  | 'STEP'
  | 'HOLDING'
  | 'PROMOTED'
  | 'ROLLED_BACK'
  | 'FAILED'
  | 'SUPERSEDED'
  | 'ROLLBACK_FAILED'
  | 'OPERATOR'
  | 'APPROVAL_NEEDED'
  /** Stopped without a verdict: the canary could not be judged within maxHold (not a regression). */
  | 'INSUFFICIENT_EVIDENCE';

export interface AlarmDetail {
  readonly name: string;
  readonly reason?: string;
  readonly value?: number;
  readonly threshold?: number;
  /** The guard's name: the alarm name without "<stack>-<canary>-" (a user's own alarm: its whole name). */
  readonly guard?: string;
  /** Who decided: the judge (a judged guard's evidence) or a CloudWatch alarm. @default 'alarm' */
  readonly decidedBy?: 'judge' | 'alarm';
}

/** The guard and its decider, from the plan: its alarm name prefix and its judged guards. */
export function withDecider(
  alarm: AlarmDetail,
  plan: { readonly canaryName: string; readonly stackName?: string; readonly judge?: { readonly stackName: string; readonly guards: readonly { readonly name: string }[] } | null },
): AlarmDetail {
  const stack = plan.stackName ?? plan.judge?.stackName;
  const prefix = stack === undefined ? undefined : `${stack}-${plan.canaryName}-`;
  const guard = prefix !== undefined && alarm.name.startsWith(prefix) ? alarm.name.slice(prefix.length) : alarm.name;
  const judged = guard !== alarm.name && (plan.judge?.guards ?? []).some((g) => g.name === guard);
  return { ...alarm, guard, decidedBy: judged ? 'judge' : 'alarm' };
}

export interface AlertFacts {
  readonly event: AlertEvent;
  readonly canaryName: string;
  readonly target: string;
  readonly stableVersion: string;
  readonly canaryVersion: string;
  /** Canary share when this happened, in percent. */
  readonly weightPercent: number;
  readonly step?: { readonly number: number; readonly of: number };
  readonly reason?: string;
  readonly alarm?: AlarmDetail;
  readonly canaryRequests?: number;
  /** The operator command this alert is about: who ran what, when (epoch seconds). */
  readonly operator?: { readonly command: string; readonly by: string; readonly at: number };
  /** Epoch seconds the post-promotion watch ends (PROMOTED): until then a guard firing sends traffic back. */
  readonly watchUntil?: number;
  /** ROLLED_BACK after the promotion, in the post-promotion watch: traffic went back to the previous version. */
  readonly afterPromotion?: boolean;
  /** HOLDING: what the step waits for (traffic, the judged guards' evidence, a guard that cannot judge). */
  readonly hold?: 'traffic' | 'approval' | 'paused' | 'evidence' | 'blind' | 'suspect';
  /** Epoch seconds. */
  readonly at: number;
}

export interface Alert {
  readonly subject: string;
  /** JSON a program can parse; `summary` is the sentence for a person. */
  readonly message: string;
}

/** Version labels: Lambda versions are numbers ("v7"), SageMaker variants are names. */
function v(version: string): string {
  return /^\d+$/.test(version) ? `v${version}` : version;
}

function pct(p: number): string {
  return `${Number(p.toFixed(2))}%`;
}

/**
 * A piece of a subject. When the whole is too long, `drop` pieces go first (last first), then a
 * `cut` piece (free text: a reason) is shortened at its end, then the `name` piece (the canary's
 * name) in its middle; the rest (the decider, the step) stays whole.
 */
interface Piece {
  readonly text: string;
  readonly fit?: 'drop' | 'cut' | 'name';
}

const SUBJECT_PREFIX = '[canary] ';
/** SNS Publish: a subject "must be ASCII text ... and must be less than 100 characters long". */
export const MAX_SUBJECT = 99;

function headline(f: AlertFacts): { subject: Piece[]; summary: string } {
  const who = `${f.canaryName} ${v(f.canaryVersion)}`;
  const name: Piece = { text: f.canaryName, fit: 'name' };
  const ver: Piece = { text: ` ${v(f.canaryVersion)}` };
  const step: Piece = { text: f.step ? ` (step ${f.step.number}/${f.step.of})` : '' };
  const decider = f.alarm ? `${f.alarm.decidedBy ?? 'alarm'} ${f.alarm.guard ?? f.alarm.name}` : undefined;
  switch (f.event) {
    case 'STARTED':
      return {
        subject: [{ text: 'rollout of ' }, name, ver, { text: ' started' }, { text: ` (stable ${v(f.stableVersion)})`, fit: 'drop' }],
        summary: `A rollout of ${who} started on ${f.target}; ${v(f.stableVersion)} serves all traffic until the first step.`,
      };
    case 'STEP':
      return {
        subject: [name, ver, { text: ` now gets ${pct(f.weightPercent)}` }, { text: ' of traffic', fit: 'drop' }, step],
        summary: `Step ${f.step?.number} of ${f.step?.of}: ${who} receives ${pct(f.weightPercent)} of the traffic of ${f.target}.`,
      };
    case 'HOLDING': {
      const what = f.hold === 'evidence' ? 'not enough evidence yet' : f.hold === 'blind' ? 'a guard cannot judge it' : 'not enough traffic yet';
      return {
        subject: [name, ver, { text: ` holding at ${pct(f.weightPercent)}` }, step, { text: `: ${what}`, fit: 'drop' }],
        summary: `${who} is held at ${pct(f.weightPercent)}: ${f.reason ?? 'too few requests to judge it'}. It will not be promoted without evidence.`,
      };
    }
    case 'INSUFFICIENT_EVIDENCE':
      return {
        subject: [{ text: 'NOT PROMOTED ' }, name, ver, { text: ': insufficient evidence' }, { text: ', not a regression', fit: 'drop' }],
        summary: `The rollout of ${who} stopped without a verdict: ${f.reason ?? 'it could not be judged within maxHold'}. No guard found it worse than stable; it gets no traffic now and ${v(f.stableVersion)} serves everything. Deploy it again when there is more traffic, or lengthen maxHold.`,
      };
    case 'PROMOTED': {
      const watch = f.watchUntil === undefined
        ? ''
        : ` The guards watch it until ${new Date(f.watchUntil * 1000).toISOString()}: one firing (or an abort) sends traffic back to ${v(f.stableVersion)}, which stays routable until then.`;
      if (f.weightPercent < 100) {
        return {
          subject: [name, ver, { text: ' promoted' }, { text: `: it serves ${pct(f.weightPercent)} of traffic until the watch ends, then 100%`, fit: 'drop' }],
          summary: `${who} passed every step and is now the stable version of ${f.target}; ${v(f.stableVersion)} keeps ${pct(100 - f.weightPercent)} as the judged guards' control while the guards watch.${watch}`,
        };
      }
      return {
        subject: [name, ver, { text: ' promoted' }, { text: ': it serves 100% of traffic', fit: 'drop' }],
        summary: `${who} passed every step and now serves all traffic of ${f.target}; ${v(f.stableVersion)} serves none.${watch}`,
      };
    }
    case 'ROLLED_BACK': {
      const cause = decider ?? f.reason ?? 'a guard failed';
      const causePiece: Piece = decider ? { text: `: ${decider}` } : { text: `: ${cause}`, fit: 'cut' };
      if (f.afterPromotion) {
        return {
          subject: [{ text: 'ROLLED BACK ' }, name, ver, { text: ' after its promotion' }, causePiece],
          summary: `${who} had been promoted; in the post-promotion watch ${cause}${evidenceOf(f.alarm)} sent all traffic of ${f.target} back to ${v(f.stableVersion)}.`,
        };
      }
      return {
        subject: [{ text: 'ROLLED BACK ' }, name, ver, { text: ` at ${pct(f.weightPercent)}` }, step, causePiece],
        summary: `${who} was rolled back at ${pct(f.weightPercent)} because of ${cause}${evidenceOf(f.alarm)}; ${v(f.stableVersion)} serves all traffic again.`,
      };
    }
    case 'FAILED':
      return {
        subject: [{ text: 'FAILED rollout of ' }, name, ver, step, { text: ': canary set to 0%', fit: 'drop' }],
        summary: `The rollout of ${who} stopped on an error (${f.reason ?? 'unknown'}); the canary gets no traffic and ${v(f.stableVersion)} serves everything.`,
      };
    case 'SUPERSEDED':
      return {
        subject: [{ text: 'rollout of ' }, name, ver, { text: ' superseded' }, { text: ' by a new deploy', fit: 'drop' }],
        summary: `A deploy replaced the rollout of ${who}: ${f.reason ?? 'its canary was set to 0% first'}.`,
      };
    case 'OPERATOR':
      return {
        subject: [name, ver, step, { text: `: ${f.operator?.command ?? 'command'} by ${f.operator ? shortIdentity(f.operator.by) : 'an operator'}`, fit: 'cut' }],
        summary: `An operator command reached the rollout of ${who} at ${pct(f.weightPercent)}: ${f.reason ?? ''}.`,
      };
    case 'APPROVAL_NEEDED':
      return {
        subject: [name, ver, { text: ` waits for approval at ${pct(f.weightPercent)}` }, step],
        summary: `${who} passed step ${f.step?.number} of ${f.step?.of} and holds at ${pct(f.weightPercent)}: ${f.reason ?? 'run cdk-model-canary approve'}.`,
      };
    case 'ROLLBACK_FAILED':
      if (f.afterPromotion) {
        return {
          subject: [{ text: `ACTION NEEDED: sending traffic back to ${v(f.stableVersion)} failed (` }, name, ver, { text: ' promoted)' }],
          summary: `In the post-promotion watch, sending all traffic of ${f.target} back to ${v(f.stableVersion)} failed (${f.reason ?? 'unknown error'}). ${who} may still serve everything: point the target back to ${v(f.stableVersion)} by hand.`,
        };
      }
      return {
        subject: [{ text: 'ACTION NEEDED: rollback of ' }, name, ver, step, { text: ' failed' }],
        summary: `The rollback of ${who} on ${f.target} failed (${f.reason ?? 'unknown error'}). The canary may still get ${pct(f.weightPercent)} of traffic: set its weight to 0 by hand.`,
      };
  }
}

/** The decider's value and threshold for the summary (the subject has no room for them). */
function evidenceOf(alarm: AlarmDetail | undefined): string {
  if (!alarm || alarm.value === undefined) return '';
  return ` (value ${alarm.value}${alarm.threshold === undefined ? '' : `, threshold ${alarm.threshold}`})`;
}

/** The pieces in printable ASCII within MAX_SUBJECT, shortened in the order {@link Piece} gives. */
function fitSubject(pieces: readonly Piece[]): string {
  const room = MAX_SUBJECT - SUBJECT_PREFIX.length;
  let parts = pieces.map((p) => ({ ...p, text: p.text.replace(/[^\x20-\x7e]/g, '?') }));
  const length = () => parts.reduce((n, p) => n + p.text.length, 0);
  for (let i = parts.length - 1; i >= 0 && length() > room; i--) {
    if (parts[i].fit === 'drop') parts = [...parts.slice(0, i), ...parts.slice(i + 1)];
  }
  const shorten = (kind: 'cut' | 'name', keep: number) => {
    parts = parts.map((p) => {
      const over = length() - room;
      if (p.fit !== kind || over <= 0) return p;
      const target = Math.max(keep, p.text.length - over - 3);
      if (target >= p.text.length) return p;
      const half = Math.ceil(target / 2);
      const text = kind === 'cut' ? `${p.text.slice(0, target)}...` : `${p.text.slice(0, half)}...${p.text.slice(p.text.length - (target - half))}`;
      return { ...p, text };
    });
  };
  shorten('cut', 12);
  shorten('name', 16);
  const text = parts.map((p) => p.text).join('');
  return SUBJECT_PREFIX + (text.length <= room ? text : `${text.slice(0, room - 3)}...`);
}

/** SNS subjects: printable ASCII, under 100 characters; longer text is cut at its end. */
export function subjectLine(text: string): string {
  return fitSubject([{ text, fit: 'cut' }]);
}

export function buildAlert(f: AlertFacts): Alert {
  const { subject, summary } = headline(f);
  const body = {
    schema: 'cdk-model-canary/alert@1',
    event: f.event,
    summary,
    canary: f.canaryName,
    target: f.target,
    stableVersion: f.stableVersion,
    canaryVersion: f.canaryVersion,
    weightPercent: f.weightPercent,
    step: f.step,
    reason: f.reason,
    alarm: f.alarm,
    canaryRequests: f.canaryRequests,
    operator: f.operator && { ...f.operator, at: new Date(f.operator.at * 1000).toISOString() },
    watchUntil: f.watchUntil === undefined ? undefined : new Date(f.watchUntil * 1000).toISOString(),
    afterPromotion: f.afterPromotion,
    hold: f.hold,
    at: new Date(f.at * 1000).toISOString(),
  };
  return { subject: fitSubject(subject), message: JSON.stringify(body, null, 2) };
}

let alertTopic: Promise<typeof import('./alert-topic.js')> | undefined;

/**
 * The SNS client loads with the first alert (most invocations of check, watch and the fast paths
 * send none), once: a warm function awaits a settled promise. A failed load is not kept.
 */
export function loadAlertTopic(): Promise<typeof import('./alert-topic.js')> {
  alertTopic ??= import('./alert-topic.js').catch((err: unknown) => {
    alertTopic = undefined;
    throw err;
  });
  return alertTopic;
}

export async function publishAlert(topicArn: string, facts: AlertFacts): Promise<Alert> {
  const alert = buildAlert(facts);
  const { publishToTopic } = await loadAlertTopic();
  await awsCall('Publish', () =>
    publishToTopic({
      TopicArn: topicArn,
      Subject: alert.subject,
      Message: alert.message,
      MessageAttributes: {
        [ALERT_ATTRIBUTES.canary]: { DataType: 'String', StringValue: facts.canaryName },
        [ALERT_ATTRIBUTES.event]: { DataType: 'String', StringValue: facts.event },
      },
    }),
  );
  return alert;
}

/**
 * For an alert after the fact (the promotion already happened): retries transient failures a few
 * times, then logs and gives up rather than failing a step whose work is done.
 */
export async function publishAlertAfterTheFact(topicArn: string, facts: AlertFacts, attempts = 4): Promise<Alert | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await publishAlert(topicArn, facts);
    } catch (err) {
      if (!(err instanceof TransientAwsError) || attempt >= attempts) {
        console.log(JSON.stringify({ level: 'ERROR', message: `${facts.event} alert not sent`, error: String(err) }));
        return undefined;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** (attempt - 1)));
    }
  }
}
