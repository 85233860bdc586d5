/**
 * The installed CLI (the bundle the package's bin runs) on a machine without AWS set up: a missing
 * region or missing credentials say which flag or variable to set, and the AWS SDK's Node 20 notice
 * is not printed. No request leaves the machine (instance metadata is off, no credentials).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { explain } from '../../cli/errors';

const bin = path.resolve(__dirname, '..', '..', 'assets', 'cli', 'index.js');
let home: string;
beforeAll(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-home-')); // no ~/.aws
});
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: home, AWS_EC2_METADATA_DISABLED: 'true', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: run.status, stderr: run.stderr, stdout: run.stdout };
}

test('no region: exit 2, naming --region and AWS_REGION; no SDK notice', () => {
  const r = cli(['list']);
  expect(r.code).toBe(2);
  expect(r.stderr.trim()).toBe(
    "cdk-model-canary: no AWS region: give --region <region> (the canary's stack region) or set AWS_REGION, or set a region in the profile you use (--profile / AWS_PROFILE)",
  );
  expect(r.stderr).not.toMatch(/NodeVersionSupportWarning|AWS SDK for JavaScript/);
});

test('a region but no credentials: exit 5, naming --profile, AWS_PROFILE and the key variables', () => {
  const r = cli(['status', 'SentimentCanary', '--region', 'eu-west-1']);
  expect(r.code).toBe(5);
  expect(r.stderr).toMatch(/^cdk-model-canary: no AWS credentials: give --profile <name> or set AWS_PROFILE, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
});

test('a profile that does not exist is named, with how to check it', () => {
  const r = cli(['whoami', '--profile', 'ml-ops'], { AWS_REGION: 'eu-west-1' });
  expect(r.code).toBe(5);
  expect(r.stderr).toContain('no AWS credentials for the profile "ml-ops" (--profile / AWS_PROFILE)');
  expect(r.stderr).toContain('aws sso login --profile ml-ops');
});

test('--json: the same error as JSON for scripts', () => {
  const r = cli(['list', '--json']);
  expect(JSON.parse(r.stderr)).toEqual({ error: expect.stringMatching(/^no AWS region: give --region/), exitCode: 2 });
});

test('a denied call is still "not allowed" (the credentials work, the role lacks a permission)', () => {
  const denied = Object.assign(new Error('User is not authorized to perform: ssm:GetParametersByPath'), { name: 'AccessDeniedException' });
  expect(explain(denied)).toEqual({ message: expect.stringMatching(/^not allowed: User is not authorized/), exitCode: 5 });
});
