/**
 * ModelRouter against a local AppConfig Agent (an HTTP server started here) and a local
 * AppConfigData endpoint (AWS_ENDPOINT_URL_APPCONFIGDATA): cache refresh, the last good document
 * kept, stickiness across instances, the default config, and what `run` records.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  APPCONFIG_AGENT_URL_ENV, APPCONFIG_APPLICATION_ENV, APPCONFIG_ENVIRONMENT_ENV, APPCONFIG_PROFILE_ENV,
  bucketOf, ModelRouter, ModelSignals, ROUTING_SCHEMA, type RoutingDocument,
} from '../../runtime';

const AGENT_PATH = '/applications/shop/environments/prod/configurations/model';
const ENV_KEYS = [APPCONFIG_APPLICATION_ENV, APPCONFIG_ENVIRONMENT_ENV, APPCONFIG_PROFILE_ENV, APPCONFIG_AGENT_URL_ENV,
  'MODEL_CANARY_NAME', 'MODEL_CANARY_STACK', 'MODEL_CANARY_VERSION', 'MODEL_CANARY_SIGNALS_DISABLED', 'POWERTOOLS_DEV',
  'POWERTOOLS_METRICS_DISABLED', 'AWS_ENDPOINT_URL_APPCONFIGDATA'];

function doc(canaryPercent: number, stable = 'cfg-1', canary = 'cfg-2'): RoutingDocument {
  return { schema: ROUTING_SCHEMA, salt: canary, stable: { version: stable, config: { modelId: stable } },
    canary: { version: canary, config: { modelId: canary } }, canaryPercent, canarySide: 'low' };
}

/** What the fake store serves, changed by the tests, and the paths it was asked. */
const store = { status: 200, body: JSON.stringify(doc(50)), paths: [] as string[] };
let server: http.Server;
let url: string;
const saved: Record<string, string | undefined> = {};
let written: string[];
let warnings: string[];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    store.paths.push(req.url!);
    const u = new URL(req.url!, 'http://x');
    if (req.method === 'POST' && u.pathname === '/configurationsessions') { // AppConfigData: StartConfigurationSession
      req.resume();
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ InitialConfigurationToken: 'first' }));
    } else if (u.pathname === '/configuration') { // AppConfigData: GetLatestConfiguration, empty when unchanged for this token
      const seen = u.searchParams.get('configuration_token') === `seen:${store.body}`;
      res.writeHead(200, { 'content-type': 'application/json', 'next-poll-configuration-token': `seen:${store.body}`, 'next-poll-interval-in-seconds': '0' })
        .end(seen ? '' : store.body);
    } else {
      res.writeHead(store.status).end(store.status === 200 ? store.body : 'boom');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  for (const k of ENV_KEYS) { saved[k] = process.env[k]; delete process.env[k]; }
  Object.assign(store, { status: 200, body: JSON.stringify(doc(50)), paths: [] });
  written = [];
  warnings = [];
  // Powertools writes EMF with a Console bound to process.stdout, as model-signals.test.ts captures it.
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  });
  jest.spyOn(process, 'emitWarning').mockImplementation((w: string | Error) => { warnings.push(String(w)); });
});
afterEach(() => {
  jest.restoreAllMocks();
  for (const k of ENV_KEYS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
});

const agentRouter = (options: object = {}) => new ModelRouter({ application: 'shop', environment: 'prod', profile: 'model', agentUrl: url, ...options });
const emf = () => written.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const metricsOf = (d: { _aws: { CloudWatchMetrics: { Metrics: { Name: string; Unit: string }[] }[] } } & Record<string, unknown>) =>
  Object.fromEntries(d._aws.CloudWatchMetrics[0].Metrics.map((m) => [m.Name, d[m.Name]]));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('reads the agent path once while fresh and routes by the document', async () => {
  const router = agentRouter();
  for (let i = 0; i < 200; i++) {
    const c = await router.choose(`u${i}`);
    expect(c.variant).toBe(bucketOf('cfg-2', `u${i}`) < 50 ? 'canary' : 'stable');
    expect(c.config).toEqual({ modelId: c.version });
  }
  expect(store.paths).toEqual([AGENT_PATH]);
});

test('the agent from the environment, and concurrent requests share one read', async () => {
  Object.assign(process.env, { [APPCONFIG_APPLICATION_ENV]: 'shop', [APPCONFIG_ENVIRONMENT_ENV]: 'prod', [APPCONFIG_PROFILE_ENV]: 'model', [APPCONFIG_AGENT_URL_ENV]: url });
  const router = new ModelRouter();
  await Promise.all(Array.from({ length: 20 }, (_, i) => router.choose(`u${i}`)));
  expect(store.paths).toEqual([AGENT_PATH]);
});

test('refreshes after refreshSeconds; keeps the last good document on 500 or bad JSON, warning once per streak', async () => {
  const router = agentRouter({ refreshSeconds: 0.1 });
  await router.choose('u1');
  store.body = JSON.stringify(doc(100));
  expect((await router.choose('u1')).version).toBe(bucketOf('cfg-2', 'u1') < 50 ? 'cfg-2' : 'cfg-1'); // still cached
  await sleep(120);
  expect((await router.choose('u1')).version).toBe('cfg-2');
  expect(store.paths).toHaveLength(2);

  for (const [status, body] of [[500, ''], [200, '{not json'], [200, JSON.stringify({ schema: 'other' })]] as const) {
    Object.assign(store, { status, body });
    await sleep(120);
    for (let i = 0; i < 20; i++) expect((await router.choose(`u${i}`)).version).toBe('cfg-2');
  }
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/answered 500.*the last good document is kept/);

  Object.assign(store, { status: 200, body: JSON.stringify(doc(0)) });
  await sleep(120);
  expect((await router.choose('u1')).version).toBe('cfg-1');
  store.status = 500;
  await sleep(120);
  await router.choose('u1');
  expect(warnings).toHaveLength(2); // a new streak warns again
});

test('a store down from the start: the default config as version "default", else a clear error', async () => {
  store.status = 503;
  expect(await agentRouter({ defaultConfig: { modelId: 'fallback' } }).choose('u1')).toEqual({ variant: 'stable', version: 'default', config: { modelId: 'fallback' } });
  expect(warnings[0]).toMatch(/defaultConfig is served/);
  await expect(agentRouter().choose('u1')).rejects.toThrow(/no routing document.*defaultConfig/);
});

test('sticky: the same user gets the same variant from two router instances', async () => {
  const a = agentRouter();
  const b = agentRouter();
  for (let i = 0; i < 300; i++) expect((await a.choose(`u${i}`)).version).toBe((await b.choose(`u${i}`)).version);
});

test('no environment and no options: constructs, and choose names what to set', async () => {
  const router = new ModelRouter();
  expect(warnings.join('\n')).toMatch(/no MODEL_CANARY_APPCONFIG_APPLICATION .*so no routing document is read/);
  await expect(router.choose('u1')).rejects.toThrow(/Set MODEL_CANARY_APPCONFIG_APPLICATION.*MODEL_CANARY_APPCONFIG_PROFILE.*`document`/);
  expect(await new ModelRouter({ defaultConfig: 'x' }).run('u1', (c) => c.config)).toBe('x');
  expect(written).toEqual([]); // no canary name: ModelSignals records nothing
});

test('run records Requests, Errors and Latency (ms) for the version served, in one document with record()', async () => {
  const router = new ModelRouter({ document: doc(50), signals: { canaryName: 'c', stackName: 's' } });
  const canaryUser = Array.from({ length: 100 }, (_, i) => `u${i}`).find((u) => bucketOf('cfg-2', u) < 50)!;
  expect(await router.run(canaryUser, async (c) => { await sleep(20); return c.version; })).toBe('cfg-2');
  let served = '';
  await expect(router.run('u-fail', async (c) => {
    served = c.version;
    router.record(c, { inputTokens: 10, outputTokens: 5 });
    throw new Error('model down');
  })).rejects.toThrow('model down');

  const [ok, failed] = emf();
  expect(emf()).toHaveLength(2);
  expect([ok.Canary, ok.Stack, ok.Version]).toEqual(['c', 's', 'cfg-2']);
  expect(metricsOf(ok)).toEqual({ Requests: 1, Errors: 0, Latency: expect.any(Number) });
  expect(ok.Latency).toBeGreaterThanOrEqual(15);
  expect(failed.Version).toBe(served);
  expect(metricsOf(failed)).toEqual({ Requests: 1, InputTokens: 10, OutputTokens: 5, TotalTokens: 15, Errors: 1, Latency: expect.any(Number) });
  expect(failed._aws.CloudWatchMetrics[0].Metrics).toEqual(expect.arrayContaining([{ Name: 'Latency', Unit: 'Milliseconds' }, { Name: 'Errors', Unit: 'Count' }]));
});

test('record outside run writes one request for the choice\'s version, with an existing ModelSignals\' names', async () => {
  const router = new ModelRouter({ document: doc(0), signals: new ModelSignals({ canaryName: 'c', stackName: 's', version: 'other' }) });
  router.record(await router.choose('u1'), { guardrailIntervened: true });
  const [d] = emf();
  expect([d.Canary, d.Version]).toEqual(['c', 'cfg-1']);
  expect(metricsOf(d)).toEqual({ Requests: 1, GuardrailIntervened: 1 });
  expect(() => router.record({ variant: 'stable', version: 'cfg-1', config: null }, { inputTokens: -1 })).toThrow(/inputTokens must/);
});

test('a handled failure marked with record({ error: true }) inside run counts as an error; a throw always does', async () => {
  const router = new ModelRouter({ document: doc(0), signals: { canaryName: 'c', stackName: 's' } });
  await router.run('u1', (c) => { router.record(c, { error: true }); return 'fallback answer'; });
  await router.run('u2', (c) => { router.record(c, { error: false }); return 'ok'; });
  await expect(router.run('u3', (c) => { router.record(c, { error: false }); throw new Error('down'); })).rejects.toThrow('down');
  expect(emf().map((d) => d.Errors)).toEqual([1, 0, 1]);
});

test('high resolution reaches every version\'s signals, from the options or from a ModelSignals given', async () => {
  const resolutions = () => emf().map((d) => Object.fromEntries((d._aws.CloudWatchMetrics[0].Metrics as { Name: string; StorageResolution?: number }[]).map((m) => [m.Name, m.StorageResolution])));
  await new ModelRouter({ document: doc(50), signals: { canaryName: 'c', stackName: 's', highResolution: true } }).run('u1', () => 'ok');
  const given = new ModelSignals({ canaryName: 'c', stackName: 's', version: 'other', highResolution: true });
  await new ModelRouter({ document: doc(50), signals: given }).run('u2', () => 'ok');
  await new ModelRouter({ document: doc(50), signals: { canaryName: 'c', stackName: 's' } }).run('u3', () => 'ok');
  expect(resolutions()).toEqual([
    { Requests: 1, Errors: 1, Latency: undefined },
    { Requests: 1, Errors: 1, Latency: undefined },
    { Requests: undefined, Errors: undefined, Latency: undefined },
  ]);
});

test('source sdk: AppConfigData sessions, an empty Configuration keeps the document', async () => {
  process.env.AWS_ENDPOINT_URL_APPCONFIGDATA = url;
  const router = new ModelRouter({ application: 'shop', environment: 'prod', profile: 'model', source: 'sdk', refreshSeconds: 0 });
  const first = await router.choose('u1');
  expect(await router.choose('u1')).toEqual(first);
  expect(store.paths.map((p) => p.split('?')[0])).toEqual(['/configurationsessions', '/configuration', '/configuration']);
  store.body = JSON.stringify(doc(100));
  expect((await router.choose('u1')).version).toBe('cfg-2');
});

test('invalid options throw', () => {
  expect(() => new ModelRouter({ refreshSeconds: -1 })).toThrow(/refreshSeconds/);
  expect(() => new ModelRouter({ document: { ...doc(5), canaryPercent: 200 } })).toThrow(/canaryPercent must be/);
});
