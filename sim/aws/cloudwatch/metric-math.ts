/**
 * The subset of CloudWatch metric math the library's alarms use, with CloudWatch's documented
 * semantics (Using metric math, "Basic arithmetic functions" and "Using IF expressions"):
 * - arithmetic on two time series works per timestamp over the union of their timestamps, and a
 *   value missing on one side counts as 0;
 * - a division by zero drops that datapoint;
 * - FILL(ts, x) fills every period of the queried range that has no value;
 * - comparisons give 0/1, missing values count as 0; IF(cond, a, b) per timestamp of cond;
 * - "All functions must be written in uppercase letters (such as AVG)": `fill(m1, 0)` is rejected
 *   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html).
 */
export type TimeSeries = Map<number, number>;
export type MathValue = { readonly kind: 'scalar'; readonly value: number } | { readonly kind: 'ts'; readonly points: TimeSeries };

export interface MathContext {
  /** Period start times (epoch ms, ascending) of the queried range: what FILL fills. */
  readonly grid: number[];
  /** The time series of a metric or expression id. */
  series(id: string): TimeSeries;
}

type Token =
  | { t: 'num'; v: number }
  | { t: 'id'; v: string }
  | { t: 'op'; v: string }
  | { t: '('; v: '(' }
  | { t: ')'; v: ')' }
  | { t: ','; v: ',' };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const num = /^(\d+(\.\d+)?|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'num', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      out.push({ t: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    const op = /^(==|!=|<=|>=|&&|\|\||[-+*/^<>])/.exec(src.slice(i));
    if (op) {
      out.push({ t: 'op', v: op[0] });
      i += op[0].length;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      out.push({ t: c, v: c } as Token);
      i++;
      continue;
    }
    throw new Error(`Metric math: unexpected "${c}" in ${src}`);
  }
  return out;
}

type Node =
  | { k: 'num'; v: number }
  | { k: 'ref'; id: string }
  | { k: 'word'; w: string }
  | { k: 'neg'; a: Node }
  | { k: 'bin'; op: string; a: Node; b: Node }
  | { k: 'call'; fn: string; args: Node[] };

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[], private readonly src: string) {}

  public parse(): Node {
    const node = this.or();
    if (this.i < this.tokens.length) throw new Error(`Metric math: unexpected token ${this.tokens[this.i].v} in ${this.src}`);
    return node;
  }

  private peekOp(...ops: string[]): string | undefined {
    const t = this.tokens[this.i];
    if (!t) return undefined;
    if (t.t === 'op' && ops.includes(t.v)) return t.v;
    if (t.t === 'id' && ops.includes(t.v.toUpperCase()) && (t.v === 'AND' || t.v === 'OR')) return t.v;
    return undefined;
  }

  private or(): Node {
    let a = this.and();
    for (let op = this.peekOp('||', 'OR'); op; op = this.peekOp('||', 'OR')) {
      this.i++;
      a = { k: 'bin', op: '||', a, b: this.and() };
    }
    return a;
  }

  private and(): Node {
    let a = this.cmp();
    for (let op = this.peekOp('&&', 'AND'); op; op = this.peekOp('&&', 'AND')) {
      this.i++;
      a = { k: 'bin', op: '&&', a, b: this.cmp() };
    }
    return a;
  }

  private cmp(): Node {
    let a = this.add();
    for (let op = this.peekOp('==', '!=', '<=', '>=', '<', '>'); op; op = this.peekOp('==', '!=', '<=', '>=', '<', '>')) {
      this.i++;
      a = { k: 'bin', op, a, b: this.add() };
    }
    return a;
  }

  private add(): Node {
    let a = this.mul();
    for (let op = this.peekOp('+', '-'); op; op = this.peekOp('+', '-')) {
      this.i++;
      a = { k: 'bin', op, a, b: this.mul() };
    }
    return a;
  }

  private mul(): Node {
    let a = this.unary();
    for (let op = this.peekOp('*', '/'); op; op = this.peekOp('*', '/')) {
      this.i++;
      a = { k: 'bin', op, a, b: this.unary() };
    }
    return a;
  }

  private unary(): Node {
    if (this.peekOp('-')) {
      this.i++;
      return { k: 'neg', a: this.unary() };
    }
    const base = this.primary();
    if (this.peekOp('^')) {
      this.i++;
      return { k: 'bin', op: '^', a: base, b: this.unary() };
    }
    return base;
  }

  private primary(): Node {
    const t = this.tokens[this.i++];
    if (!t) throw new Error(`Metric math: unexpected end of ${this.src}`);
    if (t.t === 'num') return { k: 'num', v: t.v };
    if (t.t === '(') {
      const inner = this.or();
      this.expect(')');
      return inner;
    }
    if (t.t === 'id') {
      if (this.tokens[this.i]?.t === '(') {
        this.i++;
        const args: Node[] = [];
        if (this.tokens[this.i]?.t !== ')') {
          args.push(this.or());
          while (this.tokens[this.i]?.t === ',') {
            this.i++;
            args.push(this.or());
          }
        }
        this.expect(')');
        return { k: 'call', fn: t.v, args };
      }
      if (t.v === 'REPEAT' || t.v === 'LINEAR') return { k: 'word', w: t.v };
      return { k: 'ref', id: t.v };
    }
    throw new Error(`Metric math: unexpected token ${t.v} in ${this.src}`);
  }

  private expect(kind: ')' | ','): void {
    const t = this.tokens[this.i++];
    if (!t || t.t !== kind) throw new Error(`Metric math: expected ${kind} in ${this.src}`);
  }
}

/** Functions the simulator evaluates, spelled as AWS requires (uppercase). */
export const SUPPORTED_FUNCTIONS: readonly string[] = ['FILL', 'IF', 'ABS', 'CEIL', 'FLOOR', 'LOG', 'LOG10', 'SUM', 'AVG', 'MIN', 'MAX'];

/**
 * The functions an expression calls, as written; throws on a syntax error. The caller decides
 * what to reject (PutMetricAlarm validation).
 */
export function calledFunctions(expression: string): string[] {
  const fns = new Set<string>();
  const visit = (n: Node): void => {
    if (n.k === 'neg') visit(n.a);
    if (n.k === 'bin') {
      visit(n.a);
      visit(n.b);
    }
    if (n.k === 'call') {
      fns.add(n.fn);
      n.args.forEach(visit);
    }
  };
  visit(new Parser(tokenize(expression), expression).parse());
  return [...fns];
}

/** The ids an expression reads. */
export function referencedIds(expression: string): string[] {
  const ids = new Set<string>();
  const visit = (n: Node): void => {
    if (n.k === 'ref') ids.add(n.id);
    if (n.k === 'neg') visit(n.a);
    if (n.k === 'bin') {
      visit(n.a);
      visit(n.b);
    }
    if (n.k === 'call') n.args.forEach(visit);
  };
  visit(new Parser(tokenize(expression), expression).parse());
  return [...ids];
}

export function evaluateExpression(expression: string, ctx: MathContext): MathValue {
  const tree = new Parser(tokenize(expression), expression).parse();
  return evaluate(tree, ctx);
}

const scalar = (value: number): MathValue => ({ kind: 'scalar', value });
const ts = (points: TimeSeries): MathValue => ({ kind: 'ts', points });

function arith(op: string, a: number, b: number): number | undefined {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return b === 0 ? undefined : a / b;
    case '^':
      return a ** b;
    case '==':
      return a === b ? 1 : 0;
    case '!=':
      return a !== b ? 1 : 0;
    case '<':
      return a < b ? 1 : 0;
    case '>':
      return a > b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    case '&&':
      return a !== 0 && b !== 0 ? 1 : 0;
    case '||':
      return a !== 0 || b !== 0 ? 1 : 0;
    default:
      throw new Error(`Metric math: operator ${op}`);
  }
}

function evaluate(n: Node, ctx: MathContext): MathValue {
  switch (n.k) {
    case 'num':
      return scalar(n.v);
    case 'ref':
      return ts(new Map(ctx.series(n.id)));
    case 'word':
      throw new Error(`Metric math: ${n.w} is only valid as FILL's second argument`);
    case 'neg': {
      const a = evaluate(n.a, ctx);
      return a.kind === 'scalar' ? scalar(-a.value) : ts(new Map([...a.points].map(([t, v]) => [t, -v])));
    }
    case 'bin':
      return binary(n.op, evaluate(n.a, ctx), evaluate(n.b, ctx));
    case 'call':
      return call(n, ctx);
  }
}

function binary(op: string, a: MathValue, b: MathValue): MathValue {
  if (a.kind === 'scalar' && b.kind === 'scalar') return scalar(arith(op, a.value, b.value) ?? NaN);
  const out: TimeSeries = new Map();
  const put = (t: number, v: number | undefined) => {
    if (v !== undefined && Number.isFinite(v)) out.set(t, v);
  };
  if (a.kind === 'ts' && b.kind === 'scalar') {
    for (const [t, v] of a.points) put(t, arith(op, v, b.value));
  } else if (a.kind === 'scalar' && b.kind === 'ts') {
    for (const [t, v] of b.points) put(t, arith(op, a.value, v));
  } else if (a.kind === 'ts' && b.kind === 'ts') {
    const times = new Set([...a.points.keys(), ...b.points.keys()]);
    for (const t of [...times].sort((x, y) => x - y)) put(t, arith(op, a.points.get(t) ?? 0, b.points.get(t) ?? 0));
  }
  return ts(out);
}

function asSeries(v: MathValue, fn: string): TimeSeries {
  if (v.kind !== 'ts') throw new Error(`Metric math: ${fn} needs a time series`);
  return v.points;
}

function call(n: Extract<Node, { k: 'call' }>, ctx: MathContext): MathValue {
  const fn = n.fn;
  switch (fn) {
    case 'FILL': {
      const series = asSeries(evaluate(n.args[0], ctx), fn);
      const how = n.args[1];
      const out: TimeSeries = new Map();
      const known = [...series].sort(([x], [y]) => x - y);
      const filler = how && how.k !== 'word' ? evaluate(how, ctx) : undefined;
      for (const t of ctx.grid) {
        if (series.has(t)) {
          out.set(t, series.get(t)!);
          continue;
        }
        if (how?.k === 'word' && how.w === 'REPEAT') {
          const before = known.filter(([x]) => x < t).pop();
          if (before) out.set(t, before[1]);
        } else if (how?.k === 'word' && how.w === 'LINEAR') {
          const before = known.filter(([x]) => x < t).pop();
          const after = known.find(([x]) => x > t);
          if (before && after) out.set(t, before[1] + ((after[1] - before[1]) * (t - before[0])) / (after[0] - before[0]));
        } else if (filler?.kind === 'scalar') {
          out.set(t, filler.value);
        } else if (filler?.kind === 'ts' && filler.points.has(t)) {
          out.set(t, filler.points.get(t)!);
        }
      }
      for (const [t, v] of series) if (!out.has(t)) out.set(t, v);
      return ts(out);
    }
    case 'IF': {
      const cond = evaluate(n.args[0], ctx);
      const whenTrue = evaluate(n.args[1], ctx);
      const whenFalse = n.args[2] ? evaluate(n.args[2], ctx) : undefined;
      if (cond.kind === 'scalar') {
        if (cond.value !== 0) return whenTrue;
        return whenFalse ?? ts(new Map());
      }
      const out: TimeSeries = new Map();
      for (const [t, c] of cond.points) {
        if (c !== 0) {
          out.set(t, whenTrue.kind === 'scalar' ? whenTrue.value : (whenTrue.points.get(t) ?? 0));
        } else if (whenFalse?.kind === 'scalar') {
          out.set(t, whenFalse.value);
        } else if (whenFalse?.kind === 'ts' && whenFalse.points.has(t)) {
          out.set(t, whenFalse.points.get(t)!);
        }
      }
      return ts(out);
    }
    case 'ABS':
    case 'CEIL':
    case 'FLOOR':
    case 'LOG':
    case 'LOG10': {
      const f = { ABS: Math.abs, CEIL: Math.ceil, FLOOR: Math.floor, LOG: Math.log, LOG10: Math.log10 }[fn];
      const v = evaluate(n.args[0], ctx);
      if (v.kind === 'scalar') return scalar(f(v.value));
      return ts(new Map([...v.points].map(([t, x]) => [t, f(x)] as [number, number]).filter(([, x]) => Number.isFinite(x))));
    }
    case 'SUM':
    case 'AVG':
    case 'MIN':
    case 'MAX': {
      const values = [...asSeries(evaluate(n.args[0], ctx), fn).values()];
      if (values.length === 0) return scalar(NaN);
      const sum = values.reduce((a, b) => a + b, 0);
      return scalar({ SUM: sum, AVG: sum / values.length, MIN: Math.min(...values), MAX: Math.max(...values) }[fn]);
    }
    default:
      if (SUPPORTED_FUNCTIONS.includes(fn.toUpperCase())) throw new Error(`Metric math: ${fn} must be written in uppercase letters (${fn.toUpperCase()})`);
      throw new Error(`Metric math: function ${fn} is not supported by the simulator`);
  }
}
