import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { App, Stack } from 'aws-cdk-lib';
import { ACCOUNT, PARTITION, REGION } from '../core/account';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly [key: string]: unknown;
}

export interface SynthesizedStack {
  readonly stackName: string;
  readonly template: CfnTemplate;
}

/**
 * Synthesizes one stack of a CDK app without CloudFormation validation or asset bundling (both
 * cost seconds and change nothing the simulator reads).
 */
export function synthesizeStack(build: (app: App) => Stack): SynthesizedStack {
  const previous = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-model-canary-sim-'));
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { App: CdkApp } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
    const app = new CdkApp({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = build(app);
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as CfnTemplate;
    return { stackName: stack.stackName, template: JSON.parse(JSON.stringify(template)) as CfnTemplate };
  } finally {
    if (previous === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = previous;
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** The example app as it is, or with the evidence-driven schedule on its Lambda canary (the bench's model-canary-evidence). */
export type ExampleVariant = 'default' | 'evidence';
const exampleCache = new Map<ExampleVariant, SynthesizedStack>();

const ROOT = path.resolve(__dirname, '..', '..', '..');
/** What the example stack's template is made of: a change to any of these files is a new template. */
const SOURCES = ['bin', 'lib', 'runtime', 'lambda'];

/** A hash of every source file the template depends on, and of the aws-cdk-lib version. */
function sourceHash(): string {
  const hash = crypto.createHash('sha256');
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(ts|js|json)$/.test(entry.name)) {
        hash.update(path.relative(ROOT, full));
        hash.update(fs.readFileSync(full, 'utf8'));
      }
    }
  };
  for (const dir of SOURCES) walk(path.join(ROOT, dir));
  try {
    hash.update(String((JSON.parse(fs.readFileSync(require.resolve('aws-cdk-lib/package.json'), 'utf8')) as { version: string }).version));
  } catch {
    hash.update('unknown-cdk');
  }
  return hash.digest('hex').slice(0, 24);
}

/**
 * The example app's stack (bin/example-stack.ts), synthesized once per process and cached on disk
 * by a hash of its sources (lib/, bin/, runtime/, lambda/ and the aws-cdk-lib version), so test
 * files after the first skip the 1-2 s synthesis. SIM_NO_CACHE=1 turns the disk cache off.
 */
export function synthesizeExampleStack(variant: ExampleVariant = 'default'): SynthesizedStack {
  let cached = exampleCache.get(variant);
  if (!cached) {
    const useDisk = process.env.SIM_NO_CACHE !== '1';
    const suffix = variant === 'default' ? '' : `-${variant}`;
    const file = useDisk ? path.join(os.tmpdir(), 'cdk-model-canary-sim', `example${suffix}-${sourceHash()}.json`) : undefined;
    if (file && fs.existsSync(file)) {
      try {
        cached = JSON.parse(fs.readFileSync(file, 'utf8')) as SynthesizedStack;
      } catch {
        cached = undefined;
      }
    }
    if (!cached) {
      // Loaded lazily: only callers that want the example app pay for importing it.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { ExampleStack } = require('../../../bin/example-stack') as typeof import('../../../bin/example-stack');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { RolloutSchedule } = require('../../../lib') as typeof import('../../../lib');
      const props = variant === 'evidence' ? { lambdaSchedule: RolloutSchedule.EVIDENCE_10_50_100 } : {};
      cached = synthesizeStack((app) => new ExampleStack(app, 'ModelCanaryExample', props));
      if (file) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, JSON.stringify(cached));
        fs.renameSync(tmp, file);
      }
    }
    exampleCache.set(variant, cached);
  }
  return { stackName: cached.stackName, template: JSON.parse(JSON.stringify(cached.template)) as CfnTemplate };
}

/** Answers Ref and Fn::GetAtt for one logical id; the simulated world knows the physical ids. */
export interface PhysicalIds {
  ref(logicalId: string, resource: CfnResource): string;
  getAtt(logicalId: string, attribute: string, resource: CfnResource): unknown;
}

/** Resolves CloudFormation intrinsics the way CloudFormation would, given the physical ids. */
export class IntrinsicResolver {
  constructor(
    private readonly template: CfnTemplate,
    private readonly stackName: string,
    private readonly ids: PhysicalIds,
  ) {}

  public resolve<T = unknown>(value: unknown): T {
    return this.walk(value) as T;
  }

  private pseudo(name: string): unknown {
    switch (name) {
      case 'AWS::Partition':
        return PARTITION;
      case 'AWS::Region':
        return REGION;
      case 'AWS::AccountId':
        return ACCOUNT;
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::StackId':
        return `arn:${PARTITION}:cloudformation:${REGION}:${ACCOUNT}:stack/${this.stackName}/00000000-0000-0000-0000-000000000000`;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::NoValue':
        return NO_VALUE;
      default:
        return undefined;
    }
  }

  private refOf(name: string): unknown {
    const pseudo = this.pseudo(name);
    if (pseudo !== undefined) return pseudo;
    const resource = this.template.Resources[name];
    if (!resource) {
      const parameters = (this.template.Parameters ?? {}) as Record<string, { Default?: unknown }>;
      if (parameters[name]) return parameters[name].Default;
      throw new Error(`Ref to unknown logical id ${name}`);
    }
    return this.ids.ref(name, resource);
  }

  private getAtt(logicalId: string, attribute: string): unknown {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`Fn::GetAtt on unknown logical id ${logicalId}`);
    return this.ids.getAtt(logicalId, attribute, resource);
  }

  private walk(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.walk(v)).filter((v) => v !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1) {
      const [key] = keys;
      const arg = obj[key];
      switch (key) {
        case 'Ref':
          return this.refOf(arg as string);
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split(/\.(.+)/);
          return this.getAtt(id, attr);
        }
        case 'Fn::Join': {
          const [delimiter, parts] = arg as [string, unknown[]];
          return (this.walk(parts) as unknown[]).map((p) => String(p)).join(delimiter);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown];
          return (this.walk(list) as unknown[])[Number(this.walk(index))];
        }
        case 'Fn::Split': {
          const [delimiter, source] = arg as [string, unknown];
          return String(this.walk(source)).split(delimiter);
        }
        case 'Fn::Sub':
          return this.sub(arg);
        case 'Fn::Base64':
          return Buffer.from(String(this.walk(arg))).toString('base64');
        case 'Fn::GetAZs':
          return ['a', 'b', 'c'].map((z) => `${REGION}${z}`);
        default:
          if (key.startsWith('Fn::')) throw new Error(`Intrinsic ${key} is not supported by the simulator`);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      const resolved = this.walk(v);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  }

  private sub(arg: unknown): string {
    const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [arg as string, {}];
    return text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (name in vars) return String(this.walk(vars[name]));
      if (name.includes('.') && !name.startsWith('AWS::')) {
        const [id, attr] = name.split(/\.(.+)/);
        return String(this.getAtt(id, attr));
      }
      const value = this.refOf(name);
      if (value === undefined) throw new Error(`Fn::Sub cannot resolve ${whole}`);
      return String(value);
    });
  }
}

const NO_VALUE = Symbol('AWS::NoValue');

/** Logical ids of the resources of one type. */
export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}
