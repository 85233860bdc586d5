/** EventBridge pattern matching and input transformation, against the documented examples. */
import { type BusEvent, matchesPattern, targetInput } from '../../sim';

const ec2Event: BusEvent = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-0123456789', state: 'RUNNING' },
};

const paths = { instance: '$.detail.instance-id', state: '$.detail.state' };
const transform = (template: string) => targetInput({ Id: 't', Arn: 'x', InputTransformer: { InputPathsMap: paths, InputTemplate: template } }, ec2Event);

describe('input transformer', () => {
  it('inserts strings with quotes outside string literals and raw inside them (documented examples)', () => {
    expect(transform('{"instance" : <instance>, "state": <state>}')).toEqual({ instance: 'i-0123456789', state: 'RUNNING' });
    expect(transform('{"instance" : <instance>, "state": "<state>", "instanceStatus": "instance \\"<instance>\\" is in <state>"}')).toEqual({
      instance: 'i-0123456789',
      state: 'RUNNING',
      instanceStatus: 'instance "i-0123456789" is in RUNNING',
    });
    expect(transform('{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}')).toEqual({
      instance: 'i-0123456789',
      state: [9, 'RUNNING', true],
      Transformed: 'Yes',
    });
    expect(transform('"instance <instance> is in <state>"')).toBe('instance i-0123456789 is in RUNNING');
  });

  it('inserts objects as JSON', () => {
    const out = targetInput({ Id: 't', Arn: 'x', InputTransformer: { InputPathsMap: { d: '$.detail' }, InputTemplate: '{"event":{"detail":<d>}}' } }, ec2Event);
    expect(out).toEqual({ event: { detail: ec2Event.detail } });
  });
});

describe('event patterns', () => {
  it('matches arrays of values, nested objects and resources lists', () => {
    expect(matchesPattern({ source: ['aws.ec2'], detail: { state: ['RUNNING', 'STOPPED'] } }, ec2Event)).toBe(true);
    expect(matchesPattern({ source: ['aws.ec2'], detail: { state: ['STOPPED'] } }, ec2Event)).toBe(false);
    expect(matchesPattern({ resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'] }, ec2Event)).toBe(true);
    expect(matchesPattern({ resources: ['arn:aws:ec2:us-east-1:123456789012:instance/other'] }, ec2Event)).toBe(false);
    expect(matchesPattern({ detail: { missing: ['x'] } }, ec2Event)).toBe(false);
    expect(matchesPattern({ detail: { state: [{ prefix: 'RUN' }] } }, ec2Event)).toBe(true);
    expect(matchesPattern({ detail: { state: [{ 'anything-but': 'RUNNING' }] } }, ec2Event)).toBe(false);
  });
});
