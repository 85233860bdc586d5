import { Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import type { Construct } from 'constructs';
import * as path from 'node:path';
import { Guard, LambdaModelCanary, type RolloutSchedule, SageMakerModelCanary } from '../lib';

export interface ExampleStackProps extends StackProps {
  /** Bump to publish a new model version. */
  readonly modelVersion?: string;
  /** S3 URI of the SageMaker model artifacts; a new URI releases a new model. */
  readonly sageMakerModelData?: string;
  /** The Lambda canary's schedule (the bench runs it with RolloutSchedule.EVIDENCE_10_50_100 too). @default the library's default */
  readonly lambdaSchedule?: RolloutSchedule;
}

/**
 * Every guard, the same for both canaries: the target's own (error rate and latency, absolute and
 * against stable), the runtime helper's signals (tokens, guardrail blocks, schema failures,
 * response length, cost, predicted class) and Bedrock Guardrails' own metrics for a guardrail
 * whose new version ships with the canary.
 */
export function everyGuard(classes: string[]): Guard[] {
  const prices = { inputTokenPricePer1k: 0.003, outputTokenPricePer1k: 0.015 };
  return [
    Guard.errorRate(),
    Guard.latencyP95(),
    Guard.errorRateVsStable(),
    Guard.latencyVsStable(),
    Guard.tokensPerRequestRatio(),
    Guard.tokensPerRequestVsStable(),
    Guard.guardrailBlocks(),
    Guard.guardrailBlockRateVsStable(),
    Guard.schemaFailureRate(),
    Guard.responseLengthVsStable(),
    Guard.costPerRequest({ ...prices, maxCost: 0.05 }),
    Guard.costPerRequestVsStable(prices),
    Guard.predictionShift({ classes }),
    Guard.bedrockGuardrailBlockRateVsStable({
      guardrailArn: 'arn:aws:bedrock:us-east-1:123456789012:guardrail/example0guardrail',
      canaryVersion: '3',
      stableVersion: '2',
    }),
  ];
}

/** A public SageMaker inference image (PyTorch CPU); any image the account can pull works. */
const INFERENCE_IMAGE = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-cpu-py311-ubuntu20.04-sagemaker';

/** The example app: one model function released through a Lambda canary. */
export class ExampleStack extends Stack {
  public readonly lambdaCanary: LambdaModelCanary;
  public readonly sageMakerCanary: SageMakerModelCanary;

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
      // bin/model/sentiment-model.ts, bundled by `npm run bundle`: it records the model signals.
      code: lambda.Code.fromAsset(path.join(__dirname, '..', 'assets', 'example-models', 'sentiment-model')),
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
      guards: everyGuard(['positive', 'negative']),
      schedule: props.lambdaSchedule,
    });

    // The same release flow on a SageMaker endpoint: a new model (here: new model data) is a release.
    const modelData = props.sageMakerModelData ?? 's3://example-model-artifacts/summarizer/2026-11-01/model.tar.gz';
    const sageMakerRole = new iam.Role(this, 'SummarizerModelRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
    });
    sageMakerRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::example-model-artifacts/summarizer/*'] }),
    );
    Validations.of(sageMakerRole).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:s3:::example-model-artifacts/summarizer/*]',
      reason: 'The model reads its artifacts: every object under this one model prefix, read-only.',
    });
    // An explicit name, so the container can tag its signals with its variant (= model name).
    const summarizerName = `summarizer-${modelData.split('/').slice(-2, -1)[0] ?? 'v1'}`.replace(/[^a-zA-Z0-9-]/g, '-');
    // The model code (bin/model/inference.py, in model.tar.gz under code/) records its signals
    // with the Python helper (cdk_model_canary_runtime), sent through CloudWatch PutMetricData. The
    // archive `npm run build` writes to assets/example-models/summarizer/model.tar.gz installs the
    // helper's wheel through code/requirements.txt: upload it to the modelData URI.
    const summarizer = new sagemaker.CfnModel(this, 'SummarizerModel', {
      modelName: summarizerName,
      executionRoleArn: sageMakerRole.roleArn,
      primaryContainer: { image: INFERENCE_IMAGE, modelDataUrl: modelData },
    });
    this.sageMakerCanary = new SageMakerModelCanary(this, 'SummarizerCanary', {
      model: summarizer,
      instanceType: 'ml.m5.large',
      alertEmails: ['ml-oncall@example.com'],
      preTrafficChecks: [{ payload: '{"inputs":"warm up"}', repeat: 2 }],
      guards: everyGuard(['summary', 'refusal']),
    });
    // Set after the canary exists (plain strings, no reference cycle): canary, stack, delivery, and
    // the variant the container serves (= its model name).
    summarizer.addPropertyOverride('PrimaryContainer.Environment', {
      ...this.sageMakerCanary.modelEnvironment,
      MODEL_CANARY_VERSION: summarizerName,
    });
    this.sageMakerCanary.grantPutModelSignals(sageMakerRole);
    Validations.of(sageMakerRole).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:PutMetricData has no resource-level permissions; the grant allows the model signals namespace only (condition cloudwatch:namespace).',
    });
  }
}
