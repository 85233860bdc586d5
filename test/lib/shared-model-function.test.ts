/**
 * Two canaries on one function (one per alias) share one environment: the last one's
 * MODEL_CANARY_NAME wins, so the other canary's model-signal guards would get no data unnoticed.
 */
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { LambdaModelCanary } from '../../lib';
import { modelFunction, newStack } from './support';

const ID = 'cdk-model-canary:sharedModelFunction';

function twoCanaries(second: { aliasName: string; canaryName?: string }) {
  const stack = newStack();
  const fn = modelFunction(stack);
  new LambdaModelCanary(stack, 'Live', { modelFunction: fn, aliasName: 'live' });
  new LambdaModelCanary(stack, 'Beta', { modelFunction: fn, ...second });
  return Annotations.fromStack(stack);
}

test('a second canary of another name on the same function warns on that canary, saying what to do', () => {
  const warnings = twoCanaries({ aliasName: 'beta' }).findWarning('*', Match.stringLikeRegexp('MODEL_CANARY_NAME'));
  expect(warnings).toHaveLength(1);
  expect(warnings[0].id).toBe('/CanaryTestStack/Beta');
  const text = String(warnings[0].entry.data);
  expect(text).toContain(ID);
  expect(text).toMatch(/CanaryTestStack\/Live \(canaryName "Live", alias "live"\)/);
  expect(text).toMatch(/MODEL_CANARY_NAME and MODEL_CANARY_STACK are now "Beta" and "CanaryTestStack".*other canary never get data/);
  expect(text).toMatch(/Pass canaryName to ModelSignals explicitly.*one canary per function/);
});

test('one canary per function, or canaries on different functions: no warning', () => {
  const stack = newStack();
  new LambdaModelCanary(stack, 'A', { modelFunction: modelFunction(stack, 'FnA') });
  new LambdaModelCanary(stack, 'B', { modelFunction: modelFunction(stack, 'FnB') });
  expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('MODEL_CANARY_NAME'))).toHaveLength(0);
});
