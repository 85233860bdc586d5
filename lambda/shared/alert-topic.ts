/**
 * Sends a message to an alert topic. alerts.ts loads this module (and the SNS client with it)
 * when the first alert goes out: most invocations of check, watch and the fast paths send none.
 */
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';

const sns = new SNSClient({});

export async function publishToTopic(input: PublishCommandInput): Promise<void> {
  await sns.send(new PublishCommand(input));
}
