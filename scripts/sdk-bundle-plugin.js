// An esbuild plugin that lets the AWS SDK clients' generated schemas tree-shake, so a step loads the
// schemas of the operations it calls rather than every schema of each client it uses. It rewrites
// three things, none changing a request or a result that our handlers read
// (test/scripts/sdk-bundle-plugin.test.ts sends every command the functions send, bundled with the
// plugin and without, to a local endpoint, and compares the two):
//  1. Schema traits written with computed keys (`{ [_hQ]: "Qualifier" }`, `_hQ` a string constant)
//     get the constant's literal key: esbuild keeps any object with a computed key, and with it
//     every schema that object's schema refers to.
//  2. Each client registers every error of its service when its schemas load (a module side
//     effect, so kept whole). For a client whose wire protocol names the error (JSON and REST-JSON
//     without query compatibility), only the errors the SDK documents for the commands the bundle
//     sends stay registered; another error arrives as the client's service exception with the
//     same name, message and $metadata, which is all our handlers read (lambda/shared/errors.ts).
//  3. A client's package.json, read for its version (the user agent), shrinks to name and version.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const SCHEMAS = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;
const CLIENT_PACKAGE = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]package\.json$/;
const COMMAND = /[\\/]@aws-sdk[\\/](client-[^\\/]+)[\\/]dist-es[\\/]commands[\\/](\w+)Command\.js$/;

/**
 * The commands a build sends, by client package (`{ 'client-ssm': Set { 'GetParameter' } }`): the
 * command modules that are left in its output after tree-shaking, read from a first build with
 * every error registered (esbuild reads every command module a client's index re-exports, so
 * only the output tells which ones are used).
 */
async function sentCommands(options) {
  const esbuild = require('esbuild');
  const result = await esbuild.build({ ...options, plugins: [sdkBundlePlugin({ pruneErrors: false })], write: false, metafile: true, logLevel: 'error' });
  const byClient = new Map();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const m = COMMAND.exec(input);
      if (!m || bytesInOutput === 0) continue;
      if (!byClient.has(m[1])) byClient.set(m[1], new Set());
      byClient.get(m[1]).add(m[2]);
    }
  }
  return byClient;
}

/** The errors the SDK documents for `command` (its `@throws` in the command's type declaration). */
function documentedErrors(clientDir, command) {
  const file = path.join(clientDir, 'dist-types', 'commands', `${command}Command.d.ts`);
  const names = [...fs.readFileSync(file, 'utf8').matchAll(/@throws \{@link (\w+)\}/g)].map((m) => m[1]);
  if (names.length === 0) throw new Error(`sdk-bundle-plugin: ${path.relative(root, file)} documents no @throws; the SDK's layout changed, review scripts/sdk-bundle-plugin.js`);
  return names;
}

/** True when the client's protocol puts the error's own name on the wire (so an unregistered error keeps it). */
function namesErrorsOnTheWire(clientDir) {
  const shared = fs.readFileSync(path.join(clientDir, 'dist-es', 'runtimeConfig.shared.js'), 'utf8');
  return /\b(AwsJson1_0Protocol|AwsJson1_1Protocol|AwsRestJsonProtocol)\b/.test(shared) && !/awsQueryCompatible/.test(shared);
}

/**
 * The rewritten source of a client's schemas module. `keep`: the errors to leave registered, or
 * undefined to leave every registration.
 */
function rewriteSchemas(source, file, keep) {
  const constants = new Map();
  for (const m of source.matchAll(/^const (_\w+) = ("[^"\\\n]*");$/gm)) constants.set(m[1], m[2]);
  let out = source.replace(/\[(_\w+)\]:/g, (all, id) => (constants.has(id) ? `${constants.get(id)}:` : all));
  if (keep) {
    const registrations = source.match(/\bregisterError\(/g)?.length ?? 0;
    let seen = 0;
    out = out.replace(/^(n\d+_registry|_s_registry)\.registerError\((\w+)\$, (\w+)\);$/gm, (line, registry, schema, ctor) => {
      seen++;
      if (schema !== ctor) throw new Error(`sdk-bundle-plugin: unexpected registration in ${file}: ${line}`);
      // The synthetic registry holds the service exception every unregistered error falls back to.
      return registry === '_s_registry' || keep.has(ctor) ? line : '';
    });
    if (seen !== registrations || seen === 0) {
      throw new Error(`sdk-bundle-plugin: ${file} registers errors in a form this plugin does not know (${seen} of ${registrations}); review scripts/sdk-bundle-plugin.js`);
    }
  }
  return out;
}

/** The plugin; `pruneErrors: false` leaves every error registered (rewrites 1 and 3 only). */
function sdkBundlePlugin({ pruneErrors = true } = {}) {
  return {
    name: 'sdk-schemas',
    setup(build) {
      // Built once, when the first schemas module loads (esbuild runs no callback before that).
      let commands;
      build.onLoad({ filter: SCHEMAS }, async (args) => {
        const clientDir = path.resolve(path.dirname(args.path), '..', '..');
        let keep;
        if (pruneErrors && namesErrorsOnTheWire(clientDir)) {
          commands ??= sentCommands(build.initialOptions);
          const sent = (await commands).get(path.basename(clientDir)) ?? new Set();
          keep = new Set([...sent].flatMap((c) => documentedErrors(clientDir, c)));
        }
        return { contents: rewriteSchemas(fs.readFileSync(args.path, 'utf8'), path.relative(root, args.path), keep), loader: 'js' };
      });
      build.onLoad({ filter: CLIENT_PACKAGE }, (args) => {
        const { name, version } = JSON.parse(fs.readFileSync(args.path, 'utf8'));
        return { contents: JSON.stringify({ name, version }), loader: 'json' };
      });
    },
  };
}

module.exports = { sdkBundlePlugin, sentCommands };
