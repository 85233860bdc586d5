/**
 * scripts/sdk-bundle-plugin.js rewrites the AWS SDK's generated schemas so the handler bundles
 * tree-shake. This checks that it changes no request and no result: every command the handler
 * bundles send, bundled with the plugin and without it, runs against a local endpoint that answers
 * with a success, an error the command documents and an error it does not; both bundles must send
 * the same requests and see the same outputs and errors (name, message, $fault, status).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';

/* eslint-disable @typescript-eslint/no-require-imports */
const esbuild = require('esbuild') as typeof import('esbuild');
const { sdkBundlePlugin, sentCommands } = require('../../scripts/sdk-bundle-plugin.js');
const { handlerBuildOptions, entryNames } = require('../../scripts/bundle-handlers.js');
/* eslint-enable @typescript-eslint/no-require-imports */

const root = path.resolve(__dirname, '../..');
const sdkDir = (client: string) => path.join(root, 'node_modules', '@aws-sdk', client);

interface Call {
  readonly client: string;
  readonly command: string;
}

/** What a command may throw: the `@throws` of its declaration, and the client-fault errors of its service. */
function errorsOf({ client, command }: Call): { documented: string[]; clientFaults: string[] } {
  const declaration = fs.readFileSync(path.join(sdkDir(client), 'dist-types', 'commands', `${command}Command.d.ts`), 'utf8');
  const documented = [...declaration.matchAll(/@throws \{@link (\w+)\}/g)].map((m) => m[1]).filter((n) => !n.endsWith('ServiceException'));
  const errors = fs.readFileSync(path.join(sdkDir(client), 'dist-es', 'models', 'errors.js'), 'utf8');
  const clientFaults = [...errors.matchAll(/export class (\w+) extends __BaseException \{[^}]*?\$fault = "client";/g)].map((m) => m[1]);
  return { documented, clientFaults };
}

/** A client package's client class and service exception, as its index exports them. */
function classesOf(client: string): { clientClass: string; serviceException: string } {
  const index = fs.readFileSync(path.join(sdkDir(client), 'dist-es', 'index.js'), 'utf8');
  const clientClass = /export \* from "\.\/(\w+Client)";/.exec(index)?.[1];
  const serviceException = /export \{ (\w+ServiceException) \}/.exec(index)?.[1];
  if (!clientClass || !serviceException) throw new Error(`cannot read ${client}'s index`);
  return { clientClass, serviceException };
}

/** One input for every command: each takes the members its schema names and ignores the rest. */
const INPUT = `{
  Name: 'live', FunctionName: 'model', FunctionVersion: '3', Qualifier: '3', RevisionId: 'r-1', Description: 'd',
  RoutingConfig: { AdditionalVersionWeights: { '4': 0.1 } }, Payload: new TextEncoder().encode('{"warm":true}'),
  Path: '/cdk-model-canary/s/', Recursive: true, Value: '{}', Type: 'String', Overwrite: true,
  AlarmNames: ['a'], MetricDataQueries: [{ Id: 'm', Expression: 'SUM(x)' }], StartTime: new Date(0), EndTime: new Date(60000),
  Namespace: 'n', MetricData: [{ MetricName: 'm', Value: 1, Dimensions: [{ Name: 'Version', Value: '3' }] }],
  stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:sm', statusFilter: 'RUNNING', name: 'e', input: '{}',
  executionArn: 'arn:aws:states:us-east-1:123456789012:execution:sm:e', cause: 'c',
  EndpointName: 'ep', EndpointConfigName: 'cfg', Body: new TextEncoder().encode('{}'), ContentType: 'application/json',
  ResourceArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/ep', Tags: [{ Key: 'k', Value: 'v' }], TagKeys: ['k'],
  DesiredWeightsAndCapacities: [{ VariantName: 'canary', DesiredWeight: 0.1 }],
  TopicArn: 'arn:aws:sns:us-east-1:123456789012:t', Subject: 's', Message: 'm',
  MessageAttributes: { canary: { DataType: 'String', StringValue: 'c' } },
  ApplicationId: 'app1234', EnvironmentId: 'env1234', ConfigurationProfileId: 'prf1234', DeploymentStrategyId: 'str1234',
  ConfigurationVersion: '1', VersionNumber: 1, DeploymentNumber: 1, AllowRevert: true, Content: new TextEncoder().encode('{}'),
}`;

/** An ES module that sends every call once, in order, and prints what each returned or threw. */
function program(calls: readonly Call[]): string {
  const clients = [...new Set(calls.map((c) => c.client))];
  // Aliased by client: two clients may name a command alike.
  const alias = (client: string, name: string) => `${client.replace(/-/g, '_')}_${name}`;
  const imports = clients.map((client) => {
    const names = [...Object.values(classesOf(client)), ...calls.filter((c) => c.client === client).map((c) => `${c.command}Command`)];
    return `import { ${names.map((n) => `${n} as ${alias(client, n)}`).join(', ')} } from '@aws-sdk/${client}';`;
  });
  const table = calls.map((c) => {
    const { clientClass, serviceException } = classesOf(c.client);
    return `[${JSON.stringify(`${c.client} ${c.command}`)}, ${alias(c.client, clientClass)}, ${alias(c.client, `${c.command}Command`)}, ${alias(c.client, serviceException)}]`;
  });
  return [
    ...imports,
    `const input = ${INPUT};`,
    'const plain = (v) => JSON.parse(JSON.stringify(v, (k, x) => (x instanceof Uint8Array ? Array.from(x) : x)));',
    'const results = [];',
    `for (const [command, Client, Command, ServiceException] of [${table.join(', ')}]) {`,
    '  try {',
    '    const { $metadata, ...output } = await new Client({}).send(new Command(input));',
    '    results.push({ command, status: $metadata.httpStatusCode, output: plain(output) });',
    '  } catch (e) {',
    '    const base = e.constructor === ServiceException;',
    '    results.push({ command, error: { name: e.name, message: e.message, fault: e.$fault, status: e.$metadata?.httpStatusCode }, base });',
    '  }',
    '}',
    'process.stdout.write(JSON.stringify(results));',
  ].join('\n');
}

async function bundle(source: string, plugins: import('esbuild').Plugin[], file: string): Promise<void> {
  const result = await esbuild.build({
    stdin: { contents: source, resolveDir: root, sourcefile: 'sdk-calls.mjs', loader: 'js' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    mainFields: ['module', 'main'],
    banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
    plugins,
    write: false,
    logLevel: 'error',
  });
  fs.writeFileSync(file, result.outputFiles[0].contents);
}

type Mode = 'success' | 'documented error' | 'undocumented error';

/**
 * The error the endpoint answers `call` with: a client-fault error the command documents, or one
 * it does not (undefined when there is none: the call then succeeds).
 */
function errorFor(call: Call, mode: Mode): string | undefined {
  if (mode === 'success') return undefined;
  const { documented, clientFaults } = errorsOf(call);
  return mode === 'documented error' ? documented.find((e) => clientFaults.includes(e)) : clientFaults.find((e) => !documented.includes(e));
}

/** What the endpoint saw and the program printed, for one run of a bundle. */
interface Run {
  readonly requests: unknown[];
  readonly results: { command: string; base?: boolean; error?: { name: string } }[];
}

/**
 * Runs `file` against a local endpoint answering every call per `mode`. Requests arrive one a call,
 * in order (one attempt each, credentials and region from the environment), so the i-th request is
 * the i-th call's.
 */
async function run(file: string, calls: readonly Call[], mode: Mode): Promise<Run> {
  const requests: unknown[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const call = calls[requests.length];
      requests.push({ method: req.method, url: req.url, target: req.headers['x-amz-target'], contentType: req.headers['content-type'], body });
      const query = req.headers['content-type']?.startsWith('application/x-www-form-urlencoded');
      const json = { 'content-type': req.headers['content-type']?.startsWith('application/x-amz-json') ? req.headers['content-type'] : 'application/json' };
      const name = call && errorFor(call, mode);
      if (!call) res.writeHead(500).end();
      else if (name && query) res.writeHead(400, { 'content-type': 'text/xml' }).end(`<ErrorResponse><Error><Type>Sender</Type><Code>${name}</Code><Message>boom</Message></Error><RequestId>r</RequestId></ErrorResponse>`);
      else if (name) res.writeHead(400, { ...json, 'x-amzn-errortype': name }).end(JSON.stringify({ __type: name, message: 'boom' }));
      else if (query) res.writeHead(200, { 'content-type': 'text/xml' }).end(`<${call.command}Response><${call.command}Result><MessageId>m-1</MessageId></${call.command}Result></${call.command}Response>`);
      else res.writeHead(200, json).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const env = {
    PATH: process.env.PATH,
    AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDTEST',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_MAX_ATTEMPTS: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  try {
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [file], { env, timeout: 40_000 }, (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out))),
    );
    return { requests, results: JSON.parse(stdout) };
  } finally {
    server.close();
  }
}

describe('the SDK bundle plugin', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdk-plugin-'));
  const untouched = path.join(dir, 'untouched.mjs');
  const rewritten = path.join(dir, 'rewritten.mjs');
  let calls: Call[] = [];

  beforeAll(async () => {
    // The commands the stack's functions send, read as the plugin reads them.
    const byClient = new Map<string, Set<string>>();
    for (const name of entryNames() as string[]) {
      for (const [client, commands] of (await sentCommands(handlerBuildOptions(name, path.join(dir, name)))) as Map<string, Set<string>>) {
        for (const command of commands) byClient.set(client, new Set([...(byClient.get(client) ?? []), command]));
      }
    }
    calls = [...byClient].flatMap(([client, commands]) => [...commands].sort().map((command) => ({ client, command })));
    const source = program(calls);
    await bundle(source, [], untouched);
    await bundle(source, [sdkBundlePlugin()], rewritten);
  }, 180_000);

  test('reads the commands the functions send from their bundles', () => {
    expect(calls).toEqual(expect.arrayContaining([
      { client: 'client-ssm', command: 'GetParameter' },
      { client: 'client-lambda', command: 'UpdateAlias' },
      { client: 'client-sns', command: 'Publish' },
      { client: 'client-sagemaker-runtime', command: 'InvokeEndpoint' },
    ]));
    // A command only the CLI sends is not the functions': its errors need not stay registered.
    expect(calls).not.toContainEqual({ client: 'client-ssm', command: 'PutParameter' });
  });

  test.each<Mode>(['success', 'documented error'])('on a %s, both bundles send the same requests and see the same results', async (mode) => {
    const [a, b] = [await run(untouched, calls, mode), await run(rewritten, calls, mode)];
    expect(a.requests).toHaveLength(calls.length);
    expect(b).toEqual(a);
    // A documented error keeps its own class.
    if (mode === 'documented error') expect(b.results.filter((r) => r.error && r.base !== false)).toEqual([]);
    expect(b.results.filter((r) => r.error).length).toBeGreaterThan(mode === 'success' ? -1 : calls.length / 2);
  }, 60_000);

  test('on an error the command does not document, the same name, message, $fault and status; the class is the service exception where no sent command documents it', async () => {
    const [a, b] = [await run(untouched, calls, 'undocumented error'), await run(rewritten, calls, 'undocumented error')];
    expect(b.requests).toEqual(a.requests);
    const strip = (r: Run) => r.results.map(({ base, ...rest }) => rest);
    expect(strip(b)).toEqual(strip(a));
    expect(a.results.filter((r) => r.error && r.base !== false)).toEqual([]);
    // An error stays registered when a command the functions send documents it; SNS (query) and
    // CloudWatch (query compatible) map a wire code to the error's name through its registration,
    // so they keep every one.
    const registered = (client: string, error: string) =>
      client === 'client-sns' || client === 'client-cloudwatch' || calls.some((c) => c.client === client && errorsOf(c).documented.includes(error));
    const expected = calls.map((c) => {
      const error = errorFor(c, 'undocumented error');
      return { command: `${c.client} ${c.command}`, base: error ? !registered(c.client, error) : undefined };
    });
    expect(b.results.map(({ command, base }) => ({ command, base }))).toEqual(expected);
    // Some errors do fall back to the service exception (else this test proves nothing about it).
    expect(expected.filter((e) => e.base).length).toBeGreaterThan(3);
  }, 60_000);
});
