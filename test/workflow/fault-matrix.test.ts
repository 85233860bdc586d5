/**
 * Reliability proof (issue 4): every AWS call the Lambda canary's rollout makes, failing in every
 * way (throttling, 5xx, client timeout, access denied), at several points of the rollout (its first
 * call, a call at the 25 % step, its last call), as a short burst and as a permanent failure, on a
 * healthy canary and on a canary whose errors spike at 25 %.
 *
 * Invariant in every cell: the rollout never promotes after a failed guard or an unhandled error,
 * and it ends either promoted on evidence (healthy canary, every step passed with enough requests,
 * no guard firing) or with the canary at 0 % and an alert sent (ROLLED_BACK, FAILED, or
 * ROLLBACK_FAILED, whose alert must exist).
 *
 * The calls and their positions are discovered from reference runs (one healthy, one unhealthy),
 * not listed by hand: a handler that starts making a new call joins the matrix by itself.
 */
import { type FaultKind, type RunResult, SimWorld, type SynthesizedStack } from '../../sim';
import { alertEvents, exampleStack, HEALTHY, healthyScenario, simulate, startRollout, stepWeights } from './helpers';

/** v2 serves 30 % errors once it has 25 % of the traffic (past the pre-traffic checks and the 5 % step). */
const unhealthyScenario = () =>
  healthyScenario({ versions: { '1': HEALTHY, '2': { ...HEALTHY, changes: [{ whenCanaryPercent: 25, errorRate: 0.3 }] } } });

type Column = 'healthy' | 'unhealthy';
type Shape = 'burst' | 'permanent';

interface Cell {
  readonly column: Column;
  /** The operation as the fault injector names it (`UpdateAlias`, `TaskInvoke:Check`). */
  readonly operation: string;
  /** The calling handler (undefined for Step Functions' own Lambda invocations). */
  readonly caller?: string;
  /** Which call (1-based, counting every attempt of this operation by this caller) fails first. */
  readonly fromCall: number;
  readonly position: string;
  readonly kind: FaultKind;
  readonly shape: Shape;
}

/** More failures than the SDK client absorbs (3 attempts), so a Step Functions retry is needed too. */
const BURST = 4;
const TRANSIENT: FaultKind[] = ['throttle', '5xx', 'timeout'];

function kindName(k: FaultKind): string {
  return typeof k === 'string' ? k : k.name;
}

function cellName(c: Cell): string {
  const op = c.caller ? `${c.operation}@${c.caller}` : c.operation;
  return `${c.column}: ${op} call #${c.fromCall} (${c.position}) ${kindName(c.kind)} ${c.shape}`;
}

/**
 * Fails calls `fromCall` .. `fromCall + count - 1` of one operation by one caller (counting every
 * attempt, the SDK's own retries included), by wrapping the world's fault injector from outside.
 */
function failFromCall(world: SimWorld, cell: Cell): void {
  const faults = world.faults;
  const take = faults.take.bind(faults);
  const count = cell.shape === 'permanent' ? Number.POSITIVE_INFINITY : cell.kind === 'accessDenied' ? 1 : BURST;
  let seen = 0;
  faults.take = (operation: string, caller: string | undefined, now: number): FaultKind | undefined => {
    const queued = take(operation, caller, now);
    if (operation !== cell.operation || caller !== cell.caller) return queued;
    seen++;
    if (queued !== undefined || seen < cell.fromCall || seen >= cell.fromCall + count) return queued;
    faults.injected.push({ operation, kind: cell.kind, at: now });
    return cell.kind;
  };
}

interface Reference {
  readonly world: SimWorld;
  readonly result: RunResult;
}

/** op@caller → the time of each of its calls in a fault-free run. */
function callTimes(ref: Reference): Map<string, { operation: string; caller?: string; at: number[] }> {
  const out = new Map<string, { operation: string; caller?: string; at: number[] }>();
  const start = ref.result.execution.startDate;
  for (const c of ref.world.apiCalls) {
    // The release handler's calls belong to the deploy (CloudFormation), before the execution starts.
    if (c.at < start || c.caller === 'release') continue;
    const key = `${c.operation}@${c.caller}`;
    const entry = out.get(key) ?? { operation: c.operation, caller: c.caller, at: [] };
    entry.at.push(c.at);
    out.set(key, entry);
  }
  // Step Functions' own Lambda invocation of each Task state.
  for (const e of ref.result.events) {
    if (e.type !== 'StateEntered' || e.state?.type !== 'Task') continue;
    const key = `TaskInvoke:${e.state.name}`;
    const entry = out.get(key) ?? { operation: key, caller: undefined, at: [] };
    entry.at.push(e.timestamp);
    out.set(key, entry);
  }
  return out;
}

/** First call, the first call at or after the 25 % step, the last call (deduplicated). */
function positions(at: number[], quarterStepAt: number | undefined): { n: number; position: string }[] {
  const out: { n: number; position: string }[] = [{ n: 1, position: 'first' }];
  const mid = quarterStepAt === undefined ? -1 : at.findIndex((t) => t >= quarterStepAt);
  if (mid > 0 && mid < at.length - 1) out.push({ n: mid + 1, position: 'at 25%' });
  if (at.length > 1) out.push({ n: at.length, position: 'last' });
  return out;
}

const PERMANENT_KINDS: FaultKind[] = ['throttle', '5xx', 'timeout', 'accessDenied'];

/**
 * The cells of one column. Full matrix (FAULT_MATRIX_FULL=1): every op × position × every transient
 * kind as a burst and permanently, plus access denied once and permanently. Default (CI, seconds):
 * every op × position fails permanently, the kind rotating over throttle, 5xx, timeout and access
 * denied; every op × position also gets a transient burst, the kind rotating over throttle, 5xx
 * and timeout, at one position per op (its call at the 25 % step, else its first): a burst
 * is a full rollout, the expensive cell.
 */
function cellsFor(column: Column, ref: Reference, full: boolean, include?: (op: string) => boolean): Cell[] {
  const quarter = ref.result.aliasHistory.find((h) => h.by === 'set-weight' && h.extraPercent === 25)?.at;
  const cells: Cell[] = [];
  let i = 0;
  for (const [key, { operation, caller, at }] of callTimes(ref)) {
    if (include && !include(key)) continue;
    const points = positions(at, quarter);
    const burstAt = (points.find((p) => p.position === 'at 25%') ?? points[0]).n;
    for (const { n, position } of points) {
      const variants: { kind: FaultKind; shape: Shape }[] = full
        ? [
            ...TRANSIENT.map((kind) => ({ kind, shape: 'burst' as const })),
            ...TRANSIENT.map((kind) => ({ kind, shape: 'permanent' as const })),
            { kind: 'accessDenied', shape: 'burst' },
            { kind: 'accessDenied', shape: 'permanent' },
          ]
        : [
            ...(n === burstAt ? [{ kind: TRANSIENT[i % TRANSIENT.length], shape: 'burst' as const }] : []),
            { kind: PERMANENT_KINDS[i % PERMANENT_KINDS.length], shape: 'permanent' },
          ];
      i++;
      for (const v of variants) cells.push({ column, operation, caller, fromCall: n, position, ...v });
    }
  }
  return cells;
}

/** Ops whose last call is the decisive one (the promotion, the last step): worth a full-length cell. */
const LAST_CALL_OPS = /^(UpdateAlias@set-weight|[A-Za-z]+@promote|TaskInvoke:Promote)$/;
/** One burst per step handler of the healthy column (each a full rollout); all bursts of the unhealthy column (short runs). */
const HEALTHY_BURST_OPS = new Set(['GetAlias@start', 'Invoke@pre-traffic', 'UpdateAlias@set-weight', 'GetMetricData@check', 'UpdateAlias@promote', 'Publish@promote', 'TaskInvoke:Check']);

/** The CI subset of the rotated matrix: cheap cells everywhere, full-length ones where they decide something. */
function inDefaultMatrix(c: Cell): boolean {
  const op = c.caller ? `${c.operation}@${c.caller}` : c.operation;
  if (c.column === 'unhealthy') return true;
  if (c.shape === 'burst') return HEALTHY_BURST_OPS.has(op);
  return c.position !== 'last' || LAST_CALL_OPS.test(op);
}

/**
 * Cells that break the invariant today: real bugs in lambda/, reported to the lead (issue 4). They
 * still run and are printed as KNOWN VIOLATION, but do not fail the suite; a cell listed here that
 * holds the invariant is printed as FIXED so the entry can be removed.
 *
 * TODO(issue 4): remove each entry once its fix lands.
 * - Publish@promote failing permanently: promote.ts has already moved the alias to v2 when its
 *   PROMOTED alert fails; the retries and then RollBackAfterError end the execution FAILED with a
 *   FAILED alert while v2 serves 100 % (the rollback step leaves a promoted alias alone).
 * - Publish@on-alarm failing beyond the SDK's retries: the fast path set the canary to 0 % but its
 *   ROLLED_BACK alert is lost: Lambda's async retry finds the canary at 0 % and returns "ignored"
 *   without alerting, and the workflow ends CanaryRolledBack through StoppedOutsideWorkflow without
 *   an alert of its own.
 */
const KNOWN_VIOLATIONS: ((c: Cell) => boolean)[] = [];

const GUARD_PREFIX = 'ModelCanaryExample-SentimentCanary-';

/** Every way the invariant is broken by this run; empty when it holds. */
/**
 * `alertsCanFail`: the cell makes SNS Publish fail for good (permanently, or access denied, which
 * is never retried); no alert can be delivered then, so a promotion on evidence without its
 * PROMOTED mail still holds the invariant.
 */
function violations(world: SimWorld, result: RunResult, canaryHealthy: boolean, alertsCanFail = false): string[] {
  const problems: string[] = [];
  const events = alertEvents(result);
  const history = result.aliasHistory;
  const entered = result.events.filter((e) => e.type === 'StateEntered');
  const firstRollbackAt = entered.find((e) => ['RollBack', 'RollBackAfterError'].includes(e.state?.name ?? ''))?.timestamp;
  const promotedAt = history.find((h) => h.functionVersion === '2')?.at;

  if (result.status !== 'SUCCEEDED' && result.status !== 'FAILED') problems.push(`execution ${result.status}: did not end`);

  // Never promote after a failed guard or an error.
  if (promotedAt !== undefined) {
    if (!canaryHealthy) problems.push('an unhealthy canary was promoted');
    if (firstRollbackAt !== undefined && promotedAt >= firstRollbackAt) problems.push('promoted after the workflow entered its rollback');
    const firing = new Map<string, string>();
    for (const t of result.alarmTransitions) if (t.at <= promotedAt && t.alarmName.startsWith(GUARD_PREFIX)) firing.set(t.alarmName, t.to);
    const alarmed = [...firing].filter(([, s]) => s === 'ALARM').map(([n]) => n);
    if (alarmed.length > 0) problems.push(`promoted while guards were in ALARM: ${alarmed.join(', ')}`);
  }
  if (firstRollbackAt !== undefined) {
    const raised = history.filter((h) => h.at > firstRollbackAt && h.extraPercent > 0);
    if (raised.length > 0) problems.push(`canary weight raised after the rollback started (${raised.map((h) => `${h.extraPercent}% by ${h.by}`).join(', ')})`);
  }

  if (result.status === 'SUCCEEDED') {
    // Promoted on evidence.
    const alias = world.alias();
    if (alias?.functionVersion !== '2' || Object.keys(alias.weights).length > 0) problems.push(`SUCCEEDED but the alias is ${JSON.stringify(alias)}`);
    if (!canaryHealthy) problems.push('SUCCEEDED with an unhealthy canary');
    const distinct = stepWeights(result).filter((w, i, all) => i === 0 || all[i - 1] !== w);
    if (JSON.stringify(distinct) !== JSON.stringify([5, 25, 50, 95])) problems.push(`steps ${distinct.join(',')}, not 5,25,50,95`);
    const checks = result.invocations.filter((i) => i.handler === 'check' && i.result);
    const min = (checks[0]?.input as { plan?: { minRequestsPerStep?: number } } | undefined)?.plan?.minRequestsPerStep ?? Number.NaN;
    for (let step = 0; step < 4; step++) {
      const passed = checks.some((i) => {
        const p = i.result as { stepIndex: number; decision: string; canaryRequests: number };
        return p.stepIndex === step && ['advance', 'promote'].includes(p.decision) && p.canaryRequests >= min;
      });
      if (!passed) problems.push(`step ${step} was never passed by a check with at least ${min} canary requests`);
    }
    if (events[events.length - 1] !== 'PROMOTED' && !alertsCanFail) problems.push(`SUCCEEDED without a PROMOTED alert (${events.join(',')})`);
    if (history.some((h) => h.by === 'rollback')) problems.push('SUCCEEDED after a rollback step changed the alias');
  } else {
    const ending = ['ROLLED_BACK', 'FAILED', 'ROLLBACK_FAILED'].filter((e) => events.includes(e));
    if (ending.length === 0) problems.push(`ended ${result.status}/${result.error} without a ROLLED_BACK, FAILED or ROLLBACK_FAILED alert (${events.join(',')})`);
    if (result.error === 'RollbackFailed') {
      if (!events.includes('ROLLBACK_FAILED')) problems.push('RollbackFailed without a ROLLBACK_FAILED alert');
    } else {
      if (!['CanaryRolledBack', 'RolloutFailed'].includes(result.error ?? '')) problems.push(`unexpected terminal error ${result.error}`);
      const alias = world.alias();
      if (alias?.functionVersion !== '1' || (alias.weights['2'] ?? 0) !== 0) problems.push(`not promoted but the alias is ${JSON.stringify(alias)}`);
    }
  }
  return problems;
}

async function runCell(stack: SynthesizedStack, cell: Cell): Promise<{ problems: string[]; summary: string }> {
  const scenario = cell.column === 'healthy' ? healthyScenario() : unhealthyScenario();
  // The fault is armed before the first deploy, so call numbers match the reference run's.
  const world = SimWorld.fromStack(stack, { seed: 42, scenario });
  try {
    failFromCall(world, cell);
    await startRollout(world);
    const result = await world.runUntilDone({ maxMinutes: 90 });
    const injected = world.faults.injected.length;
    // Access denied is for good too: the handlers retry only transient errors (publishAlertAfterTheFact).
    const alertsCanFail = cell.operation === 'Publish' && (cell.shape === 'permanent' || cell.kind === 'accessDenied');
    const problems = violations(world, result, cell.column === 'healthy', alertsCanFail);
    // A cell whose fault never fired proves nothing: the call must have been made at that position.
    if (injected === 0) problems.push('the fault was never injected (the call did not happen)');
    return { problems, summary: `${result.status}${result.error ? `/${result.error}` : ''} [${alertEvents(result).join(',')}] faults=${injected}` };
  } finally {
    world.dispose();
  }
}

describe('fault matrix on the Lambda canary (SentimentCanary)', () => {
  let stack: SynthesizedStack;
  const refs: Partial<Record<Column, Reference>> = {};
  let cellsRun = 0;
  /** The heap after each cell: a simulation that kept its worlds would grow it cell by cell. */
  let peakHeap = 0;
  const outcomes: string[] = [];

  beforeAll(async () => {
    stack = exampleStack();
    for (const column of ['healthy', 'unhealthy'] as const) {
      const scenario = column === 'healthy' ? healthyScenario() : unhealthyScenario();
      const ref = await simulate(stack, { scenario });
      refs[column] = ref;
      ref.world.dispose();
    }
  });

  it('reference runs: the healthy canary is promoted on evidence, the unhealthy one rolled back', () => {
    const healthy = refs.healthy!;
    expect(violations(healthy.world, healthy.result, true)).toEqual([]);
    expect(healthy.result.status).toBe('SUCCEEDED');
    const unhealthy = refs.unhealthy!;
    expect(violations(unhealthy.world, unhealthy.result, false)).toEqual([]);
    expect(unhealthy.result.error).toBe('CanaryRolledBack');
    expect(unhealthy.result.aliasHistory.some((h) => h.by === 'rollback' || h.by === 'on-alarm')).toBe(true);
  });

  it('the invariant checker rejects a promotion of an unhealthy canary and a rollback without an alert', () => {
    // The checker must be able to fail: a promoted run judged as unhealthy, a promoted run judged as rolled back.
    const healthy = refs.healthy!;
    expect(violations(healthy.world, healthy.result, false)).toEqual(expect.arrayContaining(['an unhealthy canary was promoted']));
    const noAlert = { ...refs.unhealthy!.result, alerts: refs.unhealthy!.result.alerts.filter((a) => a.event === 'STARTED') };
    expect(violations(refs.unhealthy!.world, noAlert, false).join('\n')).toMatch(/without a ROLLED_BACK, FAILED or ROLLBACK_FAILED alert/);
  });

  it('discovers the workflow calls from the reference runs', () => {
    const healthyOps = [...callTimes(refs.healthy!).keys()].sort();
    // Calls every Lambda rollout makes; if one disappears the matrix silently shrinks, so name them.
    expect(healthyOps).toEqual(
      expect.arrayContaining([
        'GetAlias@start', 'DescribeAlarms@start', 'Publish@start', 'Invoke@pre-traffic',
        'GetAlias@set-weight', 'UpdateAlias@set-weight', 'Publish@set-weight',
        'DescribeAlarms@check', 'GetAlias@check', 'GetMetricData@check',
        'DescribeAlarms@promote', 'GetAlias@promote', 'UpdateAlias@promote', 'Publish@promote',
        'TaskInvoke:Start', 'TaskInvoke:SetWeight', 'TaskInvoke:Check', 'TaskInvoke:Promote',
      ]),
    );
    const unhealthyOps = [...callTimes(refs.unhealthy!).keys()];
    // The check step's judge decides (its evidence published and read), the rollback step moves the
    // alias and alerts. (The alarm fast path's own faults: test/lambda/handlers/on-alarm.test.ts and
    // test/workflow/alarm-rollback.test.ts.)
    expect(unhealthyOps).toEqual(
      expect.arrayContaining(['GetMetricData@check', 'PutMetricData@check', 'GetAlias@rollback', 'UpdateAlias@rollback', 'Publish@rollback', 'TaskInvoke:RollBack']),
    );
    expect(unhealthyOps).not.toContain('Publish@on-alarm');
  });

  it('holds the invariant in every cell', async () => {
    const full = process.env.FAULT_MATRIX_FULL === '1';
    // Unhealthy column: the calls that decide and carry out the rollback (the check that sees the
    // guard, the rollback and the fast path), each from the 25 % step on.
    const rollbackPath = (op: string) => /@(check|rollback|on-alarm|set-weight)$|^TaskInvoke:(Check|RollBack|SetWeight)$/.test(op);
    const cells = [...cellsFor('healthy', refs.healthy!, full), ...cellsFor('unhealthy', refs.unhealthy!, full, rollbackPath)].filter(
      (c) => full || inDefaultMatrix(c),
    );
    const failures: string[] = [];
    const only = process.env.FAULT_MATRIX_ONLY ? new RegExp(process.env.FAULT_MATRIX_ONLY) : undefined;
    for (const cell of cells) {
      if (only && !only.test(cellName(cell))) continue;
      const t0 = performance.now();
      const { problems, summary } = await runCell(stack, cell);
      cellsRun++;
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      outcomes.push(`${cellName(cell)} -> ${summary}`);
      if (process.env.FAULT_MATRIX_VERBOSE) process.stderr.write(`${cellName(cell)} -> ${summary} ${(performance.now() - t0).toFixed(0)}ms ${problems.join('; ')}\n`);
      const known = KNOWN_VIOLATIONS.some((k) => k(cell));
      if (known) {
        process.stderr.write(
          problems.length > 0
            ? `fault-matrix KNOWN VIOLATION (TODO issue 4): ${cellName(cell)} -> ${summary}: ${problems.join('; ')}\n`
            : `fault-matrix FIXED: ${cellName(cell)} now holds the invariant; remove it from KNOWN_VIOLATIONS\n`,
        );
      } else if (problems.length > 0) failures.push(`${cellName(cell)} -> ${summary}\n    ${problems.join('\n    ')}`);
    }
    expect(failures).toEqual([]);
    // The full matrix is hundreds of rollouts (BENCHMARKS.md "Fault matrix" has its time); CI's subset takes seconds.
  }, process.env.FAULT_MATRIX_FULL === '1' ? 2 * 60 * 60_000 : 900_000); // 100 cells: ~3 min alone, far more on a machine shared by several test runs

  it('release calls failing during the deploy of v2: the deploy fails with the canary at 0 %, or the rollout holds the invariant', async () => {
    // The release handler's own calls (CloudFormation's custom resource), counted from the deploy of v2.
    const ops = ['GetAlias', 'ListExecutions', 'StartExecution'];
    const failures: string[] = [];
    for (const operation of ops) {
      for (const [kind, shape] of [['5xx', 'permanent'], ['accessDenied', 'permanent'], ['throttle', 'burst']] as [FaultKind, Shape][]) {
        const cell: Cell = { column: 'healthy', operation, caller: 'release', fromCall: 1, position: 'deploy of v2', kind, shape };
        const world = SimWorld.fromStack(stack, { seed: 42, scenario: healthyScenario() });
        try {
          await world.deploy('1');
          await world.advance(120);
          failFromCall(world, cell);
          let deployError: unknown;
          const deployed = await world.deploy('2').catch((err: unknown) => {
            deployError = err;
            return undefined;
          });
          cellsRun++;
          let summary: string;
          let problems: string[];
          if (deployed?.executionArn) {
            const result = await world.runUntilDone({ maxMinutes: 90 });
            problems = violations(world, result, true);
            summary = `rollout ${result.status}`;
          } else {
            const alias = world.alias();
            problems = alias?.functionVersion === '1' && (alias.weights['2'] ?? 0) === 0 ? [] : [`deploy failed but the alias is ${JSON.stringify(alias)}`];
            if ([...world.sfn.executions.values()].some((e) => e.status === 'RUNNING')) problems.push('a rollout runs although the deploy failed');
            if (!deployError && !deployed) problems.push('the deploy neither failed nor started a rollout');
            summary = deployError ? `deploy failed (${(deployError as Error).name})` : `no rollout: ${deployed?.action}`;
          }
          if (world.faults.injected.length === 0) problems.push('the fault was never injected (the call did not happen)');
          outcomes.push(`${cellName(cell)} -> ${summary}`);
          if (problems.length > 0) failures.push(`${cellName(cell)} -> ${summary}\n    ${problems.join('\n    ')}`);
        } finally {
          world.dispose();
        }
      }
    }
    expect(failures).toEqual([]);
  });

  afterAll(() => {
    if (process.env.FAULT_MATRIX_VERBOSE) process.stderr.write(`${outcomes.join('\n')}\n`);
    process.stderr.write(`fault-matrix: ${cellsRun} cells run; heap after a cell at most ${Math.round(peakHeap / 1e6)} MB\n`);
  });

  it('ran the whole matrix', () => {
    expect(cellsRun).toBeGreaterThanOrEqual(process.env.FAULT_MATRIX_ONLY ? 1 : 70);
  });
});
