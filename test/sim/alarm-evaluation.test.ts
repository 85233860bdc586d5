/**
 * The alarm state machine against CloudWatch's own examples, row for row as printed in
 * "How alarm state is evaluated when data is missing" and "Avoiding premature transitions to alarm
 * state": https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
 * (text checked in AWS's docs source, awsdocs/amazon-cloudwatch-user-guide doc_source/AlarmThatSendsEmail.md,
 * last update 2023-05-17, before the page was split out). In the data points, 0 is non-breaching,
 * X breaching, - missing; most recent on the right; the evaluation range is 5.
 */
import { type AlarmState, evaluateAlarm, type RangePoint, type TreatMissingData } from '../../sim';

const DOC = 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html';

function points(pattern: string): RangePoint[] {
  return pattern.split(' ').map((c, i) => ({ timestamp: i * 60_000, value: c === '-' ? undefined : c === 'X' ? 10 : 0 }));
}

const MODES: TreatMissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];
const RETAIN = 'Retain current state';
type Cell = AlarmState | typeof RETAIN;
/** A row as printed: data points, "# of data points that must be filled", then MISSING, IGNORE, BREACHING, NOT BREACHING. */
type Row = [pattern: string, filled: number, missing: Cell, ignore: Cell, breaching: Cell, notBreaching: Cell];

function evaluate(pattern: string, n: number, m: number, mode: TreatMissingData, current: AlarmState = 'OK') {
  return evaluateAlarm({ points: points(pattern), evaluationPeriods: n, datapointsToAlarm: m, treatMissingData: mode, breaches: (v) => v > 5, current });
}

function checkRow(n: number, m: number, [pattern, filled, ...cells]: Row): void {
  for (const [i, mode] of MODES.entries()) {
    for (const current of ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as AlarmState[]) {
      const want = cells[i] === RETAIN ? current : cells[i];
      const got = evaluate(pattern, n, m, mode, current);
      expect({ mode, current, state: got.state, filled: got.filled }).toEqual({ mode, current, state: want, filled });
    }
  }
}

// First table of DOC: Datapoints to Alarm 3, Evaluation Periods 3.
describe(`3 out of 3 (${DOC}, first table)`, () => {
  const rows: Row[] = [
    ['0 - X - X', 0, 'OK', 'OK', 'OK', 'OK'],
    ['0 - - - -', 2, 'OK', 'OK', 'OK', 'OK'],
    ['- - - - -', 3, 'INSUFFICIENT_DATA', RETAIN, 'ALARM', 'OK'],
    ['0 X X - X', 0, 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
    ['- - X - -', 2, 'ALARM', RETAIN, 'ALARM', 'OK'],
  ];
  it.each(rows)('%s', (...row) => checkRow(3, 3, row));
});

// Second table of DOC: Datapoints to Alarm 2, Evaluation Periods 3.
describe(`2 out of 3 (${DOC}, second table)`, () => {
  const rows: Row[] = [
    ['0 - X - X', 0, 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
    ['0 0 X 0 X', 0, 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
    ['0 - X - -', 1, 'OK', 'OK', 'ALARM', 'OK'],
    ['- - - - 0', 2, 'OK', 'OK', 'ALARM', 'OK'],
    ['- - - X -', 2, 'ALARM', RETAIN, 'ALARM', 'OK'],
  ];
  it.each(rows)('%s', (...row) => checkRow(3, 2, row));
});

// "Avoiding premature transitions to alarm state" in DOC: Evaluation Periods 3, range 5, M = 3.
describe('premature alarm state (treat missing data as missing)', () => {
  it('does not go to ALARM on - - - - X or - - - X - with Datapoints to Alarm 3', () => {
    expect(evaluate('- - - - X', 3, 3, 'missing').state).not.toBe('ALARM');
    expect(evaluate('- - - X -', 3, 3, 'missing').state).not.toBe('ALARM');
  });

  it('is not in ALARM when the next data point is non-breaching: - - - X 0 and - - X - 0', () => {
    expect(evaluate('- - - X 0', 3, 3, 'missing', 'ALARM').state).toBe('OK');
    expect(evaluate('- - X - 0', 3, 3, 'missing', 'ALARM').state).toBe('OK');
  });

  it('goes to ALARM on - - X - - whatever M is, since the breaching point is at least M periods old', () => {
    for (const m of [1, 2, 3]) expect(evaluate('- - X - -', 3, m, 'missing').state).toBe('ALARM');
  });
});

describe('M out of N', () => {
  it('needs M breaching among the N most recent real datapoints, not consecutive ones', () => {
    expect(evaluate('0 X 0 X X 0 X', 5, 3, 'missing').state).toBe('ALARM');
    expect(evaluate('X 0 X 0 X 0 0', 5, 3, 'missing').state).toBe('OK');
    expect(evaluate('X X X 0 0 X 0', 5, 3, 'missing').state).toBe('OK');
    expect(evaluate('X X X X X X 0', 5, 5, 'missing').state).toBe('OK');
    expect(evaluate('0 0 X X X X X', 5, 5, 'missing').state).toBe('ALARM');
  });

  it('evaluates only the most recent N real datapoints when enough exist (missing data is then irrelevant)', () => {
    for (const mode of MODES) expect(evaluate('X X - X 0 - 0', 3, 2, mode).state).toBe('OK');
  });

  it('ignores low-sample percentile datapoints when EvaluateLowSampleCountPercentile is ignore', () => {
    const pts: RangePoint[] = [10, 10, 10].map((v, i) => ({ timestamp: i, value: v, lowSample: i === 2 }));
    const base = { points: pts, evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: 'missing' as const, breaches: (v: number) => v > 5 };
    expect(evaluateAlarm({ ...base, current: 'OK', ignoreLowSample: true }).state).toBe('OK');
    expect(evaluateAlarm({ ...base, current: 'OK', ignoreLowSample: false }).state).toBe('ALARM');
  });
});
