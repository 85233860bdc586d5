#!/usr/bin/env bash
# Consumer test: what a user gets from `npm install cdk-model-canary`.
# Packs the library, installs the tarball into a scratch CDK app outside the repo (its own
# package.json, aws-cdk-lib/constructs from the npm registry), compiles and synthesizes the app in
# test-consumer/, and asserts on its template and on the runtime helper under require and import,
# then dry-runs the app's canary with the CLI's simulate.
# KEEP_CONSUMER_DIR=1 keeps the scratch folder for a look after a failure.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/cdk-model-canary-consumer.XXXXXX")"
if [ "${KEEP_CONSUMER_DIR:-}" = 1 ]; then echo "consumer-test: scratch app in $work"; else trap 'rm -rf "$work"' EXIT; fi
started=$SECONDS
failed=()
say() { echo "consumer-test [$((SECONDS - started))s]: $*"; }

say "packing the library (prepare builds dist/ and the handler bundles)"
(cd "$repo" && npm pack --pack-destination "$work" >"$work/pack.log" 2>&1) || { cat "$work/pack.log"; exit 1; }
tarball="$(ls "$work"/cdk-model-canary-*.tgz)"

say "checking the tarball's contents"
contents="$(tar tzf "$tarball")"
for f in package/LICENSE package/dist/lib/index.js package/dist/lib/index.d.ts package/dist/lib/index.mjs \
  package/dist/runtime/index.js package/dist/runtime/index.d.ts package/dist/runtime/index.mjs package/dist/runtime/index.d.mts; do
  grep -qx "$f" <<<"$contents" || failed+=("tarball lacks $f")
done
version="$(node -p 'require(process.argv[1]).version' "$repo/package.json")"
wheel="cdk_model_canary_runtime-$version-py3-none-any.whl"
grep -qx "package/assets/python/$wheel" <<<"$contents" || failed+=("tarball lacks the Python helper's wheel assets/python/$wheel")
entries_in_repo="$(ls "$repo/lambda/entries" | grep -c '\.ts$')"
entries_packed="$(grep -c '^package/assets/handlers/[^/]*/index\.mjs$' <<<"$contents" || true)"
[ "$entries_packed" = "$entries_in_repo" ] || failed+=("tarball holds $entries_packed function bundles, lambda/entries has $entries_in_repo")
# dist/ holds lib/, runtime/ and what they import; never the example, tests, simulator or sources.
# Two READMEs of those folders ship on purpose: the guides link them.
unwanted='example-models\|^package/\(lambda\|bin\|test\|sim\|scripts\)/\|^package/dist/\(test\|sim\|bin\|scripts\)/'
linked='^package/lambda/shared/judge/README\.md$\|^package/sim/README\.md$'
if grep "$unwanted" <<<"$contents" | grep -qv "$linked"; then
  failed+=("tarball ships files a user does not need: $(grep "$unwanted" <<<"$contents" | grep -v "$linked" | head -3 | tr '\n' ' ')")
fi

say "creating the scratch app in $work/app"
mkdir "$work/app"
cp "$repo"/test-consumer/{app.ts,model.ts,model.mts,tsconfig.json,assert-template.cjs,check-runtime.mjs} "$work/app/"
node -e '
  const repo = require(process.argv[1] + "/package.json");
  const dev = repo.devDependencies;
  const app = {
    name: "consumer-app", private: true,
    dependencies: { "aws-cdk-lib": dev["aws-cdk-lib"], constructs: dev.constructs, "cdk-model-canary": "file:" + process.argv[2] },
    devDependencies: { typescript: dev.typescript, "@types/node": dev["@types/node"] },
  };
  require("fs").writeFileSync(process.argv[3] + "/package.json", JSON.stringify(app, null, 2));
' "$repo" "$tarball" "$work/app"
cd "$work/app"

say "npm install (aws-cdk-lib, constructs, typescript from the registry; the library from the tarball)"
npm install --prefer-offline --no-audit --no-fund --loglevel=error >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }

say "compiling the app and the models with tsc (the package's typings, CommonJS and ESM)"
if ! npx tsc -p .; then failed+=("tsc failed on the consumer app (typings)"); fi

if [ -f build/app.js ]; then
  say "synthesizing"
  if CDK_OUTDIR=cdk.out node build/app.js; then
    say "asserting on the template"
    node assert-template.cjs cdk.out || failed+=("template assertions (see FAIL lines above)")
  else
    failed+=("synth failed")
  fi
fi

if [ -f build/model.js ] && [ -f build/model.mjs ]; then
  say "running the models (runtime helper via require and import)"
  MODEL_CANARY_NAME=ConsumerCanary MODEL_CANARY_STACK=ConsumerStack AWS_LAMBDA_FUNCTION_VERSION=3 \
    node check-runtime.mjs || failed+=("runtime helper under require/import (see the assertion above)")
fi

if [ -f "node_modules/cdk-model-canary/assets/python/$wheel" ]; then
  say "installing the Python helper's wheel from the package into a venv (pip --no-index: offline)"
  if python3 -m venv "$work/venv" >"$work/venv.log" 2>&1 &&
    "$work/venv/bin/pip" install --no-index --disable-pip-version-check "node_modules/cdk-model-canary/assets/python/$wheel" >>"$work/venv.log" 2>&1; then
    # Named: one EMF request document on stdout. Without names (a unit test): nothing, and no error.
    out="$(env -i PATH="$PATH" MODEL_CANARY_NAME=ConsumerCanary MODEL_CANARY_STACK=ConsumerStack MODEL_CANARY_VERSION=v1 \
      "$work/venv/bin/python" -c 'import cdk_model_canary_runtime as r; r.ModelSignals().record(input_tokens=3); print(r.__version__)' 2>&1)" || true
    quiet="$(env -i PATH="$PATH" "$work/venv/bin/python" -W ignore -c 'import cdk_model_canary_runtime as r; s = r.ModelSignals(); s.record(); print(s.enabled)' 2>&1)" || true
    if ! grep -q '"Canary":"ConsumerCanary"' <<<"$out" || [ "$(tail -1 <<<"$out")" != "$version" ] || [ "$quiet" != "False" ]; then
      failed+=("the wheel's helper in a venv: $(tr '\n' ' ' <<<"$out") / $quiet")
    fi
  else
    cat "$work/venv.log"; failed+=("the wheel did not install into a venv")
  fi
fi

# The guides the README links, beside it in the installed package.
for guide in dry-run model-code operating; do
  [ -f "node_modules/cdk-model-canary/docs/$guide.md" ] || failed+=("docs/$guide.md is not in the installed package (package.json files)")
done

say "running the CLI the package installs (npx cdk-model-canary): help, and a clear error without AWS"
if ! npx --no-install cdk-model-canary --help >"$work/cli-help.txt" 2>&1 || ! grep -q "status <canary>" "$work/cli-help.txt"; then
  failed+=("the cdk-model-canary bin does not run from the installed package: $(head -3 "$work/cli-help.txt" | tr '\n' ' ')")
fi
set +e
AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= AWS_PROFILE=no-such-profile AWS_EC2_METADATA_DISABLED=true \
  timeout 60 npx --no-install cdk-model-canary list >"$work/cli-list.txt" 2>&1
code=$?
set -e
if [ "$code" -eq 0 ] || ! grep -q "^cdk-model-canary: " "$work/cli-list.txt"; then
  failed+=("cdk-model-canary list without credentials should fail with a one-line error (exit $code): $(head -3 "$work/cli-list.txt" | tr '\n' ' ')")
fi

if [ -f cdk.out/manifest.json ]; then
  say "dry-running the app's canary on the simulator the CLI carries (npx cdk-model-canary simulate, preset healthy)"
  set +e
  env -u AWS_REGION -u AWS_PROFILE AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= \
    timeout 300 npx --no-install cdk-model-canary simulate --app cdk.out --canary Canary --scenario healthy --expect promoted --json >"$work/simulate.json" 2>"$work/simulate.err"
  code=$?
  set -e
  # The summary (one JSON object on stdout): the user's canary promoted through its four steps.
  if ! node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const events = r.alerts.map((a) => a.event).join(",");
    const ok = r.outcome === "promoted" && r.stack === "ConsumerStack" && r.canary === "Canary" && r.maxCanaryWeight === 100 && events === "STARTED,STEP,STEP,STEP,STEP,PROMOTED";
    if (!ok) { console.error(`simulate: ${r.outcome} ${r.stack}/${r.canary} ${events}`); process.exit(1); }
  ' "$work/simulate.json" || [ "$code" -ne 0 ]; then
    failed+=("cdk-model-canary simulate on the scratch app (exit $code): $(head -c 400 "$work/simulate.err" "$work/simulate.json" | tr '\n' ' ')")
  fi
fi

if [ ${#failed[@]} -gt 0 ]; then
  say "FAILED after $((SECONDS - started))s:"
  printf '  - %s\n' "${failed[@]}"
  exit 1
fi
say "passed in $((SECONDS - started))s"
