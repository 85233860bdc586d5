"""Records test/contract/fixtures.json through the Python helper, for emf-contract.test.ts.

stdout: for every fixture a marker line {"fixture": [kind, index]}, then what the helper wrote to
stdout (its EMF documents), or for a rejected input one line {"error": type, "message": text}. A
"silent" fixture (no names, or the output switched off) must construct, record and write nothing.
Field names in the fixtures are the TypeScript ones, mapped to Python's with the contract.
"""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python" / "src"))

from cdk_model_canary_runtime import CONTRACT, ModelSignals  # noqa: E402

ENV_KEYS = (
    [d for dim in CONTRACT["dimensions"].values() for d in dim.get("env", [])]
    + [CONTRACT["environment"]["delivery"]]
    + CONTRACT["switches"]["off"]
)
OPTIONS = {d["option"]["typescript"]: d["option"]["python"] for d in CONTRACT["dimensions"].values() if "option" in d}
OPTIONS[CONTRACT["namespace"]["option"]["typescript"]] = CONTRACT["namespace"]["option"]["python"]
FIELDS = {
    m["from"]["typescript"]: m["from"]["python"]
    for m in CONTRACT["metrics"].values()
    if m["from"] and m["from"]["typescript"].isidentifier()
}


def python_names(mapping, names, what):
    unknown = set(names) - set(mapping)
    if unknown:
        raise SystemExit(f"record_python.py: fixture {what} {sorted(unknown)} are not in runtime/emf-contract.json")
    return {mapping[k]: v for k, v in names.items()}


def marker(kind, index):
    sys.stdout.write(json.dumps({"fixture": [kind, index]}) + "\n")
    sys.stdout.flush()


def error_line(err):
    sys.stdout.write(json.dumps({"error": type(err).__name__, "message": str(err)}) + "\n")
    sys.stdout.flush()


def with_env(env):
    for key in ENV_KEYS:
        os.environ.pop(key, None)
    os.environ.update(env or {})


def main(path):
    # json keeps 3.0 a float, as a Python caller would pass it.
    fixtures = json.loads(Path(path).read_text(encoding="utf-8"))
    for kind in ("cases", "silent"):
        for i, case in enumerate(fixtures[kind]):
            with_env(case.get("env"))
            marker(kind, i)
            signals = ModelSignals(**python_names(OPTIONS, case["options"], "options"))
            for request in case["requests"]:
                signals.record(**python_names(FIELDS, request, "fields"))
    for i, case in enumerate(fixtures["rejected"]):
        with_env({})
        marker("rejected", i)
        signals = ModelSignals(canary_name="c", stack_name="s", version="1")
        try:
            signals.record(**python_names(FIELDS, case["request"], "fields"))
        except (TypeError, ValueError) as err:
            error_line(err)
    for i, case in enumerate(fixtures["rejectedOptions"]):
        with_env({})
        marker("rejectedOptions", i)
        try:
            ModelSignals(**python_names(OPTIONS, case["options"], "options"))
        except (TypeError, ValueError) as err:
            error_line(err)


if __name__ == "__main__":
    main(sys.argv[1])
