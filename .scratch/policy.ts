import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LambdaModelCanary } from '../lib';
const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new Stack(app, 'Fleet');
for (let i = 0; i < 2; i++) {
  const model = new lambda.Function(stack, `M${i}`, { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('x') });
  new LambdaModelCanary(stack, `C${i}`, { modelFunction: model });
}
const t = app.synth().getStackByName('Fleet').template;
const [id, r] = Object.entries<any>(t.Resources).find(([id]) => id.startsWith('ModelCanaryControllerStepsRoleDefaultPolicy'))!;
console.log(JSON.stringify(r.Properties.PolicyDocument.Statement, null, 1));
