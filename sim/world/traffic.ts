import type { Random } from '../aws/core/random';
import type { UserTraffic } from '../targets/user-sessions';

export interface LatencySpec {
  readonly p50: number;
  readonly p95: number;
}

export interface Spread {
  readonly mean: number;
  /** Standard deviation (normal, clipped at 0, rounded to an integer). @default 0 */
  readonly sd?: number;
}

/**
 * The per-request model signals the runtime helper (cdk-model-canary/runtime, ModelSignals) writes
 * as EMF: recorded for every successful request, under {Canary, Version} (and {Canary, Version,
 * Class} for the predicted class).
 */
export interface ModelSignalBehaviour {
  readonly inputTokens?: Spread;
  readonly outputTokens?: Spread;
  /** Share of requests where a guardrail intervened, 0..1. */
  readonly guardrailInterventionRate?: number;
  /** Share of responses that fail the output schema, 0..1. */
  readonly schemaFailureRate?: number;
  readonly responseLength?: Spread;
  /** Predicted class shares (normalised). */
  readonly classes?: Readonly<Record<string, number>>;
}

/** How one version of the model behaves. */
export interface VersionBehaviour {
  /** Share of requests that fail with a function error, 0..1. */
  readonly errorRate?: number;
  /** Duration in ms, log-normal with this median and 95th percentile. */
  readonly latencyMs?: LatencySpec;
  /** The body of a successful response. */
  readonly respond?: (event: unknown, version: string) => unknown;
  /** Model signals written per successful request (none when absent). */
  readonly signals?: ModelSignalBehaviour;
}

/** A change of a version's behaviour, at a minute of the simulation or when the canary reaches a share. */
export interface BehaviourChange extends VersionBehaviour {
  /** Minutes since the simulation started. */
  readonly atMinute?: number;
  /** The first time the alias gives this version at least this share, in percent. */
  readonly whenCanaryPercent?: number;
  /**
   * This many minutes after the version first becomes the target's stable version, serving all
   * traffic but the previous version's control share if it keeps one (promoted: the alias's
   * FunctionVersion with at most that one weight; the endpoint's stable-tagged variant with most of the weight).
   */
  readonly minutesAfterPromotion?: number;
  /** Whose share `whenCanaryPercent` watches. @default this version */
  readonly whenShareOf?: string;
  /** Seconds after its trigger (atMinute, whenCanaryPercent, minutesAfterPromotion) the change starts. @default 0 */
  readonly afterSeconds?: number;
  /** The change lasts this many seconds, then the version behaves as before it. @default for good */
  readonly forSeconds?: number;
}

export interface Scenario {
  /** The `Canary` dimension the model's signals carry. @default the simulated canary's name */
  readonly signalsCanaryName?: string;
  /** @default 'ModelCanary' */
  readonly signalsNamespace?: string;
  /** Requests per second through the alias (fractions accumulate). */
  readonly requestsPerSecond: number;
  readonly trafficChanges?: readonly { readonly atMinute: number; readonly requestsPerSecond: number }[];
  /** For versions not listed in `versions`. */
  readonly defaultBehaviour?: VersionBehaviour;
  readonly versions?: Readonly<Record<string, VersionBehaviour & { readonly changes?: readonly BehaviourChange[] }>>;
  /**
   * The Bedrock guardrail version each model version uses (sim/aws/bedrock/bedrock.ts). @default the latest
   * deploy's version uses the canary's canaryGuardrailVersion, every other one stableGuardrailVersion
   */
  readonly guardrailVersions?: Readonly<Record<string, string>>;
  /** Who makes the requests, for a routing by user (a config canary's routers, sim/targets/user-sessions.ts). */
  readonly userTraffic?: UserTraffic;
}


export const DEFAULT_BEHAVIOUR: Required<Omit<VersionBehaviour, 'respond' | 'signals'>> = {
  errorRate: 0.001,
  latencyMs: { p50: 80, p95: 150 },
};

/**
 * What a version records when the scenario gives it no `signals`: what the example models
 * (bin/model/) record for every request: a few tokens, no guardrail intervention, a valid schema,
 * its response length and its predicted class, among the classes of both example canaries
 * (positive/negative for the Lambda one, summary/refusal for the SageMaker one: each guard counts
 * its own). `signals: {}` records none.
 */
export const DEFAULT_SIGNALS: ModelSignalBehaviour = {
  inputTokens: { mean: 8, sd: 2 },
  outputTokens: { mean: 20, sd: 1 },
  guardrailInterventionRate: 0,
  schemaFailureRate: 0,
  responseLength: { mean: 80, sd: 4 },
  classes: { positive: 0.36, negative: 0.24, summary: 0.38, refusal: 0.02 },
};

export function defaultResponse(event: unknown, version: string): unknown {
  const text = String((event as { text?: unknown } | null)?.text ?? '');
  const positive = /good|great|love|excellent/i.test(text);
  return { modelVersion: version, prediction: positive ? 'positive' : 'negative', confidence: positive ? 0.91 : 0.64 };
}

export interface RequestSignals {
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly guardrailIntervened?: boolean;
  readonly schemaValid?: boolean;
  readonly responseLength?: number;
  readonly predictedClass?: string;
}

export interface RequestOutcome {
  readonly version: string;
  readonly error: boolean;
  readonly durationMs: number;
  /** What the model's code recorded (successful requests of versions with `signals`). */
  readonly signals?: RequestSignals;
}

/** The scenario over time: which behaviour a version has now, and how many requests arrive. */
export class TrafficModel {
  /** When each `whenCanaryPercent` change first applied (virtual ms), by "version#index". */
  private readonly triggered = new Map<string, number>();
  /** When each version first served all traffic as the target's stable version (virtual ms). */
  private readonly promotedAt = new Map<string, number>();
  private carry = 0;

  constructor(
    private readonly scenario: Scenario,
    private readonly random: Random,
    private readonly startMs: number,
  ) {}

  public requestsPerSecond(now: number): number {
    let rps = this.scenario.requestsPerSecond;
    for (const c of [...(this.scenario.trafficChanges ?? [])].sort((a, b) => a.atMinute - b.atMinute)) {
      if (now >= this.startMs + c.atMinute * 60_000) rps = c.requestsPerSecond;
    }
    return rps;
  }

  /** Whether the request rate may change within (now, until]. */
  public trafficChangesBetween(now: number, until: number): boolean {
    return (this.scenario.trafficChanges ?? []).some((c) => {
      const t = this.startMs + c.atMinute * 60_000;
      return t > now && t <= until;
    });
  }

  /** Requests arriving in the next second (fractional rates accumulate). */
  public arrivals(now: number): number {
    this.carry += this.requestsPerSecond(now);
    const n = Math.floor(this.carry + 1e-9);
    this.carry -= n;
    return n;
  }

  /**
   * Latches `whenCanaryPercent` changes against each version's share of the traffic now, in
   * percent (sim/targets/<kind>.ts reads it from the routing); `stable`: the target's stable
   * version, promoted for `minutesAfterPromotion` once it serves 80 % or more.
   */
  public observe(share: (version: string) => number, now: number, stable?: string): void {
    this.observeShare(share, now);
    // The canary promoted keeps the previous version at a control share during the watch (at most 20 %).
    if (stable !== undefined && share(stable) >= 80 - 1e-9) this.observePromoted(stable, now);
  }

  private observePromoted(version: string, now: number): void {
    if (!this.promotedAt.has(version)) this.promotedAt.set(version, now);
  }

  private observeShare(share: (version: string) => number, now: number): void {
    for (const [version, spec] of Object.entries(this.scenario.versions ?? {})) {
      (spec.changes ?? []).forEach((c, i) => {
        const key = `${version}#${i}`;
        if (c.whenCanaryPercent !== undefined && !this.triggered.has(key) && share(c.whenShareOf ?? version) + 1e-9 >= c.whenCanaryPercent) {
          this.triggered.set(key, now);
        }
      });
    }
  }

  public behaviour(version: string, now: number): VersionBehaviour {
    const spec = this.scenario.versions?.[version];
    let b: VersionBehaviour = { ...DEFAULT_BEHAVIOUR, signals: DEFAULT_SIGNALS, ...this.scenario.defaultBehaviour, ...(spec ?? {}) };
    (spec?.changes ?? []).forEach((c, i) => {
      const from = this.changeAppliedAt(version, i);
      const applies = from !== undefined && now >= from && (c.forSeconds === undefined || now < from + c.forSeconds * 1000);
      if (applies) {
        b = {
          errorRate: c.errorRate ?? b.errorRate,
          latencyMs: c.latencyMs ?? b.latencyMs,
          respond: c.respond ?? b.respond,
          signals: c.signals ? { ...b.signals, ...c.signals } : b.signals,
        };
      }
    });
    return b;
  }

  /** When a change of `version` applies (virtual ms; it may lie ahead), once its trigger is known. */
  public changeAppliedAt(version: string, index = 0): number | undefined {
    const c = this.scenario.versions?.[version]?.changes?.[index];
    if (!c) return undefined;
    const after = (c.afterSeconds ?? 0) * 1000;
    if (c.atMinute !== undefined) return this.startMs + c.atMinute * 60_000 + after;
    if (c.minutesAfterPromotion !== undefined) {
      const promoted = this.promotedAt.get(version);
      return promoted === undefined ? undefined : promoted + c.minutesAfterPromotion * 60_000 + after;
    }
    const triggered = this.triggered.get(`${version}#${index}`);
    return triggered === undefined ? undefined : triggered + after;
  }

  public serve(version: string, now: number): RequestOutcome {
    const b = this.behaviour(version, now);
    const latency = b.latencyMs ?? DEFAULT_BEHAVIOUR.latencyMs;
    const error = this.random.chance(b.errorRate ?? DEFAULT_BEHAVIOUR.errorRate);
    return {
      version,
      error,
      durationMs: Math.max(1, this.random.latency(latency.p50, latency.p95)),
      signals: !error && b.signals ? this.signals(b.signals) : undefined,
    };
  }

  private signals(s: ModelSignalBehaviour): RequestSignals {
    const draw = (x: Spread | undefined) => (x ? Math.max(0, Math.round(x.mean + (x.sd ?? 0) * this.random.normal())) : undefined);
    let predictedClass: string | undefined;
    if (s.classes) {
      const entries = Object.entries(s.classes);
      const total = entries.reduce((a, [, w]) => a + w, 0);
      let r = this.random.next() * total;
      predictedClass = entries[entries.length - 1]?.[0];
      for (const [k, w] of entries) {
        if ((r -= w) < 0) {
          predictedClass = k;
          break;
        }
      }
    }
    return {
      inputTokens: draw(s.inputTokens),
      outputTokens: draw(s.outputTokens),
      guardrailIntervened: s.guardrailInterventionRate !== undefined ? this.random.chance(s.guardrailInterventionRate) : undefined,
      schemaValid: s.schemaFailureRate !== undefined ? !this.random.chance(s.schemaFailureRate) : undefined,
      responseLength: draw(s.responseLength),
      predictedClass,
    };
  }
}
