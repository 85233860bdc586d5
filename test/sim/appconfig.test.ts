/**
 * The simulated AWS AppConfig (sim/aws/appconfig/appconfig.ts): hosted versions with their locking
 * token, one deployment at a time per environment, stop and revert, and what a polling client gets.
 */
import { AppConfigSim, MAX_HOSTED_CONTENT_BYTES } from '../../sim/aws/appconfig/appconfig';
import { errorName } from './error-name';

function setup() {
  let now = 1_000_000;
  const sim = new AppConfigSim(() => now);
  const app = sim.createApplication('chat');
  const env = sim.createEnvironment(app, 'prod');
  const profile = sim.createHostedProfile(app, 'routing');
  const instant = sim.createDeploymentStrategy({ name: 'instant', durationMinutes: 0, bakeMinutes: 0, growthFactor: 100 });
  const put = (text: string, latest?: number) =>
    sim.createHostedConfigurationVersion({ ApplicationId: app, ConfigurationProfileId: profile, Content: new TextEncoder().encode(text), ContentType: 'application/json', LatestVersionNumber: latest }).VersionNumber;
  const deploy = (version: number, strategy = instant) =>
    sim.startDeployment({ ApplicationId: app, EnvironmentId: env, ConfigurationProfileId: profile, DeploymentStrategyId: strategy, ConfigurationVersion: String(version) }).DeploymentNumber;
  return { sim, app, env, profile, put, deploy, advance: (ms: number) => (now += ms) };
}

describe('hosted configuration versions', () => {
  test('are numbered from 1; LatestVersionNumber is a locking token; a label names one version; 2 MB at most', () => {
    const { sim, app, profile, put } = setup();
    expect(put('{"a":1}')).toBe(1);
    expect(put('{"a":2}', 1)).toBe(2);
    expect(errorName(() => put('{"a":3}', 1))).toBe('ConflictException');
    const v = sim.getHostedConfigurationVersion({ ApplicationId: app, ConfigurationProfileId: profile, VersionNumber: 2 });
    expect(new TextDecoder().decode(v.Content)).toBe('{"a":2}');
    expect(errorName(() => put('x'.repeat(MAX_HOSTED_CONTENT_BYTES + 1)))).toBe('PayloadTooLargeException');
    expect(errorName(() => sim.getHostedConfigurationVersion({ ApplicationId: app, ConfigurationProfileId: profile, VersionNumber: 9 }))).toBe('ResourceNotFoundException');
  });
});

describe('deployments', () => {
  test('one at a time per environment: another while one deploys or bakes is a ConflictException', () => {
    const { sim, put, deploy, advance } = setup();
    const slow = sim.createDeploymentStrategy({ name: 'slow', durationMinutes: 2, bakeMinutes: 3, growthFactor: 50 });
    deploy(put('{"v":1}'), slow);
    expect(errorName(() => deploy(put('{"v":2}')))).toBe('ConflictException');
    advance(3 * 60_000); // baking
    expect(errorName(() => deploy(2))).toBe('ConflictException');
    advance(3 * 60_000); // complete
    expect(deploy(2)).toBe(2);
  });

  test('a zero-length strategy completes at once; a client gets the newest version deployed', () => {
    const { sim, env, profile, put, deploy } = setup();
    deploy(put('{"v":1}'));
    deploy(put('{"v":2}'));
    expect(sim.listDeployments({ ApplicationId: [...sim.applications.keys()][0], EnvironmentId: env }).Items.map((d) => [d.DeploymentNumber, d.State])).toEqual([
      [2, 'COMPLETE'],
      [1, 'COMPLETE'],
    ]);
    expect(sim.servedVersion(env, profile)?.content).toBe('{"v":2}');
  });

  test('a deployment reaches clients in growth steps; stopped while deploying, clients go back to the previous version', () => {
    const { sim, app, env, profile, put, deploy, advance } = setup();
    deploy(put('{"v":1}'));
    const linear = sim.createDeploymentStrategy({ name: 'linear', durationMinutes: 4, bakeMinutes: 0, growthFactor: 25 });
    const n = deploy(put('{"v":2}'), linear);
    // The user guide's timeline: 0 % at the start, the first step (25 %) one interval (1 minute) in.
    expect(sim.servedVersion(env, profile, 0.1)?.content).toBe('{"v":1}');
    advance(60_000);
    expect(sim.servedVersion(env, profile, 0.1)?.content).toBe('{"v":2}');
    expect(sim.servedVersion(env, profile, 0.6)?.content).toBe('{"v":1}');
    advance(2 * 60_000 + 1); // third step: 75 %
    expect(sim.servedVersion(env, profile, 0.6)?.content).toBe('{"v":2}');
    expect(sim.stopDeployment({ ApplicationId: app, EnvironmentId: env, DeploymentNumber: n }).State).toBe('ROLLED_BACK');
    expect(sim.servedVersion(env, profile, 0.1)?.content).toBe('{"v":1}');
  });

  test('a completed deployment is stopped only with AllowRevert, within 72 hours (REVERTED)', () => {
    const { sim, app, env, profile, put, deploy, advance } = setup();
    deploy(put('{"v":1}'));
    const n = deploy(put('{"v":2}'));
    expect(errorName(() => sim.stopDeployment({ ApplicationId: app, EnvironmentId: env, DeploymentNumber: n }))).toBe('BadRequestException');
    expect(sim.stopDeployment({ ApplicationId: app, EnvironmentId: env, DeploymentNumber: n, AllowRevert: true }).State).toBe('REVERTED');
    expect(sim.servedVersion(env, profile)?.content).toBe('{"v":1}');
    const m = deploy(put('{"v":3}'));
    advance(73 * 3600_000);
    expect(errorName(() => sim.stopDeployment({ ApplicationId: app, EnvironmentId: env, DeploymentNumber: m, AllowRevert: true }))).toBe('BadRequestException');
  });
});
