#!/usr/bin/env bash
# The jsii language packages, into dist-jsii/ (package.json "jsii.outdir").
#   npm run package:jsii              jsii-pacmak for every target: needs PyPI, Maven Central, NuGet
#                                     and the .NET SDK (what a release machine has).
#   npm run package:jsii -- --offline what builds with the npm registry only: the npm tarball
#                                     (dist-jsii/js), the generated sources of every target
#                                     (dist-jsii/src/{python,java,dotnet}) and the Python wheel
#                                     (dist-jsii/python), built from those sources with setuptools
#                                     from the local package index. jsii-pacmak's own Python build
#                                     pins setuptools~=75.3, build~=1.5 and twine, which only PyPI has.
# Both run `npm pack`, so `prepare` (the jsii build) runs first.
set -euo pipefail
cd "$(dirname "$0")/.."
# jsii prints a banner on Node releases it no longer supports; the output is the same.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="$(node -p 'process.versions.node.split(".")[0]')"
out=dist-jsii
if [ "${1:-}" != --offline ]; then
  exec npx jsii-pacmak --no-npmignore
fi

rm -rf "$out"
npx jsii-pacmak --no-npmignore --code-only --targets python java dotnet -o "$out/src"
# The npm tarball jsii-pacmak embeds in every language package is what its js target ships.
mkdir -p "$out/js"
cp "$out"/src/python/src/*/_jsii/*.jsii.tgz "$out/js/"

venv="$(mktemp -d)"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
# --retries 0: fail at once where PyPI is unreachable and the local index has no such package.
"$venv/bin/pip" install --quiet --disable-pip-version-check --retries 0 setuptools wheel build
"$venv/bin/python" -m build --wheel --no-isolation --skip-dependency-check --outdir "$out/python" "$out/src/python"

echo "jsii packages in $out/:"
ls -1 "$out"/js/* "$out"/python/*.whl
echo "not built here: the jar (dist-jsii/src/java: mvn needs Maven Central for jsii-runtime, aws-cdk-lib and its plugins)"
echo "and the nupkg (dist-jsii/src/dotnet: needs the .NET SDK and NuGet); run npm run package:jsii where they are reachable."
