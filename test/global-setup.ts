// The constructs load prebuilt handler bundles; build them once per test run (about a second).
export default async function globalSetup(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { bundleHandlers } = require('../scripts/bundle-handlers.js');
  await bundleHandlers({ quiet: true });
}
