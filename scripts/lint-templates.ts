/**
 * cfn-lint on what this library synthesizes: the example app (bin/) and the variants app
 * (test/lint/variants-app.ts), at every rule level (errors, warnings and the informational rules,
 * which cfn-lint leaves out by default). cfn-lint skips a state machine whose DefinitionString is an
 * Fn::Join, so each definition is first resolved to a JSON string in a copy of the template
 * (placeholder ARNs for its references) and E3601 checks it against the States Language schema.
 * A copy with a broken definition is linted alongside: if E3601 does not report it, definitions
 * are not being checked and the run fails. `npm run lint:templates`; CI runs it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { ExampleStack } from '../bin/example-stack';
import { variantsApp } from '../test/lint/variants-app';

/** Rules left out, each with why. Everything else fails the run, informational rules included. */
export const IGNORED: Record<string, string> = {
  W3005: "redundant DependsOn: CDK's own output (it adds DependsOn that a Ref or GetAtt already implies)",
  I1022: "Fn::Join with an empty delimiter instead of Fn::Sub: how CDK renders every token inside a string",
};

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const PSEUDO: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com' };

/** A placeholder of the right shape for a reference inside a definition (what CloudFormation would put there). */
function placeholder(template: Template, value: unknown): string {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]] };
  if (v['Fn::Join']) return v['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : placeholder(template, p))).join(v['Fn::Join'][0]);
  if (typeof v.Ref === 'string') {
    if (PSEUDO[v.Ref]) return PSEUDO[v.Ref];
    const type = template.Resources[v.Ref]?.Type;
    if (type === 'AWS::SNS::Topic') return `arn:aws:sns:${REGION}:${ACCOUNT}:${v.Ref}`;
    if (type === 'AWS::Lambda::Version') return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${v.Ref}:1`;
    return v.Ref; // a name (functions, endpoints, parameters)
  }
  if (Array.isArray(v['Fn::GetAtt'])) {
    const [id, attribute] = v['Fn::GetAtt'];
    const type = template.Resources[id]?.Type ?? '';
    if (attribute !== 'Arn') return `${id}-${attribute}`;
    if (type === 'AWS::Lambda::Function') return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
    if (type === 'AWS::StepFunctions::StateMachine') return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${id}`;
    const service = type.split('::')[1]?.toLowerCase() ?? 'unknown';
    return `arn:aws:${service}:${REGION}:${ACCOUNT}:${id}`;
  }
  throw new Error(`lint-templates: a state machine definition holds ${JSON.stringify(value).slice(0, 80)}, which has no placeholder: add one`);
}

/**
 * A copy of the template with every Fn::Join DefinitionString resolved to its JSON string; throws
 * when a definition does not parse (a placeholder in the wrong place). Returns how many it resolved.
 */
export function resolveDefinitions(template: Template): { template: Template; resolved: number } {
  const copy = structuredClone(template);
  let resolved = 0;
  for (const resource of Object.values(copy.Resources)) {
    const definition = resource.Properties?.DefinitionString;
    if (resource.Type !== 'AWS::StepFunctions::StateMachine' || typeof definition !== 'object' || definition === null) continue;
    const text = placeholder(copy, definition);
    JSON.parse(text); // a placeholder must not break the JSON it sits in
    resource.Properties!.DefinitionString = text;
    resolved++;
  }
  return { template: copy, resolved };
}

function synthesize(outdir: string): Record<string, Template> {
  // cdk.json's context (the feature flags), as `cdk synth` gives it to bin/app.ts.
  const context = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')).context;
  const example = new App({ outdir: path.join(outdir, 'example'), context });
  new ExampleStack(example, 'ModelCanaryExample');
  const variants = variantsApp(new App({ outdir: path.join(outdir, 'variants'), context }));
  const templates: Record<string, Template> = {};
  for (const app of [example, variants]) {
    for (const stack of app.synth().stacks) templates[stack.stackName] = stack.template as Template;
  }
  return templates;
}

/** The first state machine's definition with a state of a type that does not exist: E3601 must say so. */
function brokenCopy(template: Template): Template {
  const copy = structuredClone(template);
  const machine = Object.values(copy.Resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine')!;
  const definition = JSON.parse(machine.Properties!.DefinitionString as string);
  definition.States[definition.StartAt].Type = 'Teleport';
  machine.Properties!.DefinitionString = JSON.stringify(definition);
  return copy;
}

function main(): number {
  const started = Date.now();
  const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    console.error(
      'lint-templates: cfn-lint is not installed (or not on PATH). Install it with `pip install cfn-lint` (this project is ' +
        'checked with 1.51); the CI image has it in its pyenv python.',
    );
    return 1;
  }
  // The example's model function is the bundle `npm run build` (or `npm run bundle`) writes.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (!fs.existsSync(path.join(__dirname, '..', 'assets', 'example-models', 'sentiment-model', 'index.js'))) {
    console.error('lint-templates: assets/example-models/ is missing: run `npm run bundle` first');
    return 1;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lint-templates-'));
  try {
    const files: string[] = [];
    const templates = synthesize(path.join(work, 'cdk.out'));
    for (const [name, template] of Object.entries(templates)) {
      const { template: resolvedTemplate, resolved } = resolveDefinitions(template);
      if (resolved === 0) throw new Error(`lint-templates: ${name} has no state machine definition to check`);
      const file = path.join(work, `${name}.template.json`);
      fs.writeFileSync(file, JSON.stringify(resolvedTemplate, null, 1));
      files.push(file);
      console.log(`lint-templates: ${name}: ${Object.keys(template.Resources).length} resources, ${resolved} state machine definitions resolved`);
    }
    const canary = path.join(work, 'broken-definition.template.json');
    fs.writeFileSync(canary, JSON.stringify(brokenCopy(resolveDefinitions(Object.values(templates)[0]).template), null, 1));

    const args = ['--format', 'parseable', '--include-checks', 'I', '--ignore-checks', ...Object.keys(IGNORED), '--', ...files, canary];
    const run = spawnSync('cfn-lint', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const findings = run.stdout.split('\n').filter((l) => l.trim() !== '');
    const canaryFindings = findings.filter((l) => l.startsWith(canary));
    const real = findings.filter((l) => !l.startsWith(canary)).map((l) => path.basename(l));
    console.log(`lint-templates: cfn-lint ${version.stdout.trim().split(' ').pop()}, rules ignored: ${Object.entries(IGNORED).map(([id, why]) => `${id} (${why})`).join('; ')}`);
    if (run.stderr.trim()) console.error(run.stderr.trim());
    if (!canaryFindings.some((l) => l.includes(':E3601:'))) {
      console.error(`lint-templates: the broken definition was not reported (E3601): cfn-lint is not checking state machine definitions. It said: ${canaryFindings.join(' | ') || 'nothing'}`);
      return 1;
    }
    if (real.length > 0) {
      console.error(`lint-templates: ${real.length} finding(s):\n${real.join('\n')}`);
      return 1;
    }
    console.log(`lint-templates: no errors, warnings or informational findings in ${files.length} templates (${Math.round((Date.now() - started) / 1000)} s)`);
    return 0;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  process.exitCode = main();
}
