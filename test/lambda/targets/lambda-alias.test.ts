import {
  CreateAliasCommand,
  DeleteAliasCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  PreconditionFailedException,
  ResourceNotFoundException,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { TargetStateError } from '../../../lambda/shared/errors';
import { targetFor } from '../../../lambda/targets';
import { UNRECORDED } from '../../../lambda/shared/ownership';
import { LambdaAliasTarget, ownerDescription, ownerOf } from '../../../lambda/targets/lambda-alias/target';
import { ALIAS_NAME, FUNCTION_NAME, RELEASE, alias, errorOf } from '../helpers';

const lambda = mockClient(LambdaClient);
const target = new LambdaAliasTarget({ kind: 'lambda-alias', functionName: FUNCTION_NAME, aliasName: ALIAS_NAME });
const expected = { stable: '5', canary: '6', canaryPercent: 5, revision: 'rev-7' };
const encode = (s: string) => new TextEncoder().encode(s);

beforeEach(() => lambda.reset());

describe('LambdaAliasTarget', () => {
  test('identity: id function:alias, name the alias, a readable description', async () => {
    expect(target.id).toBe(`${FUNCTION_NAME}:${ALIAS_NAME}`);
    expect(target.name).toBe(ALIAS_NAME);
    expect(target.description).toBe(`alias ${ALIAS_NAME} of function ${FUNCTION_NAME}`);
    expect(await targetFor({ kind: 'lambda-alias', functionName: FUNCTION_NAME, aliasName: ALIAS_NAME })).toBeInstanceOf(LambdaAliasTarget);
  });

  test('targetFor refuses an unknown kind', async () => {
    await expect(targetFor({ kind: 'sagemaker' } as never)).rejects.toThrow(/Unknown target kind "sagemaker"/);
  });

  describe('read', () => {
    test('parses the stable version, the canary weight as percent and the revision', async () => {
      lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.05 }, 'rev-7'));
      expect(await target.read()).toEqual({ stable: '5', canary: '6', canaryPercent: 5, revision: 'rev-7' });
      expect(lambda).toHaveReceivedCommandWith(GetAliasCommand, { FunctionName: FUNCTION_NAME, Name: ALIAS_NAME });
    });

    test.each([
      [0.333333, 33.3333],
      [1, 100],
      [0, 0],
    ])('weight %s -> %s %%', async (weight, percent) => {
      lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight }));
      expect((await target.read()).canaryPercent).toBe(percent);
    });

    test('no routing config: no canary, 0 %', async () => {
      lambda.on(GetAliasCommand).resolves(alias('5'));
      expect(await target.read()).toEqual({ stable: '5', canary: undefined, canaryPercent: 0, revision: 'rev-1' });
    });
  });

  describe('shift / promote / rollback', () => {
    test('shift to 5 % keeps stable as FunctionVersion and gives the canary 0.05, conditional on the revision', async () => {
      lambda.on(UpdateAliasCommand).resolves({});
      await target.shift(RELEASE, 5, expected);
      expect(lambda).toHaveReceivedCommandTimes(UpdateAliasCommand, 1);
      expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, {
        FunctionName: FUNCTION_NAME,
        Name: ALIAS_NAME,
        FunctionVersion: '5',
        RoutingConfig: { AdditionalVersionWeights: { '6': 0.05 } },
        RevisionId: 'rev-7',
      });
    });

    test.each([
      [25, 0.25],
      [33.3333, 0.333333],
      [0.1, 0.001],
    ])('shift to %s %% sends exactly %s', async (percent, weight) => {
      lambda.on(UpdateAliasCommand).resolves({});
      await target.shift(RELEASE, percent, expected);
      expect(lambda.commandCalls(UpdateAliasCommand)[0].args[0].input.RoutingConfig?.AdditionalVersionWeights).toEqual({ '6': weight });
    });

    test('promote makes the canary the FunctionVersion with no weights', async () => {
      lambda.on(UpdateAliasCommand).resolves({});
      await target.promote(RELEASE, expected);
      expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, {
        FunctionVersion: '6',
        RoutingConfig: { AdditionalVersionWeights: {} },
        RevisionId: 'rev-7',
      });
    });

    test('rollback keeps stable with no weights', async () => {
      lambda.on(UpdateAliasCommand).resolves({});
      await target.rollback(RELEASE, expected);
      expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, {
        FunctionVersion: '5',
        RoutingConfig: { AdditionalVersionWeights: {} },
        RevisionId: 'rev-7',
      });
    });

    test('a changed revision (PreconditionFailedException) becomes TargetStateMismatch', async () => {
      lambda.on(UpdateAliasCommand).rejects(new PreconditionFailedException({ message: 'RevisionId mismatch', $metadata: { httpStatusCode: 412 } }));
      const err = await errorOf(() => target.shift(RELEASE, 25, expected));
      expect(err).toBeInstanceOf(TargetStateError);
      expect(err.name).toBe('TargetStateMismatch');
      expect(err.message).toContain(target.description);
    });

    test('other errors pass through', async () => {
      const denied = Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
      lambda.on(UpdateAliasCommand).rejects(denied);
      await expect(target.rollback(RELEASE, expected)).rejects.toBe(denied);
    });
  });

  describe('invokeCanary', () => {
    test('invokes the canary version directly with the payload', async () => {
      lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode('{"label":"positive"}') as never });
      const result = await target.invokeCanary(RELEASE, '{"text":"great"}');
      expect(result).toEqual({ ok: true, body: '{"label":"positive"}' });
      const input = lambda.commandCalls(InvokeCommand)[0].args[0].input;
      expect(input.FunctionName).toBe(FUNCTION_NAME);
      expect(input.Qualifier).toBe('6');
      expect(new TextDecoder().decode(input.Payload as Uint8Array)).toBe('{"text":"great"}');
    });

    test('a FunctionError is not ok, even with status 200', async () => {
      lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: encode('{"errorMessage":"model not loaded"}') as never });
      const result = await target.invokeCanary(RELEASE, '{}');
      expect(result.ok).toBe(false);
      expect(result.error).toContain('Unhandled');
      expect(result.error).toContain('model not loaded');
    });

    test('a status of 300 or more is not ok', async () => {
      lambda.on(InvokeCommand).resolves({ StatusCode: 502 });
      expect(await target.invokeCanary(RELEASE, '{}')).toEqual({ ok: false, body: '', error: 'status 502' });
    });
  });

  describe('ensureServing', () => {
    test('an existing alias is left as it is', async () => {
      lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.25 }));
      const out = await target.ensureServing('7');
      expect(out).toEqual({ created: false, split: { stable: '5', canary: '6', canaryPercent: 25, revision: 'rev-1' } });
      expect(lambda).not.toHaveReceivedCommand(CreateAliasCommand);
    });

    test('creates the alias on the version when GetAlias says ResourceNotFoundException', async () => {
      lambda.on(GetAliasCommand).rejects(new ResourceNotFoundException({ message: 'Alias not found', $metadata: { httpStatusCode: 404 } }));
      lambda.on(CreateAliasCommand).resolves(alias('3', undefined, 'rev-new'));
      const out = await target.ensureServing('3');
      expect(out).toEqual({ created: true, split: { stable: '3', canary: undefined, canaryPercent: 0, revision: 'rev-new' } });
      expect(lambda).toHaveReceivedCommandWith(CreateAliasCommand, { FunctionName: FUNCTION_NAME, Name: ALIAS_NAME, FunctionVersion: '3' });
    });

    test('any other GetAlias error is thrown, nothing is created', async () => {
      lambda.on(GetAliasCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
      await expect(target.ensureServing('3')).rejects.toThrow('denied');
      expect(lambda).not.toHaveReceivedCommand(CreateAliasCommand);
    });
  });

  describe('remove', () => {
    test('deletes the alias', async () => {
      lambda.on(DeleteAliasCommand).resolves({});
      await target.remove();
      expect(lambda).toHaveReceivedCommandWith(DeleteAliasCommand, { FunctionName: FUNCTION_NAME, Name: ALIAS_NAME });
    });

    test('an alias that is already gone is fine', async () => {
      lambda.on(DeleteAliasCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: { httpStatusCode: 404 } }));
      await expect(target.remove()).resolves.toBeUndefined();
    });
  });

  test('metric: Invocations / Errors with Resource "function:alias" (not an ARN) and ExecutedVersion', () => {
    expect(target.metric('6', 'requests')).toEqual({
      namespace: 'AWS/Lambda',
      metricName: 'Invocations',
      dimensions: { FunctionName: FUNCTION_NAME, Resource: `${FUNCTION_NAME}:${ALIAS_NAME}`, ExecutedVersion: '6' },
    });
    expect(target.metric('5', 'errors').metricName).toBe('Errors');
  });

  describe('prepare: both versions need the same execution role and DLQ', () => {
    const config = (version: string, role: string, dlq?: string) => ({
      FunctionName: FUNCTION_NAME,
      Version: version,
      Role: `arn:aws:iam::123456789012:role/${role}`,
      ...(dlq ? { DeadLetterConfig: { TargetArn: `arn:aws:sqs:us-east-1:123456789012:${dlq}` } } : {}),
    });

    test('same role, no DLQ: ready, and both versions were read by qualifier', async () => {
      lambda.on(GetFunctionConfigurationCommand, { Qualifier: '5' }).resolves(config('5', 'model-role'));
      lambda.on(GetFunctionConfigurationCommand, { Qualifier: '6' }).resolves(config('6', 'model-role'));
      await expect(target.prepare(RELEASE)).resolves.toBeUndefined();
      expect(lambda).toHaveReceivedCommandWith(GetFunctionConfigurationCommand, { FunctionName: FUNCTION_NAME, Qualifier: '5' });
      expect(lambda).toHaveReceivedCommandWith(GetFunctionConfigurationCommand, { FunctionName: FUNCTION_NAME, Qualifier: '6' });
    });

    test('another execution role: TargetStateMismatch that names both roles, the rule and the way out', async () => {
      lambda.on(GetFunctionConfigurationCommand, { Qualifier: '5' }).resolves(config('5', 'model-role'));
      lambda.on(GetFunctionConfigurationCommand, { Qualifier: '6' }).resolves(config('6', 'model-role-v2'));
      const err = await errorOf(() => target.prepare(RELEASE));
      expect(err).toBeInstanceOf(TargetStateError);
      expect(err.message).toMatch(/versions 5 and 6 differ in execution role \(model-role vs model-role-v2\)/);
      expect(err.message).toMatch(/same execution role and dead-letter queue/);
      expect(err.message).toMatch(/update-alias --function-version 6/);
      expect(err.message.length).toBeLessThan(450);
    });

    test('a DLQ added: TargetStateMismatch naming the DLQ', async () => {
      lambda.on(GetFunctionConfigurationCommand, { Qualifier: '5' }).resolves(config('5', 'model-role'));
      lambda.on(GetFunctionConfigurationCommand, { Qualifier: '6' }).resolves(config('6', 'model-role', 'model-dlq'));
      const err = await errorOf(() => target.prepare(RELEASE));
      expect(err.message).toMatch(/dead-letter queue \(none vs model-dlq\)/);
    });
  });

  describe('owner record in the alias Description', () => {
    test('round trip, within Lambda\'s 256 characters', () => {
      const record = { owner: 'a'.repeat(16), previousOwner: 'b'.repeat(16) };
      expect(ownerDescription(record).length).toBeLessThanOrEqual(256);
      expect(ownerOf(ownerDescription(record))).toEqual(record);
      expect(ownerOf(ownerDescription({ owner: 'c'.repeat(16) }))).toEqual({ owner: 'c'.repeat(16) });
    });

    test('an alias of an earlier library release is UNRECORDED\'s; any other description is no record', () => {
      expect(ownerOf('Managed by cdk-model-canary: weights change during rollouts')).toEqual({ owner: UNRECORDED });
      expect(ownerOf('prod traffic, owner=someone')).toEqual({});
      expect(ownerOf(undefined)).toEqual({});
    });

    test('readOwner: undefined when the alias does not exist', async () => {
      lambda.on(GetAliasCommand).rejects(new ResourceNotFoundException({ message: 'Alias not found', $metadata: { httpStatusCode: 404 } }));
      await expect(target.readOwner()).resolves.toBeUndefined();
    });

    test('writeOwner changes only the Description: versions and weights written back as read, conditional on the revision', async () => {
      lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.25 }, 'rev-9'));
      lambda.on(UpdateAliasCommand).resolves({});
      await target.writeOwner({ owner: 'abc' });
      expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, {
        FunctionName: FUNCTION_NAME,
        Name: ALIAS_NAME,
        FunctionVersion: '5',
        RoutingConfig: { AdditionalVersionWeights: { '6': 0.25 } },
        Description: ownerDescription({ owner: 'abc' }),
        RevisionId: 'rev-9',
      });
    });

    test('writeOwner on an alias that changed meanwhile fails with what to do, and shifting sends no Description', async () => {
      lambda.on(GetAliasCommand).resolves(alias('5', undefined, 'rev-9'));
      lambda.on(UpdateAliasCommand).rejects(new PreconditionFailedException({ message: 'RevisionId mismatch', $metadata: { httpStatusCode: 412 } }));
      const err = await errorOf(() => target.writeOwner({ owner: 'abc' }));
      expect(err).toBeInstanceOf(TargetStateError);
      expect(err.message).toContain('while its owner was being recorded: deploy again');
      lambda.reset();
      lambda.on(UpdateAliasCommand).resolves({});
      await target.rollback(RELEASE, { stable: RELEASE.stableVersion, canary: RELEASE.canaryVersion, canaryPercent: 5, revision: 'rev-1' });
      expect(lambda.commandCalls(UpdateAliasCommand)[0].args[0].input.Description).toBeUndefined();
    });

    test('writeOwner of no record gives back the Description the alias had', async () => {
      lambda.on(GetAliasCommand).resolves({ ...alias('5'), Description: 'prod traffic' });
      lambda.on(UpdateAliasCommand).resolves({});
      const t = new LambdaAliasTarget({ kind: 'lambda-alias', functionName: FUNCTION_NAME, aliasName: ALIAS_NAME });
      expect(await t.readOwner()).toEqual({});
      await t.writeOwner({});
      expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, { Description: 'prod traffic' });
    });
  });
});
