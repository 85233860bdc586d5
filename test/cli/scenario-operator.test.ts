/**
 * A scenario's operator actions run through the CLI against the simulated AWS and show in the
 * summary (`simulate --json`'s operatorActions) and the demo's timeline.
 */
import * as path from 'node:path';
import { loadScenario, validateScenario } from '../../sim/scenarios/scenario';
import { runScenario } from '../../sim/scenarios/scenario-run';

// Whole 90-minute scenarios run in the hooks: a loaded CI machine needs more than jest's 60 s.
jest.setTimeout(180_000);

const file = loadScenario(path.join(__dirname, '..', '..', 'scenarios', 'operator-pause.json'));

describe('scenarios/operator-pause.json', () => {
  let run: Awaited<ReturnType<typeof runScenario>>;
  beforeAll(async () => {
    run = await runScenario(file, { seed: 1 });
  });

  it('runs each action through the CLI, at its minute, and reports its exit code and JSON output', () => {
    const actions = run.summary.operatorActions;
    expect(actions.map((a) => [a.command, Math.floor(a.atSeconds / 60), a.exitCode])).toEqual([
      ['pause', 6, 0],
      ['status', 8, 0],
      ['resume', 20, 0],
    ]);
    expect(actions[0].output).toMatchObject({ command: 'pause', by: 'arn:aws:sts::123456789012:assumed-role/ReleaseManager/alice' });
    expect(actions[1].output).toMatchObject({ rollout: { waitingFor: 'paused', pausedBy: 'assumed-role/ReleaseManager/alice', step: { number: 1, percent: 5 } } });
  });

  it('the pause delays the promotion by about its 14 minutes (the bake clock stood still)', () => {
    expect(run.summary.outcome).toBe('promoted');
    // Healthy.json's four 10-minute steps promote at about 40 minutes.
    expect(run.summary.promotedAtSeconds! / 60).toBeGreaterThan(40 + 13);
    expect(run.summary.promotedAtSeconds! / 60).toBeLessThan(40 + 17);
  });

  it('the timeline marks the actions for the chart', () => {
    expect(run.timeline.events.filter((e) => e.kind === 'operator').map((e) => e.label)).toEqual(['pause', 'status', 'resume']);
  });

  it('the scenario format rejects an unknown command, saying which are known', () => {
    expect(() => validateScenario({ ...file, operator: [{ atMinute: 1, command: 'reboot' }] })).toThrow(/operator\[0\]\.command must be one of promote, abort, pause, resume, approve, status/);
  });
});
