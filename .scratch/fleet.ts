import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LambdaModelCanary } from '../lib';
const n = Number(process.argv[2] ?? 25);
const t0 = Date.now();
const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new Stack(app, 'Fleet');
for (let i = 0; i < n; i++) {
  const model = new lambda.Function(stack, `M${i}`, { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('x') });
  new LambdaModelCanary(stack, `C${i}`, { modelFunction: model, alertEmails: ['a@b.c'] });
}
const t = app.synth().getStackByName('Fleet').template;
const counts: Record<string, number> = {};
for (const r of Object.values<any>(t.Resources)) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
const policies = Object.entries<any>(t.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy').map(([id, r]) => [id, JSON.stringify(r.Properties.PolicyDocument).length]);
console.log(n, 'canaries', Object.keys(t.Resources).length, 'resources', (Date.now() - t0) / 1000, 's', counts, policies);
