/**
 * The simulator's side of a target kind: how a release resource's Target becomes the canary the
 * world simulates, how each second of the model's traffic goes through the routing and what
 * metrics it leaves, and the canary's share now and after each change of the routing. Each kind
 * has one file (sim/targets/<kind>.ts) against this; sim/targets/index.ts lists them, and the
 * world (sim/world/) is written once against the interfaces below.
 */
import type { TargetConfig, TargetKindContract } from '../../lambda/targets/contract';
import type { IntrinsicResolver, CfnTemplate, SynthesizedStack } from '../aws/cloudformation/template';
import type { MetricStore } from '../aws/cloudwatch/metrics';
import type { Random } from '../aws/core/random';
import type { FunctionRecord, LambdaSim } from '../aws/lambda/lambda';
import type { SageMakerSim } from '../aws/sagemaker/sagemaker';
import type { SsmSim } from '../aws/ssm/ssm';
import type { AppConfigSim } from '../aws/appconfig/appconfig';
import type { UserTraffic } from './user-sessions';

/** The canary the world simulates: its release resource and what it routes. */
export interface ModelTarget {
  readonly kind: string;
  readonly canaryName: string;
  readonly releaseLogicalId: string;
  /** The release resource's Target, resolved: what the workflow gets as `plan.target`. */
  readonly config: TargetConfig;
  /** The Lambda function that serves the model, whose versions a deploy publishes (absent when none does). */
  readonly functionName?: string;
}

/** A release custom resource of the template, as the kinds read it. */
export interface ReleaseResource {
  readonly logicalId: string;
  readonly canaryName: string;
  /** Its properties as the template has them (intrinsics unresolved). */
  readonly properties: Readonly<Record<string, unknown>>;
  /** Its Target as the template has them (intrinsics unresolved). */
  readonly target: Readonly<Record<string, unknown>>;
}

/** What a kind reads of the stack (sim/world/stack-resources.ts): its template, intrinsics resolved, what deploys gave its resources. */
export interface StackView {
  readonly template: CfnTemplate;
  readonly resolver: IntrinsicResolver;
  /** The function a template reference ({Ref: logical id}) names. */
  functionFor(ref: unknown): FunctionRecord;
  /** The version each AWS::Lambda::Version has been published as. */
  readonly versionsByLogicalId: Map<string, string>;
  /** The model name each AWS::SageMaker::Model has now. */
  readonly modelNamesByLogicalId: Map<string, string>;
}

/** One request as the scenario has the version behave now. */
export interface ServedRequest {
  readonly error: boolean;
  readonly durationMs: number;
  /** Set when the runtime helper's request document was recorded for it (it counts the request in Requests). */
  readonly signals?: unknown;
}

/** What the world gives a kind's routing: the account's services and the scenario's traffic. */
export interface SimTargetContext<M extends ModelTarget = ModelTarget> {
  /** The canary the world simulates now (a stack update may give it another release resource). */
  readonly model: M;
  readonly stack: StackView;
  readonly metrics: MetricStore;
  readonly lambda: LambdaSim;
  readonly sagemaker: SageMakerSim;
  readonly ssm: SsmSim;
  readonly appconfig: AppConfigSim;
  /** The world's seeded random stream (a routing that draws a version per request). */
  readonly random: Random;
  /** Requests arriving in the next second; call it every second, traffic or not (fractional rates accumulate). */
  arrivals(now: number): number;
  /**
   * Latches the scenario's `whenCanaryPercent` changes against each version's share now, in
   * percent; `stable`: the stable version, promoted once it serves 80 % or more (`minutesAfterPromotion`).
   */
  observe(share: (version: string) => number, now: number, stable?: string): void;
  /** One request the routing sends to `version`: its outcome, counted (world.served) and its model signals recorded. */
  serveRequest(version: string, now: number): ServedRequest;
  /** The scenario's users, sessions and router processes, for a routing by user (absent: the kind's defaults). */
  readonly userTraffic?: UserTraffic;
  /** Whether the model's helper writes Requests and Errors at 1 second (the canary turned its high resolution on). */
  readonly highResolutionCounts: boolean;
}

/** The canary's share of the traffic after one change of the routing. */
export interface ShareChange {
  readonly at: number;
  /** The handler that made the change. */
  readonly by?: string;
  readonly percent: number;
  /** The canary became the stable version, serving everything (a promotion). */
  readonly promoted: boolean;
}

/** The routing of the world's canary. */
export interface SimTarget {
  /** One second of the model's traffic: the requests that arrive, routed, served, and their metrics recorded. */
  serveSecond(now: number): void;
  /** The canary version's share of the traffic now, in percent. */
  canaryPercent(canary: string): number;
  /** The canary version's share after each change of the routing, oldest first. */
  shareChanges(canary: string): ShareChange[];
  /** Optional: what a deploy of `version` does before the release resource runs (SageMaker: CloudFormation creates the model). */
  deploy?(version: string): void;
  /** Optional: whether the routing serves yet (a SageMaker endpoint is Creating first); absent, it serves as soon as it exists. */
  serving?(): boolean;
}

/** One target kind in the simulator. */
export interface SimTargetKind<M extends ModelTarget = ModelTarget> {
  /** The kind's contract (lambda/targets/<kind>/contract.ts): kind constant and metric table. */
  readonly contract: TargetKindContract;
  /** The canary a release resource of this kind routes; undefined when its Target lacks what the kind needs. */
  modelTarget(release: ReleaseResource, stack: StackView): M | undefined;
  /**
   * The routing of the world's canary of this kind. `previous`: the routing before a stack update
   * (world.updateStack), whose state a kind may keep: an update does not restart the application.
   */
  bind(ctx: SimTargetContext<M>, previous?: SimTarget): SimTarget;
  /**
   * Optional: for a kind whose version is a literal of the template (a config canary), the
   * templates of two deploys that release `versions.stable` and then `versions.canary`, made from
   * the user's one template, so a dry run has a release to run. Absent: a deploy publishes the
   * version itself (a Lambda version, a SageMaker model).
   */
  releaseTemplates?(stack: SynthesizedStack, canaryName: string, versions: { readonly stable: string; readonly canary: string }): { readonly stable: SynthesizedStack; readonly canary: SynthesizedStack };
}
