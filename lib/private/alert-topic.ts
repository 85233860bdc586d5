import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

/**
 * The alert topic, encrypted with a key of its own. Not the AWS managed key `alias/aws/sns`: its
 * policy cannot be changed, so CloudWatch alarm actions and EventBridge rules could not publish to
 * the topic; a customer managed key whose policy lets those services use it can
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html, "Enable compatibility
 * between event sources from AWS services and encrypted topics"). Referencing the key itself also
 * lets every grant name this one key instead of `key/*`.
 */
export function alertTopic(scope: Construct, displayName: string, what: string): sns.Topic {
  const key = new kms.Key(scope, 'AlertsKey', {
    description: `cdk-model-canary: encrypts ${what}`,
    enableKeyRotation: true,
    // The topic is deleted with the stack, and with it every use of the key: schedule its deletion
    // too (KMS waits 30 days) instead of leaving a key that bills every month.
    removalPolicy: RemovalPolicy.DESTROY,
  });
  // The documented statement for AWS event sources: data keys for messages they publish. The
  // EventBridge case does not support aws:SourceAccount/aws:SourceArn conditions in a key policy.
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AwsEventSourcesPublishToTheAlertTopic',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com'), new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }),
  );
  return new sns.Topic(scope, 'Alerts', {
    // SNS allows display names of at most 100 characters.
    displayName: displayName.slice(0, 100),
    masterKey: key,
    enforceSSL: true,
  });
}
