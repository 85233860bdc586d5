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
  readonly hold?: 'traffic' | 'approval' | 'paused' | 'evidence' | 'blind';
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

function headline(f: AlertFacts): { subject: string; summary: string } {
  const who = `${f.canaryName} ${v(f.canaryVersion)}`;
  switch (f.event) {
    case 'STARTED':
      return {
        subject: `rollout of ${who} started (stable ${v(f.stableVersion)})`,
        summary: `A rollout of ${who} started on ${f.target}; ${v(f.stableVersion)} serves all traffic until the first step.`,
      };
    case 'STEP':
      return {
        subject: `${who} now gets ${pct(f.weightPercent)} of traffic (step ${f.step?.number}/${f.step?.of})`,
        summary: `Step ${f.step?.number} of ${f.step?.of}: ${who} receives ${pct(f.weightPercent)} of the traffic of ${f.target}.`,
      };
    case 'HOLDING': {
      const what = f.hold === 'evidence' ? 'not enough evidence yet' : f.hold === 'blind' ? 'a guard cannot judge it' : 'not enough traffic yet';
      return {
        subject: `${who} holding at ${pct(f.weightPercent)}: ${what}`,
        summary: `${who} is held at ${pct(f.weightPercent)}: ${f.reason ?? 'too few requests to judge it'}. It will not be promoted without evidence.`,
      };
    }
    case 'INSUFFICIENT_EVIDENCE':
      return {
        subject: `NOT PROMOTED ${who}: insufficient evidence, not a regression`,
        summary: `The rollout of ${who} stopped without a verdict: ${f.reason ?? 'it could not be judged within maxHold'}. No guard found it worse than stable; it gets no traffic now and ${v(f.stableVersion)} serves everything. Deploy it again when there is more traffic, or lengthen maxHold.`,
      };
    case 'PROMOTED': {
      const watch = f.watchUntil === undefined
        ? ''
        : ` The guards watch it until ${new Date(f.watchUntil * 1000).toISOString()}: one firing (or an abort) sends traffic back to ${v(f.stableVersion)}, which stays routable until then.`;
      if (f.weightPercent < 100) {
        return {
          subject: `${who} promoted: it serves ${pct(f.weightPercent)} of traffic until the watch ends, then 100%`,
          summary: `${who} passed every step and is now the stable version of ${f.target}; ${v(f.stableVersion)} keeps ${pct(100 - f.weightPercent)} as the judged guards' control while the guards watch.${watch}`,
        };
      }
      return {
        subject: `${who} promoted: it serves 100% of traffic`,
        summary: `${who} passed every step and now serves all traffic of ${f.target}; ${v(f.stableVersion)} serves none.${watch}`,
      };
    }
    case 'ROLLED_BACK': {
      const cause = f.alarm ? `alarm ${f.alarm.name}` : (f.reason ?? 'a guard failed');
      if (f.afterPromotion) {
        return {
          subject: `ROLLED BACK ${who} after its promotion: ${cause}`,
          summary: `${who} had been promoted; in the post-promotion watch ${cause} sent all traffic of ${f.target} back to ${v(f.stableVersion)}.`,
        };
      }
      return {
        subject: `ROLLED BACK ${who} at ${pct(f.weightPercent)}: ${cause}`,
        summary: `${who} was rolled back at ${pct(f.weightPercent)} because of ${cause}; ${v(f.stableVersion)} serves all traffic again.`,
      };
    }
    case 'FAILED':
      return {
        subject: `FAILED rollout of ${who}: canary set to 0%`,
        summary: `The rollout of ${who} stopped on an error (${f.reason ?? 'unknown'}); the canary gets no traffic and ${v(f.stableVersion)} serves everything.`,
      };
    case 'SUPERSEDED':
      return {
        subject: `rollout of ${who} superseded by a new deploy`,
        summary: `A deploy replaced the rollout of ${who}: ${f.reason ?? 'its canary was set to 0% first'}.`,
      };
    case 'OPERATOR':
      return {
        subject: `${who}: ${f.operator?.command ?? 'command'} by ${f.operator ? shortIdentity(f.operator.by) : 'an operator'}`,
        summary: `An operator command reached the rollout of ${who} at ${pct(f.weightPercent)}: ${f.reason ?? ''}.`,
      };
    case 'APPROVAL_NEEDED':
      return {
        subject: `${who} waits for approval at ${pct(f.weightPercent)}`,
        summary: `${who} passed step ${f.step?.number} of ${f.step?.of} and holds at ${pct(f.weightPercent)}: ${f.reason ?? 'run cdk-model-canary approve'}.`,
      };
    case 'ROLLBACK_FAILED':
      if (f.afterPromotion) {
        return {
          subject: `ACTION NEEDED: sending traffic back to ${v(f.stableVersion)} failed (${who} promoted)`,
          summary: `In the post-promotion watch, sending all traffic of ${f.target} back to ${v(f.stableVersion)} failed (${f.reason ?? 'unknown error'}). ${who} may still serve everything: point the target back to ${v(f.stableVersion)} by hand.`,
        };
      }
      return {
        subject: `ACTION NEEDED: rollback of ${who} failed`,
        summary: `The rollback of ${who} on ${f.target} failed (${f.reason ?? 'unknown error'}). The canary may still get ${pct(f.weightPercent)} of traffic: set its weight to 0 by hand.`,
      };
  }
}

/** SNS subjects: printable ASCII, at most 100 characters. */
export function subjectLine(text: string): string {
  const ascii = `[canary] ${text}`.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= 100 ? ascii : `${ascii.slice(0, 97)}...`;
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
  return { subject: subjectLine(subject), message: JSON.stringify(body, null, 2) };
}

export async function publishAlert(topicArn: string, facts: AlertFacts): Promise<Alert> {
  const alert = buildAlert(facts);
  // The SNS client loads with the first alert: most invocations of check, watch and the fast paths send none.
  const { publishToTopic } = await import('./alert-topic.js');
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
