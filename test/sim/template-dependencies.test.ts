import { assertNoCircularDependency, CircularDependencyError, dependenciesOf } from '../../sim/aws/cloudformation/template-dependencies';
import type { CfnTemplate } from '../../sim/aws/cloudformation/template';
import { exampleStack } from '../workflow/helpers';

const template = (resources: CfnTemplate['Resources']): CfnTemplate => ({ Resources: resources }) as CfnTemplate;

describe('circular dependencies, which CloudFormation refuses', () => {
  it('finds a circle through Ref, Fn::GetAtt, Fn::Sub and DependsOn, and names it', () => {
    const t = template({
      Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['Role', 'Arn'] } }, DependsOn: ['Policy'] } as never,
      Role: { Type: 'AWS::IAM::Role', Properties: {} },
      Policy: { Type: 'AWS::IAM::Policy', Properties: { PolicyDocument: { Statement: [{ Resource: { 'Fn::Sub': 'arn:aws:states:::stateMachine:${Machine.Name}' } }] } } },
      Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: { 'Fn::Join': ['', ['{"Resource":"', { Ref: 'Fn' }, '"}']] } } },
    });
    expect(() => assertNoCircularDependency(t)).toThrow(CircularDependencyError);
    expect(() => assertNoCircularDependency(t)).toThrow(/Fn -> Policy -> Machine -> Fn|Policy -> Machine -> Fn -> Policy|Machine -> Fn -> Policy -> Machine/);
    expect(dependenciesOf(t).get('Fn')).toEqual(new Set(['Role', 'Policy']));
  });

  it('accepts a chain, and the example stack', () => {
    expect(() => assertNoCircularDependency(template({ A: { Type: 'X', Properties: { x: { Ref: 'B' } } }, B: { Type: 'X', Properties: {} } }))).not.toThrow();
    expect(() => assertNoCircularDependency(exampleStack().template)).not.toThrow();
  });
});
