import sys
from pathlib import Path

import pytest

# The package is tested from its source tree, without installing it.
SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))

ENV_KEYS = [
    "MODEL_CANARY_NAME",
    "MODEL_CANARY_STACK",
    "MODEL_CANARY_VERSION",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "MODEL_CANARY_DELIVERY",
    "MODEL_CANARY_SIGNALS_DISABLED",
    "POWERTOOLS_METRICS_DISABLED",
    "POWERTOOLS_DEV",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """Every test starts with none of the variables the helper reads."""
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    """Each test sees the helper's once-per-process warnings afresh."""
    from cdk_model_canary_runtime import signals

    monkeypatch.setattr(signals, "_warned", set(), raising=False)
