/**
 * A local, in-process simulation of the AWS a model canary runs on: the synthesized state machine
 * (aws-local-stepfunctions) calling the real handler code, Lambda aliases and traffic, CloudWatch
 * metrics and alarms, EventBridge, SNS, on one virtual clock. See SimWorld.
 */
import './polyfills';

export { evaluateAlarm, type AlarmState, type TreatMissingData, type RangePoint } from './alarm-evaluation';
export { awsError, faultError, type FaultKind } from './aws-errors';
export { VirtualClock } from './clock';
export { CloudWatchSim, type AlarmDefinition, type AlarmTransition, alarmArn } from './cloudwatch';
export { EventBridgeSim, matchesPattern, targetInput, jsonPath, type BusEvent } from './eventbridge';
export { FaultInjector } from './faults';
export { HANDLERS, handlerNameOf, type Handler } from './handlers';
export { LambdaSim, type AliasState, type AliasChange } from './lambda';
export { evaluateExpression, referencedIds } from './metric-math';
export { MetricStore, statistic, percentile, lowSampleThreshold, keepsRawValues, type MetricId, type StatisticSet } from './metrics';
export { parseStatistic, isStatistic, type ParsedStatistic } from './statistics';
export { putMetricData } from './put-metric-data';
export { Random } from './random';
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
} from './sagemaker';
export { SnsSim } from './sns';
export { StepFunctionsSim, type ExecutionRecord, type WorkflowEvent } from './stepfunctions';
export { IntrinsicResolver, synthesizeStack, synthesizeExampleStack, type CfnTemplate, type SynthesizedStack } from './template';
export { TrafficModel, type Scenario, type VersionBehaviour, type BehaviourChange, type ModelSignalBehaviour } from './traffic';
export { SimWorld, DeployError, type SimWorldOptions, type RunResult, type Alert, type AliasSnapshot, type DeployResult } from './world';
