/**
 * A local, in-process simulation of the AWS a model canary runs on: the synthesized state machine
 * (aws-local-stepfunctions) calling the real handler code, Lambda aliases and traffic, CloudWatch
 * metrics and alarms, EventBridge, SNS, on one virtual clock. See SimWorld.
 */
import './aws/core/polyfills';

export { evaluateAlarm, type AlarmState, type TreatMissingData, type RangePoint } from './aws/cloudwatch/alarm-evaluation';
export { awsError, faultError, type FaultKind } from './aws/core/aws-errors';
export { VirtualClock } from './aws/core/clock';
export { CloudWatchSim } from './aws/cloudwatch/cloudwatch';
export { type AlarmDefinition, type AlarmTransition, alarmArn } from './aws/cloudwatch/alarm-types';
export { EventBridgeSim, matchesPattern, targetInput, jsonPath, type BusEvent } from './aws/eventbridge/eventbridge';
export { FaultInjector } from './aws/core/faults';
export { HANDLERS, handlerNameOf, type Handler } from './world/handlers';
export { LambdaSim, type AliasState, type AliasChange } from './aws/lambda/lambda';
export { evaluateExpression, referencedIds } from './aws/cloudwatch/metric-math';
export {
  MetricStore,
  statistic,
  percentile,
  lowSampleThreshold,
  keepsRawValues,
  DEFAULT_HIGH_RESOLUTION_DELAY_MS,
  type MetricId,
  type PutOptions,
  type StatisticSet,
} from './aws/cloudwatch/metrics';
export { putEmf, extractEmf } from './aws/cloudwatch/emf';
export { parseStatistic, isStatistic, type ParsedStatistic } from './aws/cloudwatch/statistics';
export { putMetricData } from './aws/cloudwatch/put-metric-data';
export { Random } from './aws/core/random';
export {
  SageMakerSim,
  DEFAULT_SAGEMAKER_TIMINGS,
  endpointArn,
  type EndpointChange,
  type EndpointRecord,
  type SageMakerTimings,
  type VariantState,
  invocationMetrics,
  MODEL_RESPONSE_LIMIT_MS,
} from './aws/sagemaker/sagemaker';
export { SnsSim } from './aws/sns/sns';
export { StepFunctionsSim } from './aws/stepfunctions/stepfunctions';
export type { ExecutionRecord, WorkflowEvent } from './aws/stepfunctions/execution-types';
export { IntrinsicResolver, synthesizeStack, synthesizeExampleStack, type CfnTemplate, type SynthesizedStack } from './aws/cloudformation/template';
export { TrafficModel, type Scenario, type VersionBehaviour, type BehaviourChange, type ModelSignalBehaviour } from './world/traffic';
export { SimWorld, DeployError, type SimWorldOptions, type RunResult, type Alert, type AliasSnapshot, type DeployResult } from './world/world';
