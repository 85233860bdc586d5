/** The AppConfig control-plane commands a config canary's workflow sends, routed to the simulated AppConfig. */
import {
  AppConfigClient,
  CreateHostedConfigurationVersionCommand,
  DeleteHostedConfigurationVersionCommand,
  GetHostedConfigurationVersionCommand,
  ListDeploymentsCommand,
  ListHostedConfigurationVersionsCommand,
  StartDeploymentCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-appconfig';
import { mockClient } from 'aws-sdk-client-mock';
import type { SinonSandbox } from 'sinon';
import type { AppConfigSim } from '../aws/appconfig/appconfig';
import type { ServiceName } from '../aws/core/aws-errors';

/** The world's call layer (sim/world/sdk-mocks.ts SdkCalls): retries, faults, recording. */
interface Calls {
  call<T>(service: ServiceName, operation: string, run: (caller?: string) => T): Promise<T>;
}

export function wireAppConfigMocks(sandbox: SinonSandbox, calls: Calls, sim: AppConfigSim): void {
  const client = mockClient(AppConfigClient, { sandbox });
  client.onAnyCommand().callsFake(() => {
    throw new Error('The simulator does not implement this AppConfig command');
  });
  const call = <T>(operation: string, run: (by?: string) => T) => calls.call('appconfig', operation, run);
  client.on(CreateHostedConfigurationVersionCommand).callsFake((i) => call('CreateHostedConfigurationVersion', (by) => sim.createHostedConfigurationVersion(i, by)));
  client.on(GetHostedConfigurationVersionCommand).callsFake((i) => call('GetHostedConfigurationVersion', () => sim.getHostedConfigurationVersion(i)));
  client.on(ListHostedConfigurationVersionsCommand).callsFake((i) => call('ListHostedConfigurationVersions', () => sim.listHostedConfigurationVersions(i)));
  client.on(DeleteHostedConfigurationVersionCommand).callsFake((i) => call('DeleteHostedConfigurationVersion', () => sim.deleteHostedConfigurationVersion(i)));
  client.on(ListDeploymentsCommand).callsFake((i) => call('ListDeployments', () => sim.listDeployments(i)));
  client.on(StartDeploymentCommand).callsFake((i) => call('StartDeployment', (by) => sim.startDeployment(i, by)));
  client.on(StopDeploymentCommand).callsFake((i) => call('StopDeployment', () => sim.stopDeployment(i)));
}
