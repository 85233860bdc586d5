/**
 * Which judged guards hold a step as suspect (lambda/shared/judge/run.ts suspectGuards): evidence
 * above 1 without firing, from minutes that carried information.
 */
import { suspectGuards } from '../../../../lambda/shared/judge/run';
import type { GuardVerdict } from '../../../../lambda/shared/judge/verdict';

const verdict = (name: string, log10Evidence: number, over: Partial<GuardVerdict> = {}): GuardVerdict =>
  ({ name, test: 'rate', alpha: 0.0027, threshold: 2.564, log10Evidence, worse: false, minutes: 10, summary: '', ...over }) as GuardVerdict;

test('evidence above 1 is suspect; at or below 1, firing, undecided or without an informative minute is not', () => {
  const got = suspectGuards([
    verdict('ErrorRateVsStable', 0.19),
    verdict('LatencyVsStable', -0.4),
    // Every minute without a block in either version: the detector sits at exactly 1.
    verdict('GuardrailBlockRateVsStable', 0, { minutes: 0 }),
    verdict('BedrockGuardrailBlockRateVsStable', 0),
    verdict('TokensPerRequestVsStable', 3.1, { worse: true }),
    verdict('ResponseLengthVsStable', 0.5, { undecided: 'no reference from stable yet' }),
    verdict('PredictionShift', 0.3, { minutes: 0 }),
  ]);
  expect(got).toEqual([{ name: 'ErrorRateVsStable', log10Evidence: 0.19, threshold: 2.564 }]);
});
