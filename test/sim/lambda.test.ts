/** The simulated Lambda control plane: weighted aliases with the validation Lambda documents. */
import { InvalidParameterValueException, PreconditionFailedException, ResourceConflictException, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { LambdaSim, Random } from '../../sim';

function setup() {
  const lambda = new LambdaSim(new Random(3), () => 0);
  lambda.addFunction({ logicalId: 'Fn', name: 'fn', timeoutSeconds: 3 });
  for (const v of ['1', '2', '3']) lambda.publishVersion('fn', v);
  const alias = lambda.createAlias({ FunctionName: 'fn', Name: 'live', FunctionVersion: '1' });
  return { lambda, revision: alias.RevisionId! };
}

function thrown(fn: () => unknown): Error & { $metadata?: { httpStatusCode?: number }; $fault?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('weighted aliases', () => {
  it('routes to one additional version with a weight and gives every change a new RevisionId', () => {
    const { lambda, revision } = setup();
    const out = lambda.updateAlias({ FunctionName: 'fn', Name: 'live', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.05 } }, RevisionId: revision });
    expect(out).toMatchObject({ FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.05 } } });
    expect(out.RevisionId).not.toBe(revision);
    const again = lambda.updateAlias({ FunctionName: 'fn', Name: 'live', FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: {} } });
    expect(again.RoutingConfig).toBeUndefined();
    expect(again.RevisionId).not.toBe(out.RevisionId);
    expect(lambda.getAlias({ FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:fn', Name: 'live' }).FunctionVersion).toBe('2');
  });

  it('rejects a stale RevisionId with PreconditionFailedException (412)', () => {
    const { lambda, revision } = setup();
    lambda.updateAlias({ FunctionName: 'fn', Name: 'live', RoutingConfig: { AdditionalVersionWeights: { '2': 0.25 } } });
    const err = thrown(() => lambda.updateAlias({ FunctionName: 'fn', Name: 'live', RoutingConfig: { AdditionalVersionWeights: {} }, RevisionId: revision }));
    expect(err).toBeInstanceOf(PreconditionFailedException);
    expect(err.name).toBe('PreconditionFailedException');
    expect(err.$metadata?.httpStatusCode).toBe(412);
    expect(err.$fault).toBe('client');
    expect(lambda.alias('fn', 'live')!.weights).toEqual({ '2': 0.25 });
  });

  it.each([
    ['a weight above 1', { '2': 1.5 }],
    ['a negative weight', { '2': -0.1 }],
    ['two additional versions', { '2': 0.1, '3': 0.1 }],
    ['the primary version as additional', { '1': 0.1 }],
    ['a version that does not exist', { '9': 0.1 }],
  ])('rejects %s with InvalidParameterValueException', (_what, weights) => {
    const { lambda } = setup();
    const err = thrown(() => lambda.updateAlias({ FunctionName: 'fn', Name: 'live', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: weights } }));
    expect(err).toBeInstanceOf(InvalidParameterValueException);
    expect(err.$metadata?.httpStatusCode).toBe(400);
    expect(lambda.alias('fn', 'live')!.weights).toEqual({});
  });

  it('rejects a FunctionVersion that does not exist, a missing alias or function, and a duplicate alias', () => {
    const { lambda } = setup();
    expect(thrown(() => lambda.updateAlias({ FunctionName: 'fn', Name: 'live', FunctionVersion: '9' }))).toBeInstanceOf(ResourceNotFoundException);
    expect(thrown(() => lambda.getAlias({ FunctionName: 'fn', Name: 'nope' }))).toBeInstanceOf(ResourceNotFoundException);
    expect(thrown(() => lambda.getAlias({ FunctionName: 'other', Name: 'live' })).$metadata?.httpStatusCode).toBe(404);
    expect(thrown(() => lambda.createAlias({ FunctionName: 'fn', Name: 'live', FunctionVersion: '1' }))).toBeInstanceOf(ResourceConflictException);
  });

  it('splits requests by weight', () => {
    const { lambda } = setup();
    lambda.updateAlias({ FunctionName: 'fn', Name: 'live', RoutingConfig: { AdditionalVersionWeights: { '2': 0.25 } } });
    const alias = lambda.alias('fn', 'live')!;
    let canary = 0;
    for (let i = 0; i < 10_000; i++) if (lambda.route(alias) === '2') canary++;
    expect(canary / 10_000).toBeGreaterThan(0.23);
    expect(canary / 10_000).toBeLessThan(0.27);
  });
});

describe('weighted routing needs the same execution role and DLQ on both versions', () => {
  // https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html
  function withVersions(second: { role?: string; deadLetterTargetArn?: string }) {
    const lambda = new LambdaSim(new Random(3), () => 0);
    lambda.addFunction({ logicalId: 'Fn', name: 'fn', timeoutSeconds: 3 });
    lambda.publishVersion('fn', '1', { role: 'arn:aws:iam::123456789012:role/model' });
    lambda.publishVersion('fn', '2', { role: 'arn:aws:iam::123456789012:role/model', ...second });
    lambda.createAlias({ FunctionName: 'fn', Name: 'live', FunctionVersion: '1' });
    return lambda;
  }

  it('same role and no DLQ: routing works', () => {
    const lambda = withVersions({});
    lambda.updateAlias({ FunctionName: 'fn', Name: 'live', RoutingConfig: { AdditionalVersionWeights: { '2': 0.05 } } });
    expect(lambda.alias('fn', 'live')!.weights).toEqual({ '2': 0.05 });
  });

  it.each([
    ['another execution role', { role: 'arn:aws:iam::123456789012:role/model-v2' }, /different execution roles/],
    ['a DLQ on one version only', { deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:dlq' }, /different dead-letter queue/],
  ])('%s: UpdateAlias with routing fails, the alias is unchanged', (_what, second, message) => {
    const lambda = withVersions(second);
    const err = thrown(() => lambda.updateAlias({ FunctionName: 'fn', Name: 'live', RoutingConfig: { AdditionalVersionWeights: { '2': 0.05 } } }));
    expect(err).toBeInstanceOf(InvalidParameterValueException);
    expect(err.message).toMatch(message);
    expect(lambda.alias('fn', 'live')!.weights).toEqual({});
    // Moving the alias to the new version at once (no routing) is allowed.
    lambda.updateAlias({ FunctionName: 'fn', Name: 'live', FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: {} } });
    expect(lambda.alias('fn', 'live')!.functionVersion).toBe('2');
  });

  it('GetFunctionConfiguration reports each version\'s role and DLQ', () => {
    const lambda = withVersions({ role: 'arn:aws:iam::123456789012:role/model-v2', deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:dlq' });
    expect(lambda.getFunctionConfiguration({ FunctionName: 'fn', Qualifier: '1' })).toMatchObject({ Version: '1', Role: 'arn:aws:iam::123456789012:role/model' });
    expect(lambda.getFunctionConfiguration({ FunctionName: 'fn', Qualifier: '2' })).toMatchObject({
      Version: '2',
      Role: 'arn:aws:iam::123456789012:role/model-v2',
      DeadLetterConfig: { TargetArn: 'arn:aws:sqs:us-east-1:123456789012:dlq' },
    });
    expect(thrown(() => lambda.getFunctionConfiguration({ FunctionName: 'fn', Qualifier: '9' }))).toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('alias Description', () => {
  it('is kept by UpdateAlias without a Description and replaced by one with it, as Lambda does', () => {
    const { lambda } = setup();
    lambda.updateAlias({ FunctionName: 'fn', Name: 'live', Description: 'owner=a' });
    lambda.updateAlias({ FunctionName: 'fn', Name: 'live', RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } } });
    expect(lambda.getAlias({ FunctionName: 'fn', Name: 'live' }).Description).toBe('owner=a');
    lambda.updateAlias({ FunctionName: 'fn', Name: 'live', Description: '' });
    expect(lambda.getAlias({ FunctionName: 'fn', Name: 'live' }).Description).toBe('');
  });
});
