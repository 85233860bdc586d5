/**
 * The alarm state machine against CloudWatch's own examples: the two tables in "How alarm state is
 * evaluated when data is missing" (CloudWatch User Guide), for every TreatMissingData mode.
 * In the data points, 0 is non-breaching, X breaching, - missing; oldest first; 5 retrieved.
 */
import { type AlarmState, evaluateAlarm, type RangePoint, type TreatMissingData } from '../../sim';

function points(pattern: string): RangePoint[] {
  return pattern.split(' ').map((c, i) => ({ timestamp: i * 60_000, value: c === '-' ? undefined : c === 'X' ? 10 : 0 }));
}

const MODES: TreatMissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];
const RETAIN = 'retain';

function run(pattern: string, n: number, m: number, mode: TreatMissingData, current: AlarmState = 'OK'): AlarmState {
  return evaluateAlarm({ points: points(pattern), evaluationPeriods: n, datapointsToAlarm: m, treatMissingData: mode, breaches: (v) => v > 5, current })
    .state;
}

describe('3 out of 3 (first documented table)', () => {
  const rows: [string, (AlarmState | typeof RETAIN)[]][] = [
    ['0 - X - X', ['OK', 'OK', 'OK', 'OK']],
    ['0 - - - -', ['OK', 'OK', 'OK', 'OK']],
    ['- - - - -', ['INSUFFICIENT_DATA', RETAIN, 'ALARM', 'OK']],
    ['0 X X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['- - - - X', ['INSUFFICIENT_DATA', RETAIN, 'ALARM', 'OK']],
    ['X - - - -', ['ALARM', RETAIN, 'ALARM', 'OK']],
  ];
  it.each(rows)('%s', (pattern, expected) => {
    MODES.forEach((mode, i) => {
      for (const current of ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as AlarmState[]) {
        const want = expected[i] === RETAIN ? current : expected[i];
        expect({ mode, current, state: run(pattern, 3, 3, mode, current) }).toEqual({ mode, current, state: want });
      }
    });
  });
});

describe('2 out of 3 (second documented table)', () => {
  const rows: [string, (AlarmState | typeof RETAIN)[]][] = [
    ['0 - X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['0 0 X 0 X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['0 - X - -', ['OK', 'OK', 'ALARM', 'OK']],
    ['- - - - 0', ['OK', 'OK', 'ALARM', 'OK']],
    ['- - - - X', ['INSUFFICIENT_DATA', RETAIN, 'ALARM', 'OK']],
  ];
  it.each(rows)('%s', (pattern, expected) => {
    MODES.forEach((mode, i) => {
      const current: AlarmState = 'OK';
      const want = expected[i] === RETAIN ? current : expected[i];
      expect({ mode, state: run(pattern, 3, 2, mode, current) }).toEqual({ mode, state: want });
    });
  });
});

describe('M out of N', () => {
  it('needs M breaching among the N most recent real datapoints, not consecutive ones', () => {
    expect(run('0 X 0 X X 0 X', 5, 3, 'missing')).toBe('ALARM');
    expect(run('X 0 X 0 X 0 0', 5, 3, 'missing')).toBe('OK');
    expect(run('X X X 0 0 X 0', 5, 3, 'missing')).toBe('OK');
    expect(run('X X X X X X 0', 5, 5, 'missing')).toBe('OK');
    expect(run('0 0 X X X X X', 5, 5, 'missing')).toBe('ALARM');
  });

  it('evaluates only the most recent N real datapoints when enough exist (missing data is then irrelevant)', () => {
    for (const mode of MODES) expect(run('X X - X 0 - 0', 3, 2, mode)).toBe('OK');
  });

  it('ignores low-sample percentile datapoints when EvaluateLowSampleCountPercentile is ignore', () => {
    const pts: RangePoint[] = [10, 10, 10].map((v, i) => ({ timestamp: i, value: v, lowSample: i === 2 }));
    const base = { points: pts, evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: 'missing' as const, breaches: (v: number) => v > 5 };
    expect(evaluateAlarm({ ...base, current: 'OK', ignoreLowSample: true }).state).toBe('OK');
    expect(evaluateAlarm({ ...base, current: 'OK', ignoreLowSample: false }).state).toBe('ALARM');
  });
});
