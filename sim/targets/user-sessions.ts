/**
 * Who makes a config canary's requests and which router process serves them (sim/targets/appconfig.ts).
 *
 * - **Sessions.** A user arrives and makes a session of requests a few seconds apart. The scenario's
 *   rate stays the rate: each second's arrivals go first to sessions whose next request is due, the
 *   rest start new sessions of users drawn from the pool. A user may come back in a later session.
 * - **Router processes.** Each request lands on one of N processes at random (a load balancer).
 *   Each process caches the routing document and reads it again every `propagationSeconds`,
 *   process i at offset i × propagation / N: during a change the processes serve different documents.
 * - **Exposure.** Which users met which versions, and why they moved (UserExposureCounts).
 */
import type { Random } from '../aws/core/random';
import type { RoutingDocument, RoutingSplit } from '../../runtime/routing';

/**
 * The application's users and its router processes, for a routing that keeps each user on a
 * variant: requests still arrive at the scenario's rate; sessions only say which user makes each.
 */
export interface UserTraffic {
  /** Users the sessions are drawn from. @default 5000 */
  readonly users?: number;
  /** Mean requests of a session (geometric, at least 1; 1: every request a new session). @default 5 */
  readonly sessionRequests?: number;
  /** Router processes behind the load balancer, each with its own cache of the routing. @default 4 */
  readonly routerProcesses?: number;
  /** Seconds between a session's requests, drawn uniformly (whole seconds). @default { min: 10, max: 30 } */
  readonly sessionGapSeconds?: { readonly min: number; readonly max: number };
}

/** Defaults of UserTraffic: a chat application's users, sessions of a few turns, four processes. */
export const USER_TRAFFIC_DEFAULTS: Required<UserTraffic> = {
  users: 5000,
  sessionRequests: 5,
  routerProcesses: 4,
  sessionGapSeconds: { min: 10, max: 30 },
};

/** A due request waiting longer than this (the rate fell below the sessions' pace) is dropped: the user left. */
const MAX_WAIT_SECONDS = 300;

export interface Session {
  readonly id: number;
  readonly user: number;
  /** The version of its first request, and the cause of its first switch to another (none: one version). */
  firstVersion?: string;
  switched?: SwitchCause;
  lastProcess?: number;
  /** Its requests landed on more than one process. */
  spansProcesses: boolean;
  dueAt: number;
}

/** Assigns each second's arrivals to users' sessions. */
export class Sessions {
  private readonly due = new Map<number, Session[]>();
  private ready: Session[] = [];
  private ids = 0;
  /** Sessions started, and those whose requests met more than one process. */
  public started = 0;
  public spanning = 0;

  constructor(
    private readonly o: Required<UserTraffic>,
    private readonly random: Random,
  ) {}

  /** The sessions that make this second's `n` requests: the due ones first (oldest first), new users for the rest. */
  public take(now: number, n: number): Session[] {
    const second = Math.round(now / 1000);
    for (const [at, list] of this.due) {
      if (at > second) continue;
      this.ready.push(...list);
      this.due.delete(at);
    }
    if (this.ready.length > 0 && this.ready[0].dueAt < second - MAX_WAIT_SECONDS) this.ready = this.ready.filter((s) => s.dueAt >= second - MAX_WAIT_SECONDS);
    const out = this.ready.length <= n ? this.ready : this.ready.slice(0, n);
    this.ready = this.ready.length <= n ? [] : this.ready.slice(n);
    while (out.length < n) {
      this.started++;
      out.push({ id: ++this.ids, user: Math.floor(this.random.next() * this.o.users), spansProcesses: false, dueAt: second });
    }
    return out;
  }

  /** After a session's request on `process`: it ends (geometric length), or its next request is due a gap later. */
  public after(s: Session, now: number, process: number | undefined): void {
    if (process !== undefined) {
      if (s.lastProcess !== undefined && s.lastProcess !== process && !s.spansProcesses) {
        s.spansProcesses = true;
        this.spanning++;
      }
      s.lastProcess = process;
    }
    if (this.random.next() < 1 / this.o.sessionRequests) return;
    const { min, max } = this.o.sessionGapSeconds;
    s.dueAt = Math.round(now / 1000) + min + Math.floor(this.random.next() * (max - min + 1));
    const list = this.due.get(s.dueAt);
    if (list) list.push(s);
    else this.due.set(s.dueAt, [s]);
  }
}

/** A routing document as a process read it: `revision` is its hosted configuration version (newer: higher). */
export interface ReadDocument {
  readonly doc: RoutingDocument;
  readonly revision: number;
}

/** N router processes, each with its own cache of the routing, polling at its own stagger. */
export class RouterProcesses {
  public readonly docs: (ReadDocument | undefined)[];
  private readonly nextPoll: number[];
  private epoch?: number;

  constructor(
    public readonly count: number,
    private readonly periodMs: number,
  ) {
    this.docs = new Array<ReadDocument | undefined>(count).fill(undefined);
    this.nextPoll = new Array<number>(count).fill(0);
  }

  /**
   * Each process due to poll reads the routing: `read(i)` is what AppConfig gives process i. A
   * process without a document (nothing deployed yet, or a new process) reads every second.
   */
  public refresh(now: number, read: (process: number) => ReadDocument | undefined): void {
    this.epoch ??= now;
    for (let i = 0; i < this.count; i++) {
      if (this.docs[i] && now < this.nextPoll[i]) continue;
      // A failed read keeps the last good document, as the router does.
      this.docs[i] = read(i) ?? this.docs[i];
      const offset = (i * this.periodMs) / this.count;
      const k = Math.floor((now - this.epoch - offset) / this.periodMs) + 1;
      this.nextPoll[i] = this.epoch + offset + Math.max(0, k) * this.periodMs;
    }
  }

  /** The process the load balancer sends a request to. */
  public pick(random: Random): number {
    return this.count === 1 ? 0 : Math.floor(random.next() * this.count);
  }
}

/**
 * Why a user's version changed between two of their requests:
 * - `forward`: to a newer version (a raise moved a stable user to the canary, or a promotion finished): expected.
 * - `rollback`: to an older version after a rollback was deployed since the user's previous request
 *   (the newest version's share fell from one routing revision to the next): expected, a rollback moves everyone back.
 * - `stale`: to an older version served by a process whose document is older than the one that
 *   served the user before: a process that has not read a change yet (the change's propagation).
 * - `sticky`: to an older version with no rollback and no older document: the routing rule moved
 *   the user back by itself (a broken bucket or side); 0 for runtime/routing.ts.
 */
export type SwitchCause = 'forward' | 'rollback' | 'stale' | 'sticky';

/**
 * Users by what they met. "Back" is from a newer version to an older one (versions ordered by their
 * first appearance in a routing document: the stable one before the canary of the same document).
 */
export interface UserExposureCounts {
  /** Users who made a request. */
  readonly users: number;
  readonly sessions: number;
  /** Sessions whose requests landed on more than one router process. */
  readonly sessionsSpanningProcesses: number;
  /** Users who met more than one version, for any reason (a raise moves stable users to the canary). */
  readonly onBothVersions: number;
  /**
   * Users who met a newer version and then an older one again where no rollback explains it
   * (`stale` or `sticky` switches): the harmful kind, what "switched back" means. Goal 0.
   */
  readonly switchedBack: number;
  /** Of switchedBack: moved back by a process that had not read a change yet (its propagation). */
  readonly switchedBackStale: number;
  /** Of switchedBackStale: the change not read yet was a promotion (the canary made stable, or the control share ended), not a raise. */
  readonly switchedBackStaleInPromotion: number;
  /** Of switchedBack: moved back with no older document serving them (the routing rule broke stickiness). */
  readonly switchedBackSticky: number;
  /** Users moved back by a rollback deployed since their previous request (expected). */
  readonly switchedBackInRollback: number;
  /** Users who met both versions within one session, for any reason. */
  readonly bothInSession: number;
  /** Of bothInSession: the session's first switch was not a rollback's (a raise mid-session, or a stale process). */
  readonly bothInSessionOutsideRollback: number;
}

interface UserState {
  version: string;
  revision: number;
}

/** Who met what: every request of a user is recorded with the document revision that routed it. */
export class UserExposure {
  private readonly state = new Map<number, UserState>();
  private readonly rank = new Map<string, number>();
  private readonly revisions = new Map<number, { doc: RoutingDocument; at: number }>();
  /** Revisions that rolled back (the newest version's share fell), with when they were first read. */
  private readonly rollbacks: { revision: number; at: number }[] = [];
  /** Revisions whose deployment AppConfig rolled back (their clients went back to the previous revision), and when. */
  private readonly revoked: { revision: number; at: number }[] = [];
  private readonly sets = {
    onBoth: new Set<number>(),
    stale: new Set<number>(),
    staleInPromotion: new Set<number>(),
    sticky: new Set<number>(),
    rollback: new Set<number>(),
    inSession: new Set<number>(),
    inSessionOutside: new Set<number>(),
  };

  /** A document read from AppConfig (by a process, or the deployed one): its versions ranked, a rollback noted. */
  public revision(read: ReadDocument, now: number): void {
    if (this.revisions.has(read.revision)) return;
    for (const v of [read.doc.stable.version, read.doc.canary?.version]) if (v !== undefined && !this.rank.has(v)) this.rank.set(v, this.rank.size);
    const before = this.revisions.get(this.latestBelow(read.revision))?.doc;
    this.revisions.set(read.revision, { doc: read.doc, at: now });
    if (before && this.newestShareFell(before, read.doc)) this.rollbacks.push({ revision: read.revision, at: now });
  }

  /** AppConfig rolled back the deployment of `revision` at `at`: a user who met it and then an older version was moved back by that rollback. */
  public rolledBack(revision: number, at: number): void {
    this.revoked.push({ revision, at });
  }

  /** One request of `session`'s user, served `version` under the document `read`. */
  public request(session: Session, version: string, read: ReadDocument, now: number): void {
    const user = session.user;
    const u = this.state.get(user);
    let cause: SwitchCause | undefined;
    if (!u) this.state.set(user, { version, revision: read.revision });
    else {
      if (u.version !== version) {
        cause = this.causeOf(u, version, read.revision, now);
        this.sets.onBoth.add(user);
        if (cause !== 'forward') this.sets[cause].add(user);
        if (cause === 'stale' && this.promoted(u.revision)) this.sets.staleInPromotion.add(user);
        u.version = version;
      }
      u.revision = read.revision;
    }
    if (session.firstVersion === undefined) session.firstVersion = version;
    else if (session.switched === undefined && version !== session.firstVersion) {
      // The user's previous request may have been in another session: the cause is of this request's version.
      session.switched = cause ?? 'forward';
      this.sets.inSession.add(user);
      if (session.switched !== 'rollback') this.sets.inSessionOutside.add(user);
    }
  }

  public counts(sessions: Sessions): UserExposureCounts {
    const s = this.sets;
    const harmful = new Set([...s.stale, ...s.sticky]);
    return {
      users: this.state.size,
      sessions: sessions.started,
      sessionsSpanningProcesses: sessions.spanning,
      onBothVersions: s.onBoth.size,
      switchedBack: harmful.size,
      switchedBackStale: s.stale.size,
      switchedBackStaleInPromotion: s.staleInPromotion.size,
      switchedBackSticky: s.sticky.size,
      switchedBackInRollback: s.rollback.size,
      bothInSession: s.inSession.size,
      bothInSessionOutsideRollback: s.inSessionOutside.size,
    };
  }

  private causeOf(u: UserState, version: string, revision: number, now: number): SwitchCause {
    if ((this.rank.get(version) ?? 0) > (this.rank.get(u.version) ?? 0)) return 'forward';
    if (this.rollbacks.some((r) => r.revision > u.revision && r.at <= now)) return 'rollback';
    if (this.revoked.some((r) => r.revision === u.revision && r.at <= now)) return 'rollback';
    return revision < u.revision ? 'stale' : 'sticky';
  }

  /** Revision `revision` has the newest version as its stable one: the canary was promoted (the watch, or after it). */
  private promoted(revision: number): boolean {
    const stable = this.revisions.get(revision)?.doc.stable.version;
    return stable !== undefined && this.rank.size > 1 && this.rank.get(stable) === this.rank.size - 1;
  }

  private latestBelow(revision: number): number {
    let best = -Infinity;
    for (const r of this.revisions.keys()) if (r < revision && r > best) best = r;
    return best;
  }

  /** The newest version of either document has a smaller share in `after` than in `before`. */
  private newestShareFell(before: RoutingDocument, after: RoutingDocument): boolean {
    const versions = [before.stable.version, before.canary?.version, after.stable.version, after.canary?.version].filter((v): v is string => v !== undefined);
    const newest = versions.reduce((a, b) => ((this.rank.get(b) ?? 0) > (this.rank.get(a) ?? 0) ? b : a));
    return shareOf(after, newest) < shareOf(before, newest) - 1e-9;
  }
}

/** A version's share of the users under `doc`, in percent. */
export function shareOf(doc: RoutingSplit, version: string): number {
  const canary = doc.canary ? doc.canaryPercent : 0;
  if (doc.canary?.version === version) return canary;
  return doc.stable.version === version ? 100 - canary : 0;
}
