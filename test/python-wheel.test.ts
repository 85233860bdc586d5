/**
 * The Python helper as a wheel (issue 18 §3): `npm run build` builds it offline into assets/python/
 * (shipped in the npm package) and the example's SageMaker model archive installs it through
 * code/requirements.txt. The consumer test installs the packed tarball's wheel into a venv.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildWheel, buildExampleArchive, missingTooling, HOW } = require('../scripts/build-wheel.js');

const root = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const WHEEL = `cdk_model_canary_runtime-${pkg.version}-py3-none-any.whl`;

// Without Debian's python3-setuptools/python3-wheel the build leaves the wheel out with a warning;
// CI (CDK_MODEL_CANARY_REQUIRE_WHEEL=1) requires it, so there these tests never skip.
const missing: string | undefined = missingTooling();
const required = process.env.CDK_MODEL_CANARY_REQUIRE_WHEEL === '1';
const withTooling = missing && !required ? test.skip : test;
if (missing && !required) console.warn(`python-wheel.test.ts skipped: ${missing}. ${HOW}`);

/** Runs Python code with arguments; stdout. */
function py(code: string, ...args: string[]): string {
  return execFileSync('python3', ['-c', code, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1' } });
}

let work: string;
let wheel: string;
beforeAll(() => {
  if (missing && required) throw new Error(`CDK_MODEL_CANARY_REQUIRE_WHEEL=1 but ${missing}. ${HOW}`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'wheel-test-'));
  if (!missing) wheel = buildWheel(path.join(work, 'dist'));
}, 60_000);
afterAll(() => work && fs.rmSync(work, { recursive: true, force: true }));

withTooling('the wheel is named and versioned as the npm package, and holds the contract and py.typed', () => {
  expect(path.basename(wheel)).toBe(WHEEL);
  const listing = JSON.parse(py(`
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
meta = z.read("cdk_model_canary_runtime-${pkg.version}.dist-info/METADATA").decode()
print(json.dumps({"names": z.namelist(), "version": [l for l in meta.splitlines() if l.startswith("Version: ")][0],
                  "contract": z.read("cdk_model_canary_runtime/emf_contract.json").decode(),
                  "init": z.read("cdk_model_canary_runtime/__init__.py").decode()}))`, wheel));
  expect(listing.version).toBe(`Version: ${pkg.version}`);
  expect(listing.names).toEqual(expect.arrayContaining(['cdk_model_canary_runtime/py.typed', 'cdk_model_canary_runtime/signals.py', 'cdk_model_canary_runtime/put_metric_data.py']));
  expect(listing.names.filter((n: string) => /tests|__pycache__/.test(n))).toEqual([]);
  expect(listing.contract).toBe(fs.readFileSync(path.join(root, 'runtime', 'emf-contract.json'), 'utf8'));
  expect(listing.init).toContain(`__version__ = "${pkg.version}"`);
});

withTooling('the same sources give the same bytes (timestamps pinned)', () => {
  const again = buildWheel(path.join(work, 'again'));
  expect(fs.readFileSync(again, 'base64')).toBe(fs.readFileSync(wheel, 'base64'));
});

withTooling("the example's model archive: code/requirements.txt names the wheel beside it, and the model runs with it installed", () => {
  const archive = buildExampleArchive(wheel, path.join(work, 'model.tar.gz'));
  const model = path.join(work, 'opt-ml-model');
  py('import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])', archive, model);
  expect(fs.readdirSync(path.join(model, 'code')).sort()).toEqual([WHEEL, 'inference.py', 'requirements.txt'].sort());
  const requirements = fs.readFileSync(path.join(model, 'code', 'requirements.txt'), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  expect(requirements).toEqual([`/opt/ml/model/code/${WHEEL}`]);
  expect(fs.readFileSync(path.join(model, 'code', 'inference.py'), 'utf8')).toBe(fs.readFileSync(path.join(root, 'bin', 'model', 'inference.py'), 'utf8'));

  // As SageMaker's toolkit would (pip install -r), with /opt/ml/model here, offline, into a folder
  // of its own (the consumer test installs the packed wheel into a venv).
  const site = path.join(work, 'site');
  const local = path.join(work, 'requirements.txt');
  fs.writeFileSync(local, requirements.map((l) => l.replace('/opt/ml/model', model)).join('\n'));
  execFileSync('python3', ['-m', 'pip', 'install', '--no-index', '--quiet', '--disable-pip-version-check', '--target', site, '-r', local], { encoding: 'utf8' });
  const script = `
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("inference", sys.argv[1])
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
import cdk_model_canary_runtime as r
print(json.dumps({"answer": m.predict_fn("a b c", m.model_fn(sys.argv[2])), "from": r.__file__, "version": r.__version__}))`;
  const run = spawnSync('python3', ['-c', script, path.join(model, 'code', 'inference.py'), model], { encoding: 'utf8', env: { PATH: process.env.PATH, PYTHONPATH: site } });
  expect(run.status).toBe(0);
  const out = JSON.parse(run.stdout);
  expect(out.answer).toEqual({ label: 'summary', summary_text: 'a b c' });
  expect(out.from).toBe(path.join(site, 'cdk_model_canary_runtime', '__init__.py')); // the installed wheel, not the sources
  expect(out.version).toBe(pkg.version);
}, 120_000);

test("the model-code guide's recipe names this version's wheel", () => {
  const readme = fs.readFileSync(path.join(root, 'docs', 'model-code.md'), 'utf8');
  expect(readme).toContain(`requirements.txt           /opt/ml/model/code/${WHEEL}`);
  expect(readme).toContain(`node_modules/cdk-model-canary/assets/python/${WHEEL}`);
});

test('without the tooling, a build that requires the wheel fails saying how to get it', () => {
  const run = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-wheel.js')], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, CDK_MODEL_CANARY_WHEEL_PYTHON: '/nonexistent/python3', CDK_MODEL_CANARY_REQUIRE_WHEEL: '1' },
  });
  expect(run.status).toBe(1);
  expect(run.stderr).toContain('/nonexistent/python3 is not there');
  expect(run.stderr).toContain('apt-get install -y python3-setuptools python3-wheel');
});
