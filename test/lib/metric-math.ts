/**
 * A small evaluator of CloudWatch metric math, for the guard tests: what an alarm's expression
 * gives for one minute of given metric values. Its own tests are in signal-guards.test.ts.
 */
/** The one expression whose result the alarm evaluates. */
export function expressionOf(alarm: any): string {
  const returned = (alarm.Metrics ?? []).filter((m: any) => m.ReturnData !== false);
  expect(returned).toHaveLength(1);
  expect(returned[0].Expression).toBeDefined();
  return returned[0].Expression;
}

/**
 * Evaluates a CloudWatch metric-math expression of the shapes these guards use for one minute
 * (one timestamp): numbers, metric ids, + - * / ^, unary -, comparisons (> < >= <= == !=), AND / OR
 * (also && / ||), ^, ABS(x), FILL(x, n) and IF(condition, a[, b]). `undefined` stands for a metric
 * with no datapoint that minute, and an `undefined` result for "no datapoint".
 *
 * How a missing value travels (the per-timestamp rules of metric math on time series):
 * - a metric with no datapoint combined with a constant (`m * 2`) gives no datapoint;
 * - between two time series, a value missing on one side counts as 0 (`a - b` with `b` missing
 *   is `a`), and missing on both sides gives no datapoint. The AWS docs state this for `a - b`;
 *   this evaluator applies it to every binary operator (so `a / b` with `b` missing is `a / 0`,
 *   Infinity or NaN here: a value, never "no datapoint");
 * - FILL(x, n) is a time series with n where x has no datapoint;
 * - IF(c, a[, b]) has a datapoint only where c has one: a where c is not 0, else b, and no
 *   datapoint where c is 0 and b is left out. Comparisons and AND / OR give 1 or 0.
 */
type Operand = { readonly value: number | undefined; readonly series: boolean };

export function evaluate(expression: string, values: Record<string, number | undefined>): number | undefined {
  const tokens = expression.match(/\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[A-Za-z_]\w*|&&|\|\||[<>=!]=|\S/g) ?? [];
  let at = 0;
  const peek = () => tokens[at];
  const fail = (why: string): never => {
    throw new Error(`cannot evaluate ${expression}: ${why} at token ${at} (${peek() ?? 'end'})`);
  };
  const take = (expected?: string): string => {
    const t = tokens[at];
    if (t === undefined || (expected !== undefined && t !== expected)) fail(`expected ${expected ?? 'a token'}`);
    at++;
    return t;
  };
  const scalar = (value: number): Operand => ({ value, series: false });
  const missing: Operand = { value: undefined, series: true };

  /** A binary operator per timestamp, with the missing-value rules above. */
  const combine = (l: Operand, r: Operand, f: (a: number, b: number) => number): Operand => {
    const series = l.series || r.series;
    if (l.value === undefined && r.value === undefined) return missing;
    if (l.value === undefined || r.value === undefined) {
      // A constant next to a missing datapoint: no datapoint. Two series: the missing side is 0.
      if (!l.series || !r.series) return missing;
      return { value: f(l.value ?? 0, r.value ?? 0), series };
    }
    return { value: f(l.value, r.value), series };
  };
  const truth = (b: boolean) => (b ? 1 : 0);
  const BINARY: Record<string, [number, (a: number, b: number) => number]> = {
    OR: [1, (a, b) => truth(a !== 0 || b !== 0)],
    '||': [1, (a, b) => truth(a !== 0 || b !== 0)],
    AND: [2, (a, b) => truth(a !== 0 && b !== 0)],
    '&&': [2, (a, b) => truth(a !== 0 && b !== 0)],
    '==': [3, (a, b) => truth(a === b)],
    '!=': [3, (a, b) => truth(a !== b)],
    '>': [4, (a, b) => truth(a > b)],
    '<': [4, (a, b) => truth(a < b)],
    '>=': [4, (a, b) => truth(a >= b)],
    '<=': [4, (a, b) => truth(a <= b)],
    '+': [5, (a, b) => a + b],
    '-': [5, (a, b) => a - b],
    '*': [6, (a, b) => a * b],
    '/': [6, (a, b) => a / b],
    '^': [7, (a, b) => a ** b],
  };

  const args = (): Operand[] => {
    take('(');
    const list = [binary(0)];
    while (peek() === ',') {
      take(',');
      list.push(binary(0));
    }
    take(')');
    return list;
  };

  const primary = (): Operand => {
    const t = take();
    if (/^\d/.test(t)) return scalar(Number(t));
    if (t === '(') {
      const inner = binary(0);
      take(')');
      return inner;
    }
    if (t === '-') {
      const o = primary();
      return { value: o.value === undefined ? undefined : -o.value, series: o.series };
    }
    if (/^[a-z]\w*$/.test(t)) {
      if (!(t in values)) throw new Error(`expression ${expression} uses ${t}, which the test gave no value`);
      return { value: values[t], series: true };
    }
    if (t === 'ABS') {
      const a = args();
      if (a.length !== 1) fail('ABS takes one argument');
      return { value: a[0].value === undefined ? undefined : Math.abs(a[0].value), series: a[0].series };
    }
    if (t === 'FILL') {
      const a = args();
      if (a.length !== 2 || a[1].series || a[1].value === undefined) fail('FILL takes a metric and a number');
      return { value: a[0].value ?? a[1].value, series: true };
    }
    if (t === 'IF') {
      const a = args();
      if (a.length < 2 || a.length > 3) fail('IF takes a condition and one or two values');
      const [condition, then, otherwise] = a;
      if (condition.value === undefined) return missing;
      const chosen = condition.value !== 0 ? then : otherwise;
      return { value: chosen?.value, series: true };
    }
    return fail(`unknown token ${t}`);
  };

  /** Precedence climbing over BINARY (all left-associative). */
  const binary = (minPrecedence: number): Operand => {
    let left = primary();
    for (;;) {
      const op = peek();
      const entry = op === undefined ? undefined : BINARY[op];
      if (!entry || entry[0] < minPrecedence) return left;
      take();
      left = combine(left, binary(entry[0] + 1), entry[1]);
    }
  };

  const result = binary(0);
  if (at !== tokens.length) fail('unexpected token');
  return result.value;
}

