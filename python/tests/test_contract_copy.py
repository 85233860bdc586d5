from pathlib import Path

import pytest

import cdk_model_canary_runtime as rt
from cdk_model_canary_runtime import _contract

REPO_CONTRACT = Path(__file__).resolve().parents[2] / "runtime" / "emf-contract.json"


def test_the_packaged_contract_is_the_repositorys():
    if not REPO_CONTRACT.exists():
        pytest.skip("not in the cdk-model-canary repository")
    assert _contract.CONTRACT_PATH.read_bytes() == REPO_CONTRACT.read_bytes(), (
        "python/src/cdk_model_canary_runtime/emf_contract.json differs from runtime/emf-contract.json:"
        " copy runtime/emf-contract.json over it"
    )


def test_names_come_from_the_contract():
    c = rt.CONTRACT
    assert rt.SIGNAL_NAMESPACE == c["namespace"]["default"]
    assert [rt.CANARY_DIMENSION, rt.STACK_DIMENSION, rt.VERSION_DIMENSION] == c["documents"]["request"]["dimensions"]
    assert c["documents"]["prediction"]["dimensions"] == [rt.CANARY_DIMENSION, rt.STACK_DIMENSION, rt.VERSION_DIMENSION, rt.CLASS_DIMENSION]
    assert c["dimensions"][rt.CANARY_DIMENSION]["env"] == [rt.CANARY_NAME_ENV]
    assert c["dimensions"][rt.STACK_DIMENSION]["env"] == [rt.CANARY_STACK_ENV]
    assert c["dimensions"][rt.VERSION_DIMENSION]["env"] == [rt.VERSION_ENV, rt.LAMBDA_VERSION_ENV]


def test_the_contract_is_within_the_emf_limits():
    c = rt.CONTRACT
    for doc in c["documents"].values():
        assert len(doc["metrics"]) <= c["limits"]["emfMetricsPerDirective"]
        assert len(doc["dimensions"]) <= c["limits"]["emfDimensionsPerSet"]
        assert set(doc["dimensions"]) <= set(c["dimensions"])
        assert all(c["metrics"][k]["document"] in c["documents"] for k in doc["metrics"])
    assert sorted(k for d in c["documents"].values() for k in d["metrics"]) == sorted(c["metrics"])


REPO_ROUTING_FIXTURES = Path(__file__).resolve().parents[2] / "runtime" / "routing-fixtures.json"


def test_the_packaged_routing_fixtures_are_the_repositorys():
    packaged = Path(rt.__file__).with_name("routing_fixtures.json")
    if not REPO_ROUTING_FIXTURES.exists():
        pytest.skip("not in the cdk-model-canary repository")
    assert packaged.read_bytes() == REPO_ROUTING_FIXTURES.read_bytes(), (
        "python/src/cdk_model_canary_runtime/routing_fixtures.json differs from runtime/routing-fixtures.json:"
        " copy runtime/routing-fixtures.json over it"
    )
