/**
 * The routing document of a config canary (`ConfigModelCanary`): what the workflow deploys to AWS
 * AppConfig and what the router in the application reads, and the one rule that turns a user into
 * a variant. Pure and dependency-free: the workflow's target (lambda/targets/appconfig/), the
 * simulator and both runtime helpers (this file and python/…/routing.py) share it, and
 * runtime/routing-fixtures.json pins the rule for both languages.
 *
 * Sticky and monotone: a user's bucket is a number in [0, 100) from SHA-256 of the rollout's salt
 * and the user id, the same in every process and language. During a rollout the canary takes the
 * low buckets (`canarySide` "low"): raising its share only moves users from stable to canary, and a
 * rollback (share 0) moves everyone back. After the promotion the previous version keeps the high
 * buckets as the judged guards' control ("high"), which are the users that never left it, so no
 * user switches twice.
 *
 * One switch per user, in every process at once: routers poll the store at different times, so a
 * raise or a promotion carries `switchAt` (epoch ms, the deploy time plus the documented
 * propagation) and the split in force `before` it. A router that has read the new document keeps
 * serving the old split until `switchAt`, so every process moves its users at the same moment and
 * a user between two processes never meets the canary, then stable again. A rollback has no
 * `switchAt`: it applies as soon as read.
 */
import { createHash } from 'node:crypto';

export const ROUTING_SCHEMA = 'cdk-model-canary/routing@1';

/** One version of the released config: its identity (the metrics' Version) and the JSON the app reads. */
export interface RoutedVersion {
  readonly version: string;
  readonly config: unknown;
}

/**
 * Who gets which version: the part of a routing document that `choose` reads. A split may itself
 * switch (`switchAt`, `before`): a raise deployed before the previous one's switch keeps that switch.
 */
export interface RoutingSplit {
  /** Mixed into every user's bucket: the rollout's canary version, so each release draws its own users. */
  readonly salt: string;
  readonly stable: RoutedVersion;
  readonly canary?: RoutedVersion;
  /** The canary's share in percent (0 to 100, fractions allowed). */
  readonly canaryPercent: number;
  /** Which buckets the canary's share takes: "low" during a rollout, "high" for the control after a promotion. */
  readonly canarySide?: 'low' | 'high';
  /** When this split takes effect, in epoch milliseconds; until then routers serve `before`. */
  readonly switchAt?: number;
  /** The split in force until `switchAt` (this one when either is missing); itself switching when a previous switch was still to come. */
  readonly before?: RoutingSplit;
}

export interface RoutingDocument extends RoutingSplit {
  readonly schema: typeof ROUTING_SCHEMA;
  /** The release resource that owns the routing (lambda/shared/ownership.ts); the router ignores it. */
  readonly owner?: string;
  readonly previousOwner?: string;
}

/** How deep `before` may nest: a switch per step deployed within one propagation. */
const MAX_PENDING_SWITCHES = 8;

export type Variant = 'stable' | 'canary';

export interface Choice {
  readonly variant: Variant;
  /** The version that serves this user: the Version dimension of the metrics recorded for it. */
  readonly version: string;
  readonly config: unknown;
}

/** A user's bucket in [0, 100): the first 8 bytes of SHA-256("<salt>:<userId>") as a fraction of 2^64, times 100. */
export function bucketOf(salt: string, userId: string): number {
  const digest = createHash('sha256').update(`${salt}:${userId}`, 'utf8').digest();
  // Two 32-bit halves: exact in a double to 2^-53, the same arithmetic in Python.
  const high = digest.readUInt32BE(0);
  const low = digest.readUInt32BE(4);
  return ((high * 2 ** 32 + low) / 2 ** 64) * 100;
}

/** Whether a bucket is in the canary's share. */
export function inCanary(doc: Pick<RoutingDocument, 'canaryPercent' | 'canarySide'>, bucket: number): boolean {
  const share = Math.min(100, Math.max(0, doc.canaryPercent));
  if (share <= 0) return false;
  return (doc.canarySide ?? 'low') === 'high' ? bucket >= 100 - share : bucket < share;
}

/** The split in force at `nowMs`: `before` (as it stands then) until `switchAt`, then the document's own. */
export function splitAt(doc: RoutingSplit, nowMs: number = Date.now()): RoutingSplit {
  let split = doc;
  while (split.before !== undefined && split.switchAt !== undefined && nowMs < split.switchAt) split = split.before;
  return split;
}

/**
 * What routers serve from `nowMs` on, as a `before` for the next switch: the split with the switches
 * still to come (those past are dropped, so the document stays small).
 */
export function pendingSplit(doc: RoutingSplit, nowMs: number = Date.now()): RoutingSplit {
  const { salt, stable, canary, canaryPercent, canarySide, switchAt, before } = doc;
  const own: RoutingSplit = { salt, stable, ...(canary ? { canary } : {}), canaryPercent, ...(canarySide ? { canarySide } : {}) };
  return before !== undefined && switchAt !== undefined && nowMs < switchAt ? { ...own, switchAt, before: pendingSplit(before, nowMs) } : own;
}

/**
 * The variant for a user at `nowMs` (default: now). Without a user id (an anonymous request) the
 * caller passes a random number in [0, 100) as `bucket`: such requests are split by share but not sticky.
 */
export function choose(doc: RoutingDocument, userId: string | undefined, bucket?: number, nowMs?: number): Choice {
  const split = splitAt(doc, nowMs);
  const b = userId === undefined ? (bucket ?? Math.random() * 100) : bucketOf(split.salt, userId);
  if (split.canary && inCanary(split, b)) return { variant: 'canary', version: split.canary.version, config: split.canary.config };
  return { variant: 'stable', version: split.stable.version, config: split.stable.config };
}

/** The routing a document holds; a clear error for anything else (the router keeps its last good one). */
export function parseRouting(text: string, where: string): RoutingDocument {
  let doc: Partial<RoutingDocument>;
  try {
    doc = JSON.parse(text) as Partial<RoutingDocument>;
  } catch {
    throw new Error(`${where} is not JSON: ${text.slice(0, 80)}`);
  }
  const problems: string[] = [];
  if (doc?.schema !== ROUTING_SCHEMA) problems.push(`schema must be "${ROUTING_SCHEMA}"`);
  if (typeof doc?.salt !== 'string') problems.push('salt must be a string');
  const versionOk = (v: unknown) => typeof v === 'object' && v !== null && typeof (v as RoutedVersion).version === 'string' && (v as RoutedVersion).version !== '';
  if (!versionOk(doc?.stable)) problems.push('stable must be { version, config }');
  if (doc?.canary !== undefined && !versionOk(doc.canary)) problems.push('canary must be { version, config }');
  if (typeof doc?.canaryPercent !== 'number' || !(doc.canaryPercent >= 0 && doc.canaryPercent <= 100)) problems.push('canaryPercent must be a number from 0 to 100');
  if (doc?.canarySide !== undefined && doc.canarySide !== 'low' && doc.canarySide !== 'high') problems.push('canarySide must be "low" or "high"');
  problems.push(...switchProblems(doc, versionOk, 0));
  if (problems.length > 0) throw new Error(`${where} is not a cdk-model-canary routing document: ${problems.join('; ')}`);
  return doc as RoutingDocument;
}

/** Problems of a split's `switchAt` and (recursively) its `before`. */
function switchProblems(doc: Partial<RoutingSplit> | undefined, versionOk: (v: unknown) => boolean, depth: number): string[] {
  const problems: string[] = [];
  if (doc?.switchAt !== undefined && !(typeof doc.switchAt === 'number' && Number.isFinite(doc.switchAt))) problems.push('switchAt must be a number (epoch milliseconds)');
  if (doc?.before === undefined) return problems;
  const b = doc.before as Partial<RoutingSplit> | null;
  const ok = typeof b === 'object' && b !== null && typeof b.salt === 'string' && versionOk(b.stable) && (b.canary === undefined || versionOk(b.canary))
    && typeof b.canaryPercent === 'number' && b.canaryPercent >= 0 && b.canaryPercent <= 100 && (b.canarySide === undefined || b.canarySide === 'low' || b.canarySide === 'high');
  if (!ok) return [...problems, 'before must be { salt, stable, canary?, canaryPercent, canarySide? }'];
  if (depth + 1 >= MAX_PENDING_SWITCHES) return [...problems, `before nests more than ${MAX_PENDING_SWITCHES} switches`];
  return [...problems, ...switchProblems(b, versionOk, depth + 1)];
}
