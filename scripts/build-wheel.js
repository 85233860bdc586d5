#!/usr/bin/env node
// Builds the Python runtime helper (python/) into assets/python/<name>-<version>-py3-none-any.whl,
// which the npm package ships (PyPI is out of reach here). Offline, through PEP 517 with a Python
// that has setuptools and wheel: Debian's /usr/bin/python3 with python3-setuptools and python3-wheel
// (the machine image's pyenv python has no `wheel`). CDK_MODEL_CANARY_WHEEL_PYTHON picks another.
// Without one, the build warns and leaves the wheel out, unless CDK_MODEL_CANARY_REQUIRE_WHEEL=1
// (CI sets it), which makes it an error: a package without its wheel is never published from CI.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'assets', 'python');
const HOW =
  'Install a Python with setuptools and wheel: on Debian/Ubuntu `sudo apt-get install -y python3-setuptools python3-wheel` ' +
  '(then /usr/bin/python3 has both), or point CDK_MODEL_CANARY_WHEEL_PYTHON at any python3 where `import setuptools, wheel` works.';

function wheelPython() {
  return process.env.CDK_MODEL_CANARY_WHEEL_PYTHON || '/usr/bin/python3';
}

/** Why the wheel cannot be built here, or undefined when it can. */
function missingTooling(python = wheelPython()) {
  const probe = spawnSync(python, ['-c', 'import setuptools.build_meta, wheel'], { encoding: 'utf8' });
  if (probe.error) return `${python} is not there (${probe.error.code})`;
  if (probe.status !== 0) return `${python} cannot import setuptools and wheel (${probe.stderr.trim().split('\n').pop()})`;
  return undefined;
}

/** Builds the wheel into `target` (replacing any wheel there); returns its path. */
function buildWheel(target = outDir, python = wheelPython()) {
  // From a copy: setuptools writes build/ and *.egg-info beside the sources.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-model-canary-wheel-'));
  try {
    for (const f of ['pyproject.toml', 'README.md', 'src']) {
      fs.cpSync(path.join(root, 'python', f), path.join(work, f), { recursive: true, filter: (s) => !/__pycache__|\.egg-info$/.test(s) });
    }
    const dist = path.join(work, 'dist');
    const script = 'import sys; from setuptools import build_meta as b; print(b.build_wheel(sys.argv[1]))';
    const run = spawnSync(python, ['-c', script, dist], {
      cwd: work,
      encoding: 'utf8',
      // Same bytes from the same sources: the zip's timestamps come from this, not the clock.
      env: { ...process.env, SOURCE_DATE_EPOCH: process.env.SOURCE_DATE_EPOCH || '315532800', PYTHONDONTWRITEBYTECODE: '1' },
    });
    if (run.status !== 0) throw new Error(`building the Python wheel failed:\n${run.stdout}${run.stderr}`);
    const name = run.stdout.trim().split('\n').pop();
    fs.mkdirSync(target, { recursive: true });
    for (const old of fs.readdirSync(target).filter((f) => f.endsWith('.whl'))) fs.rmSync(path.join(target, old));
    fs.copyFileSync(path.join(dist, name), path.join(target, name));
    return path.join(target, name);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The example's SageMaker model archive, as docs/model-code.md's recipe lays it out: code/inference.py,
 * code/requirements.txt naming the wheel, and the wheel. Same bytes from the same inputs.
 */
function buildExampleArchive(wheel, target = path.join(root, 'assets', 'example-models', 'summarizer', 'model.tar.gz'), python = wheelPython()) {
  const files = {
    'code/inference.py': path.join(root, 'bin', 'model', 'inference.py'),
    'code/requirements.txt': path.join(root, 'bin', 'model', 'requirements.txt'),
    [`code/${path.basename(wheel)}`]: wheel,
  };
  const script = `
import gzip, io, json, sys, tarfile
files, target = json.loads(sys.argv[1]), sys.argv[2]
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
    for name in sorted(files):
        data = open(files[name], "rb").read()
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = len(data), 0o644, 315532800
        tar.addfile(info, io.BytesIO(data))
with open(target, "wb") as out, gzip.GzipFile(fileobj=out, mode="wb", mtime=315532800, filename="") as gz:
    gz.write(raw.getvalue())
`;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const run = spawnSync(python, ['-c', script, JSON.stringify(files), target], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`building the example model archive failed: ${run.stderr}`);
  return target;
}

module.exports = { buildWheel, buildExampleArchive, missingTooling, outDir, HOW };

if (require.main === module) {
  const missing = missingTooling();
  if (missing) {
    const required = process.env.CDK_MODEL_CANARY_REQUIRE_WHEEL === '1';
    console[required ? 'error' : 'warn'](
      `${required ? 'error' : 'warning'}: the Python helper's wheel (assets/python/) is ${required ? 'required' : 'left out of this build'}: ${missing}. ${HOW}`,
    );
    if (required) process.exit(1);
    fs.rmSync(outDir, { recursive: true, force: true }); // no stale wheel of older sources
  } else {
    const wheel = buildWheel();
    const archive = buildExampleArchive(wheel);
    console.log(`built ${path.relative(root, wheel)} and ${path.relative(root, archive)}`);
  }
}
