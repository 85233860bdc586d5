import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** Where `npm run bundle` (and `npm install`, through `prepare`) writes the prebuilt handlers. */
export const HANDLERS_DIR = path.resolve(__dirname, '..', '..', 'assets', 'handlers');
const PACKAGED_HANDLERS_DIR = path.resolve(__dirname, '..', '..', '..', 'assets', 'handlers');

/** The prebuilt bundle of one of the stack's functions (`steps`, `release`): consumers need no bundler and no Docker. */
export function handlerCode(name: string): lambda.Code {
  const dir = [HANDLERS_DIR, PACKAGED_HANDLERS_DIR].map((d) => path.join(d, name)).find((d) => fs.existsSync(path.join(d, 'index.mjs')));
  if (!dir) {
    throw new Error(
      `cdk-model-canary: the bundled handler "${name}" is missing under ${HANDLERS_DIR}. Run "npm run bundle" (npm install runs it through "prepare").`,
    );
  }
  return lambda.Code.fromAsset(dir);
}
