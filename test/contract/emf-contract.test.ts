/**
 * One contract, two runtime helpers: the fixtures recorded through the TypeScript helper (in this
 * process, Powertools' stdout captured) and through the Python helper (python3, its stdout) must
 * give the same EMF documents, timestamps aside; and both must reject the same inputs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelSignals } from '../../runtime';
import contract from '../../runtime/emf-contract.json';

const root = path.resolve(__dirname, '..', '..');
const fixturesPath = path.join(__dirname, 'fixtures.json');
const fixtures = JSON.parse(fs.readFileSync(fixturesPath, 'utf8')) as Fixtures;

interface Fixtures {
  cases: { name: string; options: Record<string, string>; env?: Record<string, string>; requests: Record<string, unknown>[] }[];
  /** No canary or stack name, or the output switched off: both helpers construct, record and write nothing. */
  silent: { name: string; options: Record<string, string>; env?: Record<string, string>; requests: Record<string, unknown>[] }[];
  rejected: { field: string; request: Record<string, unknown> }[];
  rejectedOptions: { option: string; options: Record<string, string> }[];
}
type Doc = { _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } } & Record<string, unknown>;
type Outcome = { docs: Doc[] } | { error: string; message: string };

/** Every variable either helper reads, from the contract: each fixture starts with none set. */
const ENV_KEYS = [...Object.values(contract.dimensions).flatMap((d) => ('env' in d ? d.env : [])), contract.environment.delivery, ...contract.switches.off];

/** The Python name of a TypeScript option or request field, from the contract. */
const pythonName: Record<string, string> = Object.fromEntries([
  ...Object.values(contract.dimensions).map((d) => ('option' in d ? d.option : d.field)).map((o) => [o.typescript, o.python]),
  [contract.namespace.option.typescript, contract.namespace.option.python],
  ...Object.values(contract.metrics).flatMap((m) => (m.from && /^\w+$/.test(m.from.typescript) ? [[m.from.typescript, m.from.python]] : [])),
]);

function key(kind: string, i: number): string {
  return `${kind}#${i}`;
}

/** Runs the fixtures through the TypeScript helper, each one's stdout captured separately. */
function recordTypeScript(): Map<string, Outcome> {
  const out = new Map<string, Outcome>();
  const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  const run = (id: string, env: Record<string, string> | undefined, fn: () => void) => {
    for (const k of ENV_KEYS) delete process.env[k];
    Object.assign(process.env, env ?? {});
    const written: string[] = [];
    // Powertools writes EMF with a Console bound to process.stdout; it offers no other sink.
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      return true;
    });
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      fn();
      out.set(id, { docs: parseLines(written.join('')) });
    } catch (err) {
      expect(written).toEqual([]); // an invalid input writes nothing
      out.set(id, { error: (err as Error).name, message: (err as Error).message });
    } finally {
      spy.mockRestore();
      warn.mockRestore();
    }
  };
  try {
    fixtures.cases.forEach((c, i) =>
      run(key('cases', i), c.env, () => {
        const signals = new ModelSignals(c.options);
        for (const r of c.requests) signals.record(r);
      }),
    );
    fixtures.silent.forEach((c, i) =>
      run(key('silent', i), c.env, () => {
        const signals = new ModelSignals(c.options);
        for (const r of c.requests) signals.record(r);
      }),
    );
    fixtures.rejected.forEach((c, i) => run(key('rejected', i), {}, () => new ModelSignals({ canaryName: 'c', stackName: 's', version: '1' }).record(c.request)));
    fixtures.rejectedOptions.forEach((c, i) => run(key('rejectedOptions', i), {}, () => new ModelSignals(c.options)));
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return out;
}

/** Runs the fixtures through the Python helper in python3; fails (never skips) without python3. */
function recordPython(): Map<string, Outcome> {
  const probe = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'The EMF contract test needs python3 (3.9 or later) on PATH to run the Python runtime helper: ' +
        'install it (Debian: apt-get install -y python3). .ci/run installs it.',
    );
  }
  const stdout = execFileSync('python3', [path.join(__dirname, 'record_python.py'), fixturesPath], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1', PYTHONWARNINGS: 'ignore' },
  });
  const out = new Map<string, Outcome>();
  let current: string | undefined;
  for (const line of stdout.split('\n').filter((l) => l !== '')) {
    const parsed = JSON.parse(line);
    if (Array.isArray(parsed.fixture)) {
      current = key(parsed.fixture[0], parsed.fixture[1]);
      out.set(current, { docs: [] });
    } else if (current === undefined) {
      throw new Error(`record_python.py wrote before its first fixture marker: ${line}`);
    } else if ('error' in parsed) {
      expect((out.get(current) as { docs: Doc[] }).docs).toEqual([]);
      out.set(current, parsed);
    } else {
      (out.get(current) as { docs: Doc[] }).docs.push(parsed as Doc);
    }
  }
  return out;
}

function parseLines(text: string): Doc[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Doc);
}

/**
 * A document as CloudWatch reads it: no timestamp, and the metric definitions and the keys of each
 * dimension set in a fixed order (EMF gives neither order a meaning).
 */
function canonical(doc: Doc): unknown {
  const { _aws, ...rest } = doc;
  expect(Number.isSafeInteger(_aws.Timestamp)).toBe(true);
  expect(Math.abs(_aws.Timestamp - Date.now())).toBeLessThan(120_000);
  return {
    ...rest,
    _aws: {
      ...Object.fromEntries(Object.entries(_aws).filter(([k]) => k !== 'Timestamp')),
      CloudWatchMetrics: _aws.CloudWatchMetrics.map((d) => ({
        ...d,
        Dimensions: d.Dimensions.map((set) => [...set].sort()),
        Metrics: [...d.Metrics].sort((a, b) => a.Name.localeCompare(b.Name)),
      })),
    },
  };
}

let ts: Map<string, Outcome>;
let py: Map<string, Outcome>;

beforeAll(() => {
  ts = recordTypeScript();
  py = recordPython();
});

describe('the TypeScript and Python helpers write the same EMF documents', () => {
  test('both ran every fixture', () => {
    const expected = [
      ...fixtures.cases.map((_, i) => key('cases', i)),
      ...fixtures.silent.map((_, i) => key('silent', i)),
      ...fixtures.rejected.map((_, i) => key('rejected', i)),
      ...fixtures.rejectedOptions.map((_, i) => key('rejectedOptions', i)),
    ];
    expect([...ts.keys()]).toEqual(expected);
    expect([...py.keys()]).toEqual(expected);
  });

  test.each(fixtures.cases.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const a = ts.get(key('cases', i))!;
    const b = py.get(key('cases', i))!;
    expect('docs' in a ? a.docs.length : a).toBeGreaterThan(0);
    expect('docs' in b ? b.docs.map(canonical) : b).toEqual('docs' in a ? a.docs.map(canonical) : a);
  });

  test.each(fixtures.silent.map((c, i) => [c.name, i] as const))('%s: both construct and record, and write nothing', (_name, i) => {
    expect(ts.get(key('silent', i))).toEqual({ docs: [] });
    expect(py.get(key('silent', i))).toEqual({ docs: [] });
  });

  test.each(fixtures.rejected.map((c, i) => [c.field, [...JSON.stringify(c.request)].slice(0, 50).join(""), i] as const))(
    '%s: %s is rejected by both, naming the field',
    (field, _request, i) => {
      const a = ts.get(key('rejected', i))!;
      const b = py.get(key('rejected', i))!;
      expect(a).toEqual({ error: expect.stringMatching(/^(TypeError|RangeError)$/), message: expect.stringContaining(`${field} must`) });
      expect(b).toEqual({ error: expect.stringMatching(/^(TypeError|ValueError)$/), message: expect.stringContaining(`${pythonName[field]} must`) });
    },
  );

  test.each(fixtures.rejectedOptions.map((c, i) => [c.option, JSON.stringify(c.options), i] as const))(
    'option %s: %s is rejected by both',
    (option, _options, i) => {
      const a = ts.get(key('rejectedOptions', i))!;
      const b = py.get(key('rejectedOptions', i))!;
      expect(a).toEqual({ error: 'Error', message: expect.stringContaining(option) });
      expect(b).toEqual({ error: 'ValueError', message: expect.stringContaining(pythonName[option]) });
    },
  );

  test('the fixtures cover every metric and both document kinds', () => {
    const docs = [...ts.values()].flatMap((o) => ('docs' in o ? o.docs : []));
    const names = new Set(docs.flatMap((d) => d._aws.CloudWatchMetrics.flatMap((m) => m.Metrics.map((x) => x.Name))));
    expect([...names].sort()).toEqual(Object.values(contract.metrics).map((m) => m.name).sort());
    const sets = new Set(docs.flatMap((d) => d._aws.CloudWatchMetrics.flatMap((m) => m.Dimensions.map((s) => s.join(',')))));
    expect([...sets].sort()).toEqual(Object.values(contract.documents).map((d) => d.dimensions.join(',')).sort());
  });
});
