import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { ExampleStack } from '../bin/example-stack';

/**
 * cdk-nag (AwsSolutions) review of the example app: every finding is either fixed or acknowledged
 * next to its resource with a reason (lib/private/nag-acknowledgements.ts for the library,
 * bin/example-stack.ts for the example's own function). A new finding fails this test.
 */

interface Violation {
  ruleName: string;
  severity: string;
  violatingConstructs: { constructPath: string }[];
  acknowledgedId?: string;
  reason?: string;
  acknowledgedAt?: string;
}
interface PluginReport {
  pluginName: string;
  conclusion: string;
  violations: Violation[];
  suppressedViolations?: Violation[];
}

/** Synthesizes with cdk-nag; returns what synth threw (if anything) and CDK's validation report. */
function synthWithNag(build: (app: App) => void, outdir: string, builtinCloudFormationValidation?: boolean) {
  const app = new App({ outdir, ...(builtinCloudFormationValidation === undefined ? {} : { builtinCloudFormationValidation }) });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  build(app);
  let error: Error | undefined;
  try {
    app.synth();
  } catch (e) {
    error = e as Error;
  }
  const reportFile = path.join(outdir, 'validation-report.json');
  const reports: PluginReport[] = fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')).pluginReports : [];
  return { app, error, reports };
}

const describeViolation = (v: Violation) => `${v.ruleName} at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`;

describe('cdk-nag AwsSolutions review of the example app', () => {
  let result: ReturnType<typeof synthWithNag>;
  let outdir: string;
  let savedValidationEnv: string | undefined;

  beforeAll(() => {
    // CDK's built-in CloudFormation validation stays as it comes for this test (test/setup-env.ts turns it off).
    savedValidationEnv = process.env.CDK_VALIDATION;
    delete process.env.CDK_VALIDATION;
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nag-'));
    result = synthWithNag((app) => new ExampleStack(app, 'ModelCanaryExample'), outdir);
  });

  afterAll(() => {
    if (savedValidationEnv !== undefined) process.env.CDK_VALIDATION = savedValidationEnv;
    fs.rmSync(outdir, { recursive: true, force: true });
  });

  test('cdk-nag ran', () => {
    expect(result.reports.map((r) => r.pluginName)).toContain('AwsSolutions');
  });

  test('no finding is left unfixed and unacknowledged', () => {
    const open = result.reports.filter((r) => r.pluginName === 'AwsSolutions').flatMap((r) => r.violations.map(describeViolation));
    expect(open).toEqual([]);
    expect(result.error?.message).toBeUndefined();
  });

  test('every acknowledgement names a finding that exists, at or above its resource, with a reason', () => {
    const suppressed = result.reports.flatMap((r) => r.suppressedViolations ?? []);
    const used = new Set(suppressed.map((v) => `${v.acknowledgedAt} ${v.acknowledgedId}`));
    const declared = acknowledgementsIn(result.app);
    expect(declared.length).toBeGreaterThan(0);
    for (const ack of declared) {
      expect(ack.reason.length).toBeGreaterThan(30);
      // Stale acknowledgements (the finding went away, or the id is misspelt) hide nothing and mislead reviewers.
      expect(used).toContain(`${ack.path} ${ack.id}`);
    }
    for (const v of suppressed) expect(v.reason).toBeTruthy();
  });

  test('the acknowledged findings are the deliberate ones', () => {
    const suppressed = result.reports.flatMap((r) => r.suppressedViolations ?? []);
    // Only wildcard findings whose resource cannot be narrowed further; no managed policy, no outdated runtime.
    // plus kms:GenerateDataKey* that Topic.grantPublish adds on the topic's own key (the resource is that key's ARN).
    for (const v of suppressed) expect(v.ruleName).toMatch(/^AwsSolutions-IAM5\[(Resource::|Action::kms:GenerateDataKey\*\]$)/);
    // A canary's executions are named by its workflow's name ("ModelCanary-<stack>-<canary>", not a
    // reference: the shared steps role must not depend on the workflow, which invokes the steps function).
    const rules = suppressed.map((v) => v.ruleName.replace(/<[A-Za-z0-9]+\.(Arn|Name)>/g, '<id>').replace(/:execution:ModelCanary-[A-Za-z0-9_-]+:\*\]$/, ':execution:<workflow>:*]'));
    expect(rules).toEqual(
      expect.arrayContaining([
        'AwsSolutions-IAM5[Resource::*]', // GetMetricData; state machine log delivery and X-Ray
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<workflow>:*]',
        'AwsSolutions-IAM5[Resource::<id>:*]',
        'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      ]),
    );
  });
});

describe('the cdk-nag review can fail', () => {
  test('an unacknowledged finding makes synth fail with the rule id', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nag-control-'));
    try {
      const { error, reports } = synthWithNag(
        (app) => {
          const stack = new Stack(app, 'Control');
          new lambda.Function(stack, 'Old', {
            runtime: lambda.Runtime.NODEJS_20_X,
            handler: 'index.handler',
            code: lambda.Code.fromInline('exports.handler = async () => 1;'),
          });
        },
        outdir,
        false,
      );
      expect(error).toBeDefined();
      const open = reports.filter((r) => r.pluginName === 'AwsSolutions').flatMap((r) => r.violations.map(describeViolation));
      expect(open).toContain('AwsSolutions-L1 at Control/Old/Resource');
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});

/** Every `Validations.of(x).acknowledge()` in the tree, with the construct it was made on. */
function acknowledgementsIn(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id, reason }))),
  );
}
