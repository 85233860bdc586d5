import type { Construct } from 'constructs';

/**
 * cdk-nag (AwsSolutions) findings that are deliberate, acknowledged next to the resource with the
 * exact finding id and a reason a reviewer can check. Uses aws-cdk-lib's `Validations`, so the
 * library does not depend on cdk-nag at run time.
 */
export function acknowledgeFindings(_controller: Construct): void {
  // Filled in by the cdk-nag review (test/nag.test.ts).
}
