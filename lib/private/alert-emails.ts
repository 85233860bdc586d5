import { createHash } from 'node:crypto';
import { Lazy, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { ALERT_ATTRIBUTES } from '../../lambda/shared/alert-attributes';
import { StackController } from './stack-controller';

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
  for (const email of new Set(emails)) {
    const key = `${JSON.stringify(topicKey)} ${email}`;
    const listed = byTopic.get(key);
    if (listed) {
      listed.push(canary.canaryName);
      continue;
    }
    const canaries = [canary.canaryName];
    byTopic.set(key, canaries);
    new sns.CfnSubscription(controller, `AlertEmail${createHash('sha256').update(key).digest('hex').slice(0, 8)}`, {
      topicArn: topic.topicArn,
      protocol: 'email',
      endpoint: email,
      filterPolicy: Lazy.any({ produce: () => ({ [ALERT_ATTRIBUTES.canary]: [...canaries] }) }),
    });
  }
}
