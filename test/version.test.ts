/**
 * One version everywhere (issue 18 §9): the npm package, the CHANGELOG's newest heading, the Python
 * helper, and the file names the README's install instructions use before publication.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const read = (f: string) => fs.readFileSync(path.join(root, f), 'utf8');
const version: string = JSON.parse(read('package.json')).version;

test('the package is 0.2.0 or later: the CHANGELOG lists breaking changes after 0.1.0', () => {
  expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  expect(version).not.toBe('0.1.0');
  expect(JSON.parse(read('package-lock.json')).version).toBe(version);
});

test("the CHANGELOG's newest heading is this version", () => {
  const headings = [...read('CHANGELOG.md').matchAll(/^## (.+)$/gm)].map((m) => m[1]);
  expect(headings[0]).toBe(version);
});

test('the Python helper carries the same version', () => {
  expect(read('python/pyproject.toml')).toMatch(new RegExp(`^version = "${version.replace(/\./g, '\\.')}"$`, 'm'));
  expect(read('python/src/cdk_model_canary_runtime/__init__.py')).toContain(`__version__ = "${version}"`);
});

test("the README's install instructions name the tarball npm pack writes, and a git URL", () => {
  const install = read('README.md').split(/^## /m).find((s) => s.startsWith('Install'))!;
  expect(install).toContain(`npm install ./cdk-model-canary/cdk-model-canary-${version}.tgz aws-cdk-lib constructs`);
  expect(install).toContain('npm pack');
  expect(install).toMatch(/npm install git\+https:\/\/\S+\.git aws-cdk-lib constructs/);
});
