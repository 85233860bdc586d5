/**
 * ln(n!) for the exact conditional tests. A table up to 256, Stirling's series above it (error
 * below 1e-13 there). Written here rather than taken from a library: @stdlib's gammaln would add
 * 48 KiB to a handler bundle for the one function the judge needs, on integers only.
 */
const TABLE_SIZE = 257;
const table = new Float64Array(TABLE_SIZE);
for (let i = 2; i < TABLE_SIZE; i++) table[i] = table[i - 1] + Math.log(i);

const HALF_LN_TWO_PI = 0.5 * Math.log(2 * Math.PI);

export function logFactorial(n: number): number {
  if (n < 0 || !Number.isInteger(n)) throw new Error(`logFactorial: ${n} is not a non-negative integer`);
  if (n < TABLE_SIZE) return table[n];
  const x = n + 1;
  const inv = 1 / x;
  const inv2 = inv * inv;
  // ln Γ(x) = (x − ½) ln x − x + ½ ln 2π + 1/(12x) − 1/(360x³) + 1/(1260x⁵)
  return (x - 0.5) * Math.log(x) - x + HALF_LN_TWO_PI + inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260));
}

/** ln C(n, k). */
export function logChoose(n: number, k: number): number {
  if (k < 0 || k > n) return -Infinity;
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

/** ln Σ exp(xs), stable for large magnitudes. */
export function logSumExp(xs: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < xs.length; i++) if (xs[i] > max) max = xs[i];
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += Math.exp(xs[i] - max);
  return max + Math.log(sum);
}

/** ln of the mean of exp(xs). */
export function logMeanExp(xs: ArrayLike<number>): number {
  return logSumExp(xs) - Math.log(xs.length);
}
