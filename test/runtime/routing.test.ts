/**
 * The routing rule (runtime/routing.ts), pinned by runtime/routing-fixtures.json, which
 * python/tests/test_routing.py reads too: the same user gets the same variant in both languages.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bucketOf, choose, inCanary, parseRouting, pendingSplit, ROUTING_SCHEMA, type RoutingDocument, splitAt, type Variant } from '../../runtime/routing';

interface Fixtures {
  buckets: { salt: string; userId: string; bucket: number }[];
  choices: { document: RoutingDocument; choices: { userId: string; variant: Variant; version: string }[] }[];
  switches: { document: RoutingDocument; nowMs: number; choices: { userId: string; variant: Variant; version: string }[] }[];
}
const fixtures = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'runtime', 'routing-fixtures.json'), 'utf8')) as Fixtures;

function doc(canaryPercent: number, canarySide: 'low' | 'high' = 'low', stable = 'cfg-1', canary = 'cfg-2'): RoutingDocument {
  return {
    schema: ROUTING_SCHEMA, salt: 'cfg-2', canaryPercent, canarySide,
    stable: { version: stable, config: { m: stable } }, canary: { version: canary, config: { m: canary } },
  };
}

/** Random-looking but repeatable user ids (a tiny LCG: the same users on every run). */
function users(n: number, seed = 7): string[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return `user-${x.toString(16)}-${n}`;
  });
}

describe('the fixtures, exactly', () => {
  test.each(fixtures.buckets.map((b) => [b.salt, b.userId.slice(0, 20), b] as const))('bucket of %s:%s', (_s, _u, b) => {
    expect(bucketOf(b.salt, b.userId)).toBe(b.bucket);
  });

  test.each(fixtures.choices.map((c) => [JSON.stringify({ p: c.document.canaryPercent, side: c.document.canarySide }), c] as const))('choices at %s', (_name, c) => {
    expect(c.choices.map((x) => ({ userId: x.userId, ...pick(choose(c.document, x.userId)) }))).toEqual(c.choices);
    expect(parseRouting(JSON.stringify(c.document), 'fixture')).toEqual(c.document);
  });

  test.each(fixtures.switches.map((c) => [`${c.document.canaryPercent} % ${c.nowMs < c.document.switchAt! ? 'before' : 'at'} switchAt`, c] as const))('switch: %s', (_name, c) => {
    expect(c.choices.map((x) => ({ userId: x.userId, ...pick(choose(c.document, x.userId, undefined, c.nowMs)) }))).toEqual(c.choices);
    expect(parseRouting(JSON.stringify(c.document), 'fixture')).toEqual(c.document);
  });

  function pick(choice: { variant: Variant; version: string }) {
    return { variant: choice.variant, version: choice.version };
  }
});

describe('properties of the rule', () => {
  test('monotone: raising the share on the low side never moves a user from canary back to stable', () => {
    const shares = [0, 0.5, 1, 5, 10, 25, 33.3, 50, 75, 99, 100];
    for (const user of users(2000)) {
      const variants = shares.map((p) => choose(doc(p), user).variant);
      const first = variants.indexOf('canary') === -1 ? variants.length : variants.indexOf('canary');
      expect(variants.slice(first).every((v) => v === 'canary')).toBe(true);
    }
  });

  test('rollback: share 0 puts everyone on stable, on either side', () => {
    const versions = new Set(users(3000).flatMap((u) => [choose(doc(0, 'low'), u).version, choose(doc(0, 'high'), u).version]));
    expect([...versions]).toEqual(['cfg-1']);
  });

  test('promotion continuity: canary users are on the new stable; the high 5 % never leave the old version', () => {
    const rollout = doc(95, 'low', 'cfg-1', 'cfg-2');
    // The promoted document: the old canary is stable, the old stable the control at the high 5 %.
    const promoted = doc(5, 'high', 'cfg-2', 'cfg-1');
    let control = 0;
    for (const user of users(5000)) {
      const before = choose(rollout, user);
      const after = choose(promoted, user);
      if (before.variant === 'canary') expect(after.version).toBe('cfg-2');
      if (bucketOf('cfg-2', user) >= 95) {
        control++;
        expect([before.version, after.version]).toEqual(['cfg-1', 'cfg-1']);
      }
    }
    expect(control).toBeGreaterThan(150);
  });

  test.each([[5, 'low'], [25, 'low'], [50, 'low'], [95, 'low'], [5, 'high'], [12.5, 'high']] as const)(
    'roughly %s %% on the canary (side %s) over 20,000 users, within 1.5 points',
    (percent, side) => {
      const onCanary = users(20_000, 11).filter((u) => choose(doc(percent, side), u).variant === 'canary').length;
      expect(Math.abs((onCanary / 20_000) * 100 - percent)).toBeLessThanOrEqual(1.5);
    },
  );

  test('without a user id the bucket given (or a random one) decides', () => {
    expect(choose(doc(50), undefined, 10).variant).toBe('canary');
    expect(choose(doc(50), undefined, 60).variant).toBe('stable');
    expect(new Set(Array.from({ length: 200 }, () => choose(doc(50), undefined).variant))).toEqual(new Set(['stable', 'canary']));
  });

  test('the share is clamped, and no canary means stable', () => {
    expect(inCanary({ canaryPercent: 150 }, 99.9)).toBe(true);
    expect(inCanary({ canaryPercent: -5 }, 0)).toBe(false);
    const noCanary: RoutingDocument = { schema: ROUTING_SCHEMA, salt: 's', stable: { version: 'v1', config: 1 }, canaryPercent: 100 };
    expect(new Set(users(100).map((u) => choose(noCanary, u).version))).toEqual(new Set(['v1']));
  });
});

describe('switchAt: one switch per user, in every process at once', () => {
  const T = 1_800_000_000_000;
  const raise = (from: number, to: number): RoutingDocument => ({ ...doc(to), switchAt: T, before: { ...doc(from) } });

  test('before switchAt the previous split, from switchAt the new one, whenever the document was read', () => {
    const d = raise(10, 50);
    for (const u of users(2000)) {
      expect(choose(d, u, undefined, T - 1).version).toBe(choose(doc(10), u).version);
      expect(choose(d, u, undefined, T).version).toBe(choose(doc(50), u).version);
    }
  });

  test('two processes, one on the old document and one on the new: no user meets the canary and then stable', () => {
    const old = doc(10);
    const next = raise(10, 50);
    for (const u of users(2000)) {
      // Until switchAt both processes serve the old split; from it, the stale one may still serve it (a rollback-free raise only adds canary users).
      const seen = [choose(old, u, undefined, T - 1000), choose(next, u, undefined, T - 1000), choose(next, u, undefined, T), choose(next, u, undefined, T + 1000)].map((c) => c.variant);
      const firstCanary = seen.indexOf('canary');
      if (firstCanary >= 0) expect(seen.slice(firstCanary).every((v) => v === 'canary')).toBe(true);
    }
  });

  test('a raise deployed before the previous switch keeps it: routers on either document agree at every moment', () => {
    const P = 90_000;
    const first: RoutingDocument = { ...doc(25), switchAt: T, before: { ...doc(5) } };
    const at = T - 30_000; // the next raise comes 30 s before the first one's switch
    const second: RoutingDocument = { ...doc(50), switchAt: at + P, before: pendingSplit(first, at) };
    for (const t of [at, T - 1, T, at + P - 1]) expect(splitAt(second, t).canaryPercent).toBe(splitAt(first, t).canaryPercent);
    expect(splitAt(second, at + P).canaryPercent).toBe(50);
    // After the first switch has passed it is dropped: one level, not a growing chain.
    expect(pendingSplit(second, at + P + 1)).toEqual({ salt: 'cfg-2', stable: doc(50).stable, canary: doc(50).canary, canaryPercent: 50, canarySide: 'low' });
    expect(parseRouting(JSON.stringify(second), 'x')).toEqual(second);
    for (const u of users(2000)) {
      const seen = [at, T - 1, T, at + P - 1, at + P].flatMap((t) => [choose(first, u, undefined, t), choose(second, u, undefined, t)]).map((c) => c.variant);
      const firstCanary = seen.indexOf('canary');
      if (firstCanary >= 0) expect(seen.slice(firstCanary).every((v) => v === 'canary')).toBe(true);
    }
  });

  test('a malformed switchAt or before is refused, naming the field', () => {
    expect(() => parseRouting(JSON.stringify({ ...raise(10, 50), switchAt: 'soon' }), 'x')).toThrow(/switchAt must be a number/);
    expect(() => parseRouting(JSON.stringify({ ...raise(10, 50), before: { canaryPercent: 5 } }), 'x')).toThrow(/before must be/);
    let deep: RoutingDocument = raise(10, 50);
    for (let i = 0; i < 8; i++) deep = { ...raise(10, 50), before: deep };
    expect(() => parseRouting(JSON.stringify(deep), 'x')).toThrow(/before nests more than 8 switches/);
    // Without both, the document's own split applies at any time.
    const { before: _b, ...noBefore } = raise(10, 50);
    expect(choose(noBefore, users(1)[0], undefined, 0).version).toBe(choose(doc(50), users(1)[0]).version);
  });
});
