import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { awsCall } from './errors';
import { type CommandChannel, EMPTY_CHANNEL, parseChannel } from './operator';

const ssm = new SSMClient({});

/** The operator's channel; a missing parameter is an empty one (a stack from before the channel). */
export async function readChannel(name: string | undefined): Promise<CommandChannel> {
  if (!name) return EMPTY_CHANNEL;
  try {
    const out = await awsCall('GetParameter', () => ssm.send(new GetParameterCommand({ Name: name })));
    return parseChannel(out.Parameter?.Value);
  } catch (err) {
    if ((err as Error).name === 'ParameterNotFound') return EMPTY_CHANNEL;
    throw err;
  }
}

export async function writeChannel(client: SSMClient, name: string, channel: CommandChannel): Promise<void> {
  await client.send(new PutParameterCommand({ Name: name, Value: JSON.stringify(channel), Type: 'String', Overwrite: true }));
}
