import { createHash } from 'node:crypto';
import { Annotations, Lazy, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { ALERT_ATTRIBUTES } from '../../lambda/shared/alert-attributes';
import { StackController } from './stack-controller';

/** The id of the deploy-time reminder to confirm the subscriptions (acknowledge it on the stack). */
export const EMAIL_CONFIRMATION_WARNING = 'cdk-model-canary:emailConfirmation';

/** The canaries that list an address, per topic: one subscription each, however many canaries list it. */
const subscriptions = new WeakMap<Construct, Map<string, string[]>>();

/**
 * Subscribes each address to the canary's topic once per stack and topic, with a filter policy on
 * the alerts' `canary` attribute listing every canary of the stack that names the address: one
 * confirmation email per address, and each address hears only of its own canaries.
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html
 */
export function addAlertEmails(canary: Construct & { readonly canaryName: string }, topic: sns.ITopic, emails: readonly string[]): void {
  if (emails.length === 0) return;
  const controller = StackController.of(canary);
  const byTopic = subscriptions.get(controller) ?? new Map<string, string[]>();
  subscriptions.set(controller, byTopic);
  const topicKey = Stack.of(canary).resolve(topic.topicArn);
  const fresh: string[] = [];
  for (const email of new Set(emails)) {
    const key = `${JSON.stringify(topicKey)} ${email}`;
    const listed = byTopic.get(key);
    if (listed) {
      listed.push(canary.canaryName);
      continue;
    }
    const canaries = [canary.canaryName];
    byTopic.set(key, canaries);
    fresh.push(email);
    new sns.CfnSubscription(controller, `AlertEmail${createHash('sha256').update(key).digest('hex').slice(0, 8)}`, {
      topicArn: topic.topicArn,
      protocol: 'email',
      endpoint: email,
      filterPolicy: Lazy.any({ produce: () => ({ [ALERT_ATTRIBUTES.canary]: [...canaries] }) }),
    });
  }
  // Once per new subscription: a second canary listing the same address adds no email to confirm.
  if (fresh.length > 0) {
    // https://docs.aws.amazon.com/sns/latest/dg/sns-email-notifications.html
    Annotations.of(canary).addWarningV2(
      EMAIL_CONFIRMATION_WARNING,
      `alertEmails: each address gets a confirmation email from AWS Notifications after the deploy (one per address and topic, however many canaries list it) and receives no alert until it clicks "Confirm subscription"; SNS deletes a subscription left unconfirmed for 3 days (${fresh.join(', ')}). Acknowledge with Annotations.of(stack).acknowledgeWarning('${EMAIL_CONFIRMATION_WARNING}')`,
    );
  }
}
