/** Deterministic randomness: the same seed gives the same traffic, errors, latencies and ids. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** A float in [0, 1) (mulberry32). */
  public next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  public chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  /** Standard normal (Box-Muller). */
  public normal(): number {
    const u = Math.max(this.next(), 1e-12);
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal sample with the given median and 95th percentile. */
  public latency(p50: number, p95: number): number {
    if (p95 <= p50) return p50;
    const sigma = (Math.log(p95) - Math.log(p50)) / 1.6448536269514722;
    return Math.exp(Math.log(p50) + sigma * this.normal());
  }

  /** Binomial(n, p), exact, by the geometric gaps between successes: O(successes). */
  public binomial(n: number, p: number): number {
    if (p <= 0 || n <= 0) return 0;
    if (p >= 1) return n;
    const logQ = Math.log(1 - p);
    let k = 0;
    let i = Math.floor(Math.log(1 - this.next()) / logQ);
    while (i < n) {
      k++;
      i += 1 + Math.floor(Math.log(1 - this.next()) / logQ);
    }
    return k;
  }

  /** A UUID-shaped id (Lambda RevisionId, SNS MessageId), reproducible from the seed. */
  public uuid(): string {
    const hex = Array.from({ length: 32 }, () => Math.floor(this.next() * 16).toString(16)).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  /** A seeded replacement for Math.random (aws-local-stepfunctions draws retry jitter from it). */
  public asMathRandom(): () => number {
    const fork = new Random(Math.floor(this.next() * 2 ** 32));
    return () => fork.next();
  }
}
