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
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """Every test starts with none of the variables the helper reads."""
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
