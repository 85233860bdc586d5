"""The EMF contract, read from the JSON file shipped with the package.

``emf_contract.json`` is a copy of ``runtime/emf-contract.json`` in the cdk-model-canary repository
(the TypeScript helper, the guards and the simulator read the same file); a test fails when the two
differ. Every name below comes from it, so a rename there is a rename here.
"""

import json
from pathlib import Path
from typing import Dict, List, Tuple

CONTRACT_PATH = Path(__file__).with_name("emf_contract.json")
CONTRACT = json.loads(CONTRACT_PATH.read_text(encoding="utf-8"))

#: Default CloudWatch namespace of the signals.
SIGNAL_NAMESPACE: str = CONTRACT["namespace"]["default"]
MAX_NAMESPACE_LENGTH: int = CONTRACT["namespace"]["maxLength"]

#: Metric names by the same keys as the TypeScript ``SIGNALS`` (``requests``, ``inputTokens``, ...).
SIGNALS: Dict[str, str] = {key: metric["name"] for key, metric in CONTRACT["metrics"].items()}


def _dimension_with_option(python_option: str) -> str:
    for name, dim in CONTRACT["dimensions"].items():
        if dim.get("option", {}).get("python") == python_option:
            return name
    raise KeyError(f"emf_contract.json has no dimension for the option {python_option!r}")


CANARY_DIMENSION = _dimension_with_option("canary_name")
STACK_DIMENSION = _dimension_with_option("stack_name")
VERSION_DIMENSION = _dimension_with_option("version")
CLASS_DIMENSION = next(n for n, d in CONTRACT["dimensions"].items() if "field" in d)

CANARY_NAME_ENV: str = CONTRACT["environment"]["canaryName"]
CANARY_STACK_ENV: str = CONTRACT["environment"]["stackName"]
VERSION_ENV: str = CONTRACT["environment"]["version"]
LAMBDA_VERSION_ENV: str = CONTRACT["environment"]["lambdaVersion"]
DELIVERY_ENV: str = CONTRACT["environment"]["delivery"]
SIGNALS_DISABLED_ENV: str = CONTRACT["environment"]["signalsDisabled"]
HIGH_RESOLUTION_ENV: str = CONTRACT["environment"]["highResolution"]
#: Metric keys written at HIGH_RESOLUTION when high resolution is on.
HIGH_RESOLUTION_METRICS = frozenset(CONTRACT["highResolution"]["metrics"])
HIGH_RESOLUTION: int = CONTRACT["highResolution"]["storageResolution"]
#: Words the output switches read as true / false (Powertools' extended parsing).
SWITCH_TRUE = frozenset(CONTRACT["switches"]["true"])
SWITCH_FALSE = frozenset(CONTRACT["switches"]["false"])

DEFAULT_VERSION: str = CONTRACT["dimensions"][VERSION_DIMENSION]["default"]
MAX_DIMENSION_VALUE_LENGTH: int = CONTRACT["dimensions"][CANARY_DIMENSION]["maxLength"]
MAX_CLASS_LENGTH: int = CONTRACT["dimensions"][CLASS_DIMENSION]["maxLength"]

LIMITS: Dict[str, int] = {k: v for k, v in CONTRACT["limits"].items() if not k.startswith("$")}
DELIVERIES: Tuple[str, ...] = tuple(CONTRACT["delivery"])


def document_layout(document: str) -> Tuple[List[str], List[Tuple[str, str, str, int]]]:
    """Dimension names and (key, metric name, unit, storage resolution) of one document kind."""
    spec = CONTRACT["documents"][document]
    metrics = [
        (key, CONTRACT["metrics"][key]["name"], CONTRACT["metrics"][key]["unit"], CONTRACT["metrics"][key]["storageResolution"])
        for key in spec["metrics"]
    ]
    if len(metrics) > LIMITS["emfMetricsPerDirective"] or len(spec["dimensions"]) > LIMITS["emfDimensionsPerSet"]:
        raise ValueError(f"emf_contract.json: the {document} document exceeds the EMF limits")
    return list(spec["dimensions"]), metrics
