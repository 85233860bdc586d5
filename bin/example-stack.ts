import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { LambdaModelCanary } from '../lib';

/** A tiny sentiment model; change MODEL_VERSION (or the code) and deploy to release it as a canary. */
const MODEL_CODE = `
exports.handler = async (event) => {
  const text = String((event && event.text) || '');
  const positive = /good|great|love|excellent/i.test(text);
  return { modelVersion: process.env.MODEL_VERSION, prediction: positive ? 'positive' : 'negative', confidence: positive ? 0.91 : 0.64 };
};`;

export interface ExampleStackProps extends StackProps {
  /** Bump to publish a new model version. */
  readonly modelVersion?: string;
}

/** The example app: one model function released through a Lambda canary. */
export class ExampleStack extends Stack {
  public readonly lambdaCanary: LambdaModelCanary;

  constructor(scope: Construct, id: string, props: ExampleStackProps = {}) {
    super(scope, id, props);

    const modelLogs = new logs.LogGroup(this, 'SentimentModelLogs', { retention: logs.RetentionDays.ONE_MONTH });
    const modelRole = new iam.Role(this, 'SentimentModelRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    modelLogs.grantWrite(modelRole);
    const model = new lambda.Function(this, 'SentimentModel', {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(MODEL_CODE),
      role: modelRole,
      logGroup: modelLogs,
      timeout: Duration.seconds(10),
      environment: { MODEL_VERSION: props.modelVersion ?? '2026-11-01' },
    });

    this.lambdaCanary = new LambdaModelCanary(this, 'SentimentCanary', {
      modelFunction: model,
      aliasName: 'live',
      alertEmails: ['ml-oncall@example.com'],
      preTrafficChecks: [{ payload: '{"text":"great product"}', repeat: 3, expectResponseContains: '"prediction"' }],
    });
  }
}
