/**
 * A user's synthesized app (a cloud assembly: `cdk synth` writes it to cdk.out) as the simulator
 * reads it: manifest.json lists the stack artifacts and their template files; nested assemblies
 * (stages) are folders of their own with a manifest.
 * https://docs.aws.amazon.com/cdk/v2/guide/apps.html#apps-cloud-assembly
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CfnTemplate, SynthesizedStack } from '../aws/cloudformation/template';
import { handlerOf } from './handlers';
import { isCustomResource } from './stack-resources';

/** A canary of a template: its release resource's CanaryName and Target kind. */
export interface CanaryInTemplate {
  readonly stackName: string;
  readonly canaryName: string;
  readonly kind: string;
}

export interface LoadedCanary {
  readonly stack: SynthesizedStack;
  readonly canaryName: string;
  readonly kind: string;
  /** Every canary of every stack of the assembly. */
  readonly found: readonly CanaryInTemplate[];
}

/** Bad input from the command line (no assembly, an unknown canary): the message says what to change. */
export class AssemblyError extends Error {
  public readonly name = 'AssemblyError';
  /** The app is there, the canary asked for is not (or is not the only one). */
  constructor(message: string, public readonly notFound = false) {
    super(message);
  }
}

interface Artifact {
  readonly type?: string;
  readonly displayName?: string;
  readonly properties?: { readonly templateFile?: string; readonly stackName?: string; readonly directoryName?: string };
}

/** The stacks of an assembly and of its nested assemblies, with their templates. */
export function assemblyStacks(dir: string): SynthesizedStack[] {
  const manifestFile = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) {
    throw new AssemblyError(`${dir} is not a synthesized CDK app (no manifest.json there): run \`cdk synth\` first, or give --app <the folder cdk synth writes, cdk.out by default>`);
  }
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { artifacts?: Record<string, Artifact> };
  const stacks: SynthesizedStack[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
      const template = JSON.parse(fs.readFileSync(path.join(dir, artifact.properties.templateFile), 'utf8')) as CfnTemplate;
      stacks.push({ stackName: artifact.properties.stackName ?? id, template: { ...template, Resources: template.Resources ?? {} } });
    } else if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      stacks.push(...assemblyStacks(path.join(dir, artifact.properties.directoryName)));
    }
  }
  return stacks;
}

/** The canaries of one template: release custom resources with a CanaryName and a Target kind. */
export function canariesOf(stack: SynthesizedStack): CanaryInTemplate[] {
  return Object.values(stack.template.Resources).flatMap((r) => {
    const p = r.Properties ?? {};
    const kind = (p.Target as { kind?: unknown } | undefined)?.kind;
    if (!isCustomResource(r) || typeof p.CanaryName !== 'string' || typeof kind !== 'string') return [];
    return [{ stackName: stack.stackName, canaryName: p.CanaryName, kind }];
  });
}

/**
 * The stack that holds the canary `canaryName` (`stackName` picks one when several stacks have a
 * canary of that name). Without a name: the only canary of the app.
 */
export function loadCanary(dir: string, canaryName: string | undefined, stackName?: string): LoadedCanary {
  const stacks = assemblyStacks(dir);
  const found = stacks.flatMap(canariesOf);
  const list = (cs: readonly CanaryInTemplate[]) => cs.map((c) => `${c.canaryName} (stack ${c.stackName}, ${c.kind})`).join(', ');
  if (found.length === 0) {
    throw new AssemblyError(`${dir} has no cdk-model-canary canary (stacks: ${stacks.map((s) => s.stackName).join(', ') || 'none'}): synthesize the app that has one, or give --app <its cdk.out>`);
  }
  const named = canaryName === undefined ? found : found.filter((c) => c.canaryName === canaryName);
  const matching = stackName === undefined ? named : named.filter((c) => c.stackName === stackName);
  if (matching.length === 0) {
    const what = [canaryName === undefined ? 'canary' : `canary ${canaryName}`, stackName === undefined ? '' : `in stack ${stackName}`].filter((x) => x).join(' ');
    throw new AssemblyError(`no ${what} in ${dir}: give --canary${stackName === undefined ? '' : ' and --stack'} from these: ${list(found)}`, true);
  }
  if (matching.length > 1) {
    throw new AssemblyError(
      canaryName === undefined
        ? `${dir} has ${matching.length} canaries: give --canary <name> (found: ${list(matching)})`
        : `${matching.length} stacks have a canary named ${canaryName}: give --stack <stack> (found: ${list(matching)})`,
      true,
    );
  }
  const chosen = matching[0];
  const stack = stacks.find((s) => s.stackName === chosen.stackName)!;
  for (const r of Object.values(stack.template.Resources)) {
    if (r.Type === 'AWS::Lambda::Function' && handlerOf(r.Properties?.Description)?.legacy) {
      throw new AssemblyError(`stack ${chosen.stackName} was synthesized with cdk-model-canary 0.1 (one function per step): synthesize it again with the installed version, then simulate`);
    }
  }
  return { stack: { stackName: stack.stackName, template: JSON.parse(JSON.stringify(stack.template)) as CfnTemplate }, canaryName: chosen.canaryName, kind: chosen.kind, found };
}
