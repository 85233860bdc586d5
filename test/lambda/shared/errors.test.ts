import { CloudWatchServiceException } from '@aws-sdk/client-cloudwatch';
import {
  PreconditionFailedException,
  ResourceNotFoundException,
  ServiceException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { awsCall, errorName, isTransient, TransientAwsError } from '../../../lambda/shared/errors';
import { errorOf } from '../helpers';

function awsError(name: string, status: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, ...extra });
}

describe('isTransient', () => {
  test.each<[string, unknown]>([
    ['Lambda TooManyRequestsException', new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } })],
    ['ThrottlingException (by name, no status)', Object.assign(new Error('slow down'), { name: 'ThrottlingException' })],
    ['Lambda ServiceException', new ServiceException({ message: 'boom', $metadata: { httpStatusCode: 500 } })],
    ['an unknown 503', awsError('SomethingNew', 503)],
    ['an unknown 500 from CloudWatch', new CloudWatchServiceException({ name: 'Weird', $fault: 'server', $metadata: { httpStatusCode: 500 } })],
    ['$retryable set by the SDK', awsError('Odd', 400, { $retryable: { throttling: true } })],
    ['a 429 under any name', awsError('SlowDown', 429)],
    ['a network timeout (code)', Object.assign(new Error('socket'), { code: 'ETIMEDOUT' })],
  ])('%s is transient', (_name, err) => {
    expect(isTransient(err)).toBe(true);
  });

  test.each<[string, unknown]>([
    ['AccessDeniedException 403', awsError('AccessDeniedException', 403)],
    ['ValidationException 400', awsError('ValidationException', 400)],
    ['ResourceNotFoundException', new ResourceNotFoundException({ message: 'no alias', $metadata: { httpStatusCode: 404 } })],
    ['PreconditionFailedException', new PreconditionFailedException({ message: 'revision', $metadata: { httpStatusCode: 412 } })],
    ['a plain Error', new Error('bug')],
    ['a string', 'ThrottlingException'],
    ['null', null],
  ])('%s is not transient', (_name, err) => {
    expect(isTransient(err)).toBe(false);
  });
});

describe('awsCall', () => {
  test('returns the result', async () => {
    await expect(awsCall('GetAlias', async () => 42)).resolves.toBe(42);
  });

  test.each([
    ['TooManyRequestsException', new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } })],
    ['ThrottlingException', awsError('ThrottlingException', 400)],
    ['a 5xx', awsError('InternalFailure', 500)],
    ['$retryable', awsError('Unknown', 400, { $retryable: {} })],
  ])('turns %s into TransientAwsError naming the call', async (_name, err) => {
    const e = await errorOf(() => awsCall('UpdateAlias', () => Promise.reject(err)));
    expect(e).toBeInstanceOf(TransientAwsError);
    expect(e.name).toBe('TransientAwsError');
    expect(e.message).toMatch(/^UpdateAlias: /);
  });

  test.each([
    ['AccessDeniedException', awsError('AccessDeniedException', 403)],
    ['ValidationException', awsError('ValidationException', 400)],
  ])('passes %s through unchanged', async (_name, err) => {
    const e = await errorOf(() => awsCall('UpdateAlias', () => Promise.reject(err)));
    expect(e).toBe(err);
    expect(errorName(e)).toBe(_name);
  });
});
