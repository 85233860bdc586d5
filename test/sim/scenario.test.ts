/** Scenario files: the optional publication delay, validated and handed to SimWorld. */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { loadScenario, ScenarioError, type ScenarioFile, validateScenario } from '../../sim/scenarios/scenario';
import { worldOptions } from '../../sim/scenarios/scenario-run';

const version = { errorRate: 0.01, latencyMs: { p50: 100, p95: 200 }, tokensPerRequest: 400, guardrailBlockRate: 0 };
const file = (extra: Record<string, unknown> = {}) => ({ name: 't', target: 'lambda', durationMinutes: 30, requestsPerSecond: 5, stable: version, canary: version, ...extra });

describe('metricPublishDelaySeconds in a scenario file', () => {
  it('is optional: without it SimWorld gets 0, as before', () => {
    expect(worldOptions(validateScenario(file()), 1).metricPublishDelaySeconds).toBe(0);
  });

  it('is passed to SimWorld', () => {
    expect(worldOptions(validateScenario(file({ metricPublishDelaySeconds: 90 })), 1).metricPublishDelaySeconds).toBe(90);
  });

  it.each([-1, 601, '90', Number.NaN])('rejects %p with the field and the range', (bad) => {
    expect(() => validateScenario(file({ metricPublishDelaySeconds: bad }))).toThrow(ScenarioError);
    expect(() => validateScenario(file({ metricPublishDelaySeconds: bad }))).toThrow('metricPublishDelaySeconds must be a number from 0 to 600');
  });

  it('every scenario in scenarios/ still loads (the format is extended, not changed)', () => {
    const dir = path.join(__dirname, '..', '..', 'scenarios');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const s: ScenarioFile = loadScenario(path.join(dir, f));
      expect(worldOptions(s, 1).metricPublishDelaySeconds).toBe(s.metricPublishDelaySeconds ?? 0);
    }
  });
});
