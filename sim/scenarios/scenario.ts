/**
 * Scenario files (scenarios/*.json): a person's description of a release — how the stable and the
 * canary version behave and what changes when — translated into SimWorld's per-version scenario.
 * Times in a file are minutes from the deploy of the canary (the rollout start).
 */
import { readFileSync } from 'node:fs';
import { type OperatorAction, validateOperatorActions } from './operator-actions';
import type { BehaviourChange, ModelSignalBehaviour, Scenario, VersionBehaviour } from '../world/traffic';
import type { UserTraffic } from '../targets/user-sessions';

export type ScenarioTarget = 'lambda' | 'sagemaker' | 'config';

/** How one version behaves; every field optional in a change, required fields noted for the versions. */
export interface VersionSpec {
  /** Share of requests that fail, 0..1. */
  readonly errorRate?: number;
  /** Latency in ms: median and 95th percentile (log-normal). */
  readonly latencyMs?: { readonly p50: number; readonly p95: number };
  /** Mean total tokens (input + output) per successful request. */
  readonly tokensPerRequest?: number;
  /** Standard deviation of tokens per request. @default 10 % of tokensPerRequest */
  readonly tokensSd?: number;
  /** Share of successful requests where a guardrail intervened, 0..1. */
  readonly guardrailBlockRate?: number;
  /** Predicted class shares (normalised). @default { positive: 0.6, negative: 0.4 } */
  readonly predictedClasses?: Readonly<Record<string, number>>;
  /** Share of responses that fail the output schema, 0..1. @default 0.001 */
  readonly schemaFailureRate?: number;
}

export interface ScenarioChange {
  /** Minutes after the deploy of the canary (fractions allowed); required unless `whenCanaryPercent` is given. */
  readonly atMinute: number;
  /**
   * Instead of `atMinute`: the first time the canary gets at least this share of the traffic, in
   * percent (a step change). Only for a shared event: the change must set `stable` and `canary` alike.
   */
  readonly whenCanaryPercent?: number;
  /** Seconds after its `atMinute` or `whenCanaryPercent` the change starts. @default 0 */
  readonly afterSeconds?: number;
  /**
   * And a further 0 to this many seconds, drawn from the run's seed (the same seed, the same
   * second). Only for a shared event. @default 0
   */
  readonly randomSeconds?: number;
  /** The change lasts this many seconds, then both versions behave as before it (an outage). Only for a shared event. */
  readonly forSeconds?: number;
  readonly stable?: VersionSpec;
  readonly canary?: VersionSpec;
  /** A new request rate from this minute on. */
  readonly requestsPerSecond?: number;
}

export interface ScenarioFile {
  readonly name: string;
  readonly description?: string;
  readonly target: ScenarioTarget;
  /** How long to simulate after the deploy of the canary; a rollout still running then is "held". */
  readonly durationMinutes: number;
  readonly requestsPerSecond: number;
  readonly stable: VersionSpec;
  readonly canary: VersionSpec;
  readonly changes?: readonly ScenarioChange[];
  /**
   * Seconds after a minute ends before its metrics can be read (GetMetricData, alarms, the judge):
   * CloudWatch's publication lag. 0 to 600. @default 0 (a minute is readable as soon as it ends)
   */
  readonly metricPublishDelaySeconds?: number;
  /**
   * Seconds after a second ends before high-resolution EMF data (StorageResolution 1) can be read.
   * 0 to 600. @default SimWorld's (5 s, an assumption: AWS documents no figure)
   */
  readonly highResolutionPublishDelaySeconds?: number;
  /** Commands a person runs during the rollout, through the CLI (sim/scenarios/operator-actions.ts). */
  readonly operator?: readonly OperatorAction[];
  /** Config canaries only: the users requests come from, in sessions (a whole number, 1 to 10,000,000). @default 5000 */
  readonly users?: number;
  /** Config canaries only: mean requests of a user's session (1 to 1,000; 1: a new session each request), 10–30 s apart. @default 5 */
  readonly sessionRequests?: number;
  /** Config canaries only: router processes, each caching the routing and polling at its own stagger (a whole number, 1 to 1,000). @default 4 */
  readonly routerProcesses?: number;
}

/** The versions SimWorld publishes: the first deploy is stable, the second the canary. */
export const STABLE_VERSION = '1';
export const CANARY_VERSION = '2';

const DEFAULT_CLASSES = { positive: 0.6, negative: 0.4 };
/** Share of a request's tokens that are output tokens (the cost guard prices them apart). */
const OUTPUT_TOKEN_SHARE = 0.25;

export class ScenarioError extends Error {
  public readonly name = 'ScenarioError';
}

export function loadScenario(file: string): ScenarioFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ScenarioError(`Cannot read scenario ${file}: ${(err as Error).message}`);
  }
  return validateScenario(raw, file);
}

export function validateScenario(raw: unknown, where = 'scenario'): ScenarioFile {
  const problems: string[] = [];
  const o = (raw ?? {}) as Record<string, unknown>;
  const num = (path: string, v: unknown, min: number, max: number, required: boolean) => {
    if (v === undefined) {
      if (required) problems.push(`${path} is required`);
      return;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) problems.push(`${path} must be a number from ${min} to ${max}`);
  };
  const version = (path: string, v: unknown, required: boolean) => {
    if (v === undefined && !required) return;
    if (!v || typeof v !== 'object') {
      problems.push(`${path} must be an object`);
      return;
    }
    const s = v as Record<string, unknown>;
    const known = ['errorRate', 'latencyMs', 'tokensPerRequest', 'tokensSd', 'guardrailBlockRate', 'predictedClasses', 'schemaFailureRate'];
    for (const k of Object.keys(s)) if (!known.includes(k)) problems.push(`${path}.${k} is not a field (known: ${known.join(', ')})`);
    num(`${path}.errorRate`, s.errorRate, 0, 1, required);
    if (s.latencyMs !== undefined || required) {
      const l = (s.latencyMs ?? {}) as Record<string, unknown>;
      num(`${path}.latencyMs.p50`, l.p50, 0.001, 900_000, true);
      num(`${path}.latencyMs.p95`, l.p95, 0.001, 900_000, true);
      if (typeof l.p50 === 'number' && typeof l.p95 === 'number' && l.p95 < l.p50) problems.push(`${path}.latencyMs.p95 must be at least p50`);
    }
    num(`${path}.tokensPerRequest`, s.tokensPerRequest, 0, 1e7, required);
    num(`${path}.tokensSd`, s.tokensSd, 0, 1e7, false);
    num(`${path}.guardrailBlockRate`, s.guardrailBlockRate, 0, 1, required);
    num(`${path}.schemaFailureRate`, s.schemaFailureRate, 0, 1, false);
    if (s.predictedClasses !== undefined) {
      const c = s.predictedClasses as Record<string, unknown>;
      if (!c || typeof c !== 'object' || Object.keys(c).length === 0) problems.push(`${path}.predictedClasses must map class names to shares`);
      else for (const [k, w] of Object.entries(c)) num(`${path}.predictedClasses.${k}`, w, 0, 1e9, true);
    }
  };
  if (typeof o.name !== 'string' || o.name === '') problems.push('name is required (a string)');
  // Optional: `simulate --app` takes the target from the canary; the example app's default is its Lambda canary.
  if (o.target !== undefined && o.target !== 'lambda' && o.target !== 'sagemaker' && o.target !== 'config') problems.push('target must be "lambda", "sagemaker" or "config" (or left out: lambda)');
  num('durationMinutes', o.durationMinutes, 1, 24 * 60, true);
  num('requestsPerSecond', o.requestsPerSecond, 0, 10_000, true);
  num('metricPublishDelaySeconds', o.metricPublishDelaySeconds, 0, 600, false);
  num('highResolutionPublishDelaySeconds', o.highResolutionPublishDelaySeconds, 0, 600, false);
  version('stable', o.stable, true);
  version('canary', o.canary, true);
  if (o.changes !== undefined && !Array.isArray(o.changes)) problems.push('changes must be an array');
  (Array.isArray(o.changes) ? o.changes : []).forEach((c: unknown, i: number) => {
    const ch = (c ?? {}) as Record<string, unknown>;
    const triggered = ch.whenCanaryPercent !== undefined;
    num(`changes[${i}].atMinute`, ch.atMinute, 0, 24 * 60, !triggered);
    num(`changes[${i}].whenCanaryPercent`, ch.whenCanaryPercent, 0.0001, 100, false);
    num(`changes[${i}].afterSeconds`, ch.afterSeconds, 0, 24 * 3600, false);
    num(`changes[${i}].randomSeconds`, ch.randomSeconds, 0, 24 * 3600, false);
    num(`changes[${i}].forSeconds`, ch.forSeconds, 1, 24 * 3600, false);
    num(`changes[${i}].requestsPerSecond`, ch.requestsPerSecond, 0, 10_000, false);
    version(`changes[${i}].stable`, ch.stable, false);
    version(`changes[${i}].canary`, ch.canary, false);
    if (triggered && ch.atMinute !== undefined) problems.push(`changes[${i}] has both atMinute and whenCanaryPercent: give one`);
    if (isShared(ch) && JSON.stringify(ch.stable ?? null) !== JSON.stringify(ch.canary ?? null)) {
      problems.push(`changes[${i}] uses whenCanaryPercent, randomSeconds or forSeconds, which are for events both versions share (an outage): give stable and canary the same settings (regressions start at an atMinute)`);
    }
    if (isShared(ch) && ch.requestsPerSecond !== undefined) problems.push(`changes[${i}]: requestsPerSecond changes at an atMinute only, without whenCanaryPercent, randomSeconds or forSeconds`);
    for (const k of Object.keys(ch)) if (!CHANGE_FIELDS.includes(k)) problems.push(`changes[${i}].${k} is not a field`);
  });
  validateOperatorActions(o.operator, problems);
  userTrafficProblems(o, problems);
  if (problems.length > 0) throw new ScenarioError(`${where}: ${problems.join('; ')}`);
  return { ...(raw as ScenarioFile), target: (o.target as ScenarioTarget | undefined) ?? 'lambda' };
}

/** The config canary's users and routers: whole numbers where they count things, and only for target "config". */
function userTrafficProblems(o: Record<string, unknown>, problems: string[]): void {
  const fields: [keyof UserTraffic, number, number, boolean][] = [
    ['users', 1, 10_000_000, true],
    ['sessionRequests', 1, 1000, false],
    ['routerProcesses', 1, 1000, true],
  ];
  const given = fields.filter(([k]) => o[k] !== undefined).map(([k]) => k);
  for (const [k, min, max, whole] of fields) {
    const v = o[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (whole && !Number.isInteger(v))) {
      problems.push(`${k} must be ${whole ? 'a whole number' : 'a number'} from ${min} to ${max.toLocaleString('en-US')} (got ${JSON.stringify(v)})`);
    }
  }
  if (given.length > 0 && o.target !== 'config') {
    problems.push(`${given.join(', ')} describe${given.length === 1 ? 's' : ''} a config canary's users and router processes: set "target": "config", or remove ${given.length === 1 ? 'it' : 'them'}`);
  }
}

/** The world's users, sessions and processes from a scenario file (undefined: the defaults, sim/targets/user-sessions.ts). */
function userTrafficOf(file: ScenarioFile): UserTraffic | undefined {
  const t: { -readonly [K in keyof UserTraffic]: UserTraffic[K] } = {};
  if (file.users !== undefined) t.users = file.users;
  if (file.sessionRequests !== undefined) t.sessionRequests = file.sessionRequests;
  if (file.routerProcesses !== undefined) t.routerProcesses = file.routerProcesses;
  return Object.keys(t).length > 0 ? t : undefined;
}

const CHANGE_FIELDS = ['atMinute', 'whenCanaryPercent', 'afterSeconds', 'randomSeconds', 'forSeconds', 'stable', 'canary', 'requestsPerSecond'];

/** A change both versions share (triggered by a step, at a random second, or for a while): it never makes the canary differ from stable. */
function isShared(c: { whenCanaryPercent?: unknown; randomSeconds?: unknown; forSeconds?: unknown }): boolean {
  return c.whenCanaryPercent !== undefined || c.randomSeconds !== undefined || c.forSeconds !== undefined;
}

/** A second in [0, max] fixed by the seed and the change's index (the traffic's own draws stay as they are). */
function seededSeconds(seed: number, index: number, max: number): number {
  let x = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return Math.round(((x ^ (x >>> 16)) >>> 0) / 2 ** 32 * max * 10) / 10;
}

function signalsOf(v: VersionSpec): ModelSignalBehaviour | undefined {
  const out: { -readonly [K in keyof ModelSignalBehaviour]: ModelSignalBehaviour[K] } = {};
  if (v.tokensPerRequest !== undefined) {
    const sd = v.tokensSd ?? v.tokensPerRequest * 0.1;
    out.inputTokens = { mean: v.tokensPerRequest * (1 - OUTPUT_TOKEN_SHARE), sd: sd * (1 - OUTPUT_TOKEN_SHARE) };
    out.outputTokens = { mean: v.tokensPerRequest * OUTPUT_TOKEN_SHARE, sd: sd * OUTPUT_TOKEN_SHARE };
  }
  if (v.guardrailBlockRate !== undefined) out.guardrailInterventionRate = v.guardrailBlockRate;
  if (v.schemaFailureRate !== undefined) out.schemaFailureRate = v.schemaFailureRate;
  if (v.predictedClasses !== undefined) out.classes = v.predictedClasses;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** How a scenario's versions map onto the simulated canary. */
export interface SimVersions {
  readonly stable: string;
  readonly canary: string;
  /** Predicted class shares when a version gives none. */
  readonly defaultClasses?: Readonly<Record<string, number>>;
  /** Whether the model writes a response length per request. @default true */
  readonly responseLength?: boolean;
}

export const LAMBDA_VERSIONS: SimVersions = { stable: STABLE_VERSION, canary: CANARY_VERSION };

function behaviourOf(v: VersionSpec, base?: SimVersions): VersionBehaviour {
  const signals = signalsOf(v);
  const defaults: ModelSignalBehaviour = {
    schemaFailureRate: 0.001,
    ...(base?.responseLength === false ? {} : { responseLength: { mean: 600, sd: 100 } }),
    classes: base?.defaultClasses ?? DEFAULT_CLASSES,
  };
  return {
    ...(v.errorRate !== undefined ? { errorRate: v.errorRate } : {}),
    ...(v.latencyMs !== undefined ? { latencyMs: v.latencyMs } : {}),
    ...(base ? { signals: { ...defaults, ...signals } } : signals ? { signals } : {}),
  };
}

/**
 * SimWorld's scenario for a file: version 1 is stable, version 2 the canary; `deployAtMinute` is
 * when (in minutes of the simulation) the canary is deployed, so a change `atMinute` m applies at
 * simulation minute deployAtMinute + m.
 */
export function toSimScenario(file: ScenarioFile, deployAtMinute: number, names: SimVersions = LAMBDA_VERSIONS, seed = 1): Scenario {
  const indexed = (file.changes ?? []).map((c, i) => ({ c, i }));
  const changesOf = (side: 'stable' | 'canary'): BehaviourChange[] =>
    indexed
      .filter(({ c }) => c[side] !== undefined)
      .sort((a, b) => (a.c.atMinute ?? Infinity) - (b.c.atMinute ?? Infinity))
      .map(({ c, i }) => ({
        ...(c.whenCanaryPercent !== undefined ? { whenCanaryPercent: c.whenCanaryPercent, whenShareOf: names.canary } : { atMinute: deployAtMinute + c.atMinute }),
        ...(c.afterSeconds !== undefined || c.randomSeconds !== undefined ? { afterSeconds: (c.afterSeconds ?? 0) + seededSeconds(seed, i, c.randomSeconds ?? 0) } : {}),
        ...(c.forSeconds !== undefined ? { forSeconds: c.forSeconds } : {}),
        ...behaviourOf(c[side]!),
      }));
  const userTraffic = userTrafficOf(file);
  return {
    ...(userTraffic ? { userTraffic } : {}),
    requestsPerSecond: file.requestsPerSecond,
    trafficChanges: (file.changes ?? [])
      .filter((c) => c.requestsPerSecond !== undefined)
      .map((c) => ({ atMinute: deployAtMinute + c.atMinute, requestsPerSecond: c.requestsPerSecond! })),
    versions: {
      [names.stable]: { ...behaviourOf(file.stable, names), changes: changesOf('stable') },
      [names.canary]: { ...behaviourOf(file.canary, names), changes: changesOf('canary') },
    },
  };
}

/** A version's settings at a minute after the deploy (its base merged with the changes so far). */
export function specAt(file: ScenarioFile, side: 'stable' | 'canary', minute: number): VersionSpec {
  let spec: VersionSpec = file[side];
  // Shared events change both versions alike: they never make the canary worse than stable.
  for (const c of [...(file.changes ?? [])].filter((x) => !isShared(x)).sort((a, b) => a.atMinute - b.atMinute)) {
    if (c.atMinute <= minute && c[side]) spec = { ...spec, ...c[side] };
  }
  return spec;
}

/** What makes `canary` worse than `stable`, if anything (empty: not worse). */
export function worseThan(canary: VersionSpec, stable: VersionSpec): string[] {
  const out: string[] = [];
  const more = (k: 'errorRate' | 'tokensPerRequest' | 'guardrailBlockRate' | 'schemaFailureRate') => {
    if ((canary[k] ?? 0) > (stable[k] ?? 0) + 1e-12) out.push(k);
  };
  more('errorRate');
  more('tokensPerRequest');
  more('guardrailBlockRate');
  more('schemaFailureRate');
  if ((canary.latencyMs?.p50 ?? 0) > (stable.latencyMs?.p50 ?? 0)) out.push('latencyMs.p50');
  if ((canary.latencyMs?.p95 ?? 0) > (stable.latencyMs?.p95 ?? 0)) out.push('latencyMs.p95');
  const share = (c: Readonly<Record<string, number>> | undefined) => {
    const classes = c ?? DEFAULT_CLASSES;
    const total = Object.values(classes).reduce((a, b) => a + b, 0) || 1;
    return Object.fromEntries(Object.entries(classes).map(([k, v]) => [k, v / total]));
  };
  const a = share(canary.predictedClasses);
  const b = share(stable.predictedClasses);
  if ([...new Set([...Object.keys(a), ...Object.keys(b)])].some((k) => Math.abs((a[k] ?? 0) - (b[k] ?? 0)) > 1e-9)) out.push('predictedClasses');
  return out;
}

/**
 * When the canary first behaves worse than stable, in minutes after its deploy: 0 when it is worse
 * from the start, the minute of the first change that makes it worse, or undefined (never worse).
 */
export function regressionOnsetMinute(file: ScenarioFile): { minute: number; what: string[] } | undefined {
  const moments = [0, ...(file.changes ?? []).filter((c) => !isShared(c)).map((c) => c.atMinute)].sort((a, b) => a - b);
  for (const m of moments) {
    const what = worseThan(specAt(file, 'canary', m), specAt(file, 'stable', m));
    if (what.length > 0) return { minute: m, what };
  }
  return undefined;
}
