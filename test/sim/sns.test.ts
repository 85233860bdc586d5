import { Random, SnsSim } from '../../sim';

// API_Publish: a subject "must be less than 100 characters long", printable ASCII.
test('the simulated Publish accepts a subject of 99 characters and refuses one of 100', () => {
  const sns = new SnsSim(new Random(1), () => 0);
  const arn = 'arn:aws:sns:us-east-1:123456789012:alerts';
  sns.topics.add(arn);
  expect(() => sns.publish({ TopicArn: arn, Message: 'm', Subject: 's'.repeat(99) })).not.toThrow();
  expect(() => sns.publish({ TopicArn: arn, Message: 'm', Subject: 's'.repeat(100) })).toThrow(/Invalid parameter: Subject/);
  expect(sns.published).toHaveLength(1);
});
