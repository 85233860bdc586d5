/**
 * A stack of `n` model functions, each released by a LambdaModelCanary with the default guards
 * (the README's quick start, repeated): `npx tsx scripts/fleet-app.ts <n>` synthesizes it with
 * CDK's own template validation and prints one JSON line of what it holds.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LambdaModelCanary } from '../lib';

export interface FleetCounts {
  readonly canaries: number;
  readonly resources: number;
  readonly byType: Record<string, number>;
  /** Resources of the model functions themselves (function, role, version). */
  readonly modelResources: number;
  readonly synthSeconds: number;
}

export function synthFleet(n: number): FleetCounts {
  const started = Date.now();
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Fleet');
  for (let i = 0; i < n; i++) {
    const model = new lambda.Function(stack, `Model${i}`, {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({ ok: true });'),
    });
    new LambdaModelCanary(stack, `Canary${i}`, { modelFunction: model, alertEmails: ['ml-oncall@example.com'] });
  }
  const template = app.synth().getStackByName('Fleet').template as { Resources: Record<string, { Type: string }> };
  const byType: Record<string, number> = {};
  for (const r of Object.values(template.Resources)) byType[r.Type] = (byType[r.Type] ?? 0) + 1;
  const modelResources = Object.keys(template.Resources).filter((id) => /^Model\d+/.test(id)).length;
  return { canaries: n, resources: Object.keys(template.Resources).length, byType, modelResources, synthSeconds: (Date.now() - started) / 1000 };
}

if (require.main === module) {
  process.stdout.write(`${JSON.stringify(synthFleet(Number(process.argv[2] ?? 1)))}\n`);
}
