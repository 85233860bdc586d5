import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');

describe('handler bundles', () => {
  // The one test that bundles for real (global-setup bundles too, but this checks what it wrote).
  test('every handler is bundled into a self-contained file that exports handler', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { bundleHandlers } = require('../scripts/bundle-handlers.js');
    // Into a folder of its own: other test files read assets/handlers while this runs.
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundled-'));
    const names: string[] = await bundleHandlers({ quiet: true, outDir });
    const sources = fs.readdirSync(path.join(root, 'lambda', 'handlers')).filter((f) => f.endsWith('.ts'));
    expect(names.sort()).toEqual(sources.map((f) => path.basename(f, '.ts')).sort());

    // Load each bundle from a folder with no node_modules: anything not bundled would fail to resolve.
    const isolated = fs.mkdtempSync(path.join(os.tmpdir(), 'bundles-'));
    for (const name of names) {
      const file = path.join(isolated, `${name}.js`);
      fs.copyFileSync(path.join(outDir, name, 'index.js'), file);
      const kind = execFileSync(process.execPath, ['-e', `process.stdout.write(typeof require(${JSON.stringify(file)}).handler)`], {
        cwd: isolated,
        env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      }).toString();
      expect({ name, kind }).toEqual({ name, kind: 'function' });
    }
  });
});
