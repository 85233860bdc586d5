import type { PublishCommandInput, PublishCommandOutput } from '@aws-sdk/client-sns';
import { awsError } from '../core/aws-errors';
import type { Random } from '../core/random';

export interface PublishedMessage {
  readonly at: number;
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
  readonly messageId: string;
  /** The function (handler name) that published it. */
  readonly by?: string;
}

/**
 * SNS Publish with the documented validation: the topic must exist; Subject is printable ASCII and
 * "must be less than 100 characters long" (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
 */
export class SnsSim {
  public readonly topics = new Set<string>();
  public readonly published: PublishedMessage[] = [];

  constructor(
    private readonly random: Random,
    private readonly now: () => number,
  ) {}

  public publish(input: PublishCommandInput, by?: string): PublishCommandOutput {
    const arn = input.TopicArn ?? input.TargetArn;
    if (!arn) throw awsError('sns', 'InvalidParameterException', 400, 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
    if (!this.topics.has(arn)) throw awsError('sns', 'NotFoundException', 404, 'Topic does not exist');
    if (input.Message === undefined || input.Message === '') {
      throw awsError('sns', 'InvalidParameterException', 400, 'Invalid parameter: Message Reason: Empty message');
    }
    if (Buffer.byteLength(input.Message) > 262_144) {
      throw awsError('sns', 'InvalidParameterException', 400, 'Invalid parameter: Message too long');
    }
    if (input.Subject !== undefined) {
      const s = input.Subject;
      if (s.length === 0 || s.length >= 100 || !/^[\x20-\x7e]+$/.test(s)) {
        throw awsError('sns', 'InvalidParameterException', 400, 'Invalid parameter: Subject');
      }
    }
    const messageId = this.random.uuid();
    this.published.push({ at: this.now(), topicArn: arn, subject: input.Subject, message: input.Message, messageId, by });
    return { $metadata: { httpStatusCode: 200 }, MessageId: messageId };
  }
}
