/** Template checks for rules a real account enforces (each cites the AWS page it comes from). */
import { Annotations as CdkAnnotations, Names } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { synthesizeExampleStack } from '../../sim';
import { asArray, controllerOf, flatten, type IamStatement, modelFunction, newStack, resourcesOfType, synthCanary, type TemplateJson, workflowMachines } from './support';
import { LambdaModelCanary } from '../../lib';

describe('log groups', () => {
  const s = synthCanary();

  test('the state machine logs to a /aws/vendedlogs/ group (CloudWatch Logs resource-policy size limit)', () => {
    // https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html
    const [machine] = Object.values(workflowMachines(s.json));
    const destination = machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn;
    const groupId = /^\$\{(.+)\.Arn\}$/.exec(flatten(destination))![1];
    const name = s.json.Resources[groupId].Properties.LogGroupName as string;
    expect(name).toMatch(/^\/aws\/vendedlogs\/states\//);
    // Unique per construct path (the stack's controller, whose group every canary's workflow shares):
    // another stack's group does not collide with it.
    expect(name).toContain(Names.uniqueResourceName(controllerOf(s.canary), { maxLength: 200, separator: '-' }));
    expect(name.length).toBeLessThanOrEqual(512);
  });

  test('named log groups go with the stack, so deploying a deleted stack again does not fail on "already exists"', () => {
    const groups = Object.values(resourcesOfType(s.json, 'AWS::Logs::LogGroup'));
    const named = groups.filter((g) => g.Properties.LogGroupName !== undefined);
    expect(named.length).toBeGreaterThanOrEqual(1);
    for (const g of named) expect(g.DeletionPolicy).toBe('Delete');
    // Groups with generated names keep the logs of a deleted stack.
    for (const g of groups.filter((x) => x.Properties.LogGroupName === undefined)) expect(g.DeletionPolicy).toBe('Retain');
  });
});

describe('IAM: no KMS, Lambda or SageMaker action on a wildcard a role does not need', () => {
  /**
   * The only wildcards allowed, each with its reason. A key policy's own `Resource: *` means "this
   * key" and is not a role's grant, so key policies are not checked here.
   */
  const ALLOWED: { action: RegExp; resource: RegExp; why: string }[] = [
    {
      action: /^lambda:(InvokeFunction|GetFunctionConfiguration)$/,
      resource: /^\$\{[A-Za-z0-9]+\.Arn\}:\*$/,
      why: 'the versions and aliases of one named function (a workflow step, the release step, the model): its qualifier is not known at synth',
    },
    {
      action: /^sagemaker:(CreateEndpointConfig|CreateEndpoint|UpdateEndpoint)$/,
      resource: /:endpoint-config\/[a-z0-9-]+-[0-9a-f]{8}-\*$/,
      why: 'the endpoint configs this canary creates, one per release, named with its own unique prefix',
    },
  ];

  const json = synthesizeExampleStack().template as unknown as TemplateJson;
  const offending: string[] = [];
  for (const [policyId, policy] of Object.entries(resourcesOfType(json, 'AWS::IAM::Policy'))) {
    for (const st of policy.Properties.PolicyDocument.Statement as IamStatement[]) {
      if (st.Effect !== 'Allow') continue;
      for (const action of asArray(st.Action)) {
        if (!/^(kms|lambda|sagemaker):/.test(action)) continue;
        for (const r of asArray(st.Resource).map(flatten)) {
          if (!r.includes('*')) continue;
          if (ALLOWED.some((a) => a.action.test(action) && a.resource.test(r))) continue;
          offending.push(`${policyId}: ${action} on ${r}`);
        }
      }
    }
  }

  test('every such grant names its resource (both canaries of the example app)', () => {
    expect(offending).toEqual([]);
  });

  test('the topic key is a customer managed key with rotation, used by name in every grant', () => {
    const keys = resourcesOfType(json, 'AWS::KMS::Key');
    expect(Object.keys(keys).length).toBeGreaterThanOrEqual(1);
    for (const key of Object.values(keys)) {
      expect(key.Properties.EnableKeyRotation).toBe(true);
      // Deleted (after KMS's waiting period) with the topic it encrypts, not left billing.
      expect(key.DeletionPolicy).toBe('Delete');
      const principals = (key.Properties.KeyPolicy.Statement as { Principal?: { Service?: string | string[] } }[]).flatMap((s) => asArray(s.Principal?.Service ?? []));
      expect(principals).toEqual(expect.arrayContaining(['cloudwatch.amazonaws.com', 'events.amazonaws.com']));
    }
    for (const topic of Object.values(resourcesOfType(json, 'AWS::SNS::Topic'))) {
      expect(flatten(topic.Properties.KmsMasterKeyId)).toMatch(/^\$\{[A-Za-z0-9]+\.Arn\}$/);
    }
  });
});

describe('email subscriptions', () => {
  test('alertEmails give a deploy-time warning: confirm within 3 days', () => {
    const s = synthCanary({ alertEmails: ['ml-oncall@example.com'] });
    const warnings = Annotations.fromStack(s.stack).findWarning('*', Match.stringLikeRegexp('confirmation email.*3 days'));
    expect(warnings).toHaveLength(1);
    expect(Annotations.fromStack(synthCanary().stack).findWarning('*', Match.stringLikeRegexp('3 days'))).toHaveLength(0);
  });

  test('one reminder per address to confirm, however many canaries list it; acknowledged on the stack, none', () => {
    const build = (acknowledge: boolean) => {
      const stack = newStack();
      new LambdaModelCanary(stack, 'Ranker', { modelFunction: modelFunction(stack, 'RankerModel'), alertEmails: ['ml-oncall@example.com'] });
      new LambdaModelCanary(stack, 'Tagger', { modelFunction: modelFunction(stack, 'TaggerModel'), alertEmails: ['ml-oncall@example.com'] });
      new LambdaModelCanary(stack, 'Scorer', { modelFunction: modelFunction(stack, 'ScorerModel'), alertEmails: ['ml-oncall@example.com', 'ranking@example.com'] });
      if (acknowledge) CdkAnnotations.of(stack).acknowledgeWarning('cdk-model-canary:emailConfirmation');
      return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('confirmation email'));
    };
    const warnings = build(false);
    expect(warnings.map((w) => [w.id, String(w.entry.data).match(/3 days \(([^)]*)\)/)?.[1]])).toEqual([
      ['/CanaryTestStack/Ranker/Rollout', 'ml-oncall@example.com'],
      ['/CanaryTestStack/Scorer/Rollout', 'ranking@example.com'],
    ]);
    expect(String(warnings[0].entry.data)).toContain("acknowledgeWarning('cdk-model-canary:emailConfirmation')");
    expect(build(true)).toHaveLength(0);
  });
});
