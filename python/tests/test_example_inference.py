"""The example app's SageMaker model code (bin/model/inference.py) records its signals with the helper.

It is imported as SageMaker's PyTorch toolkit would (with the environment bin/example-stack.ts sets),
with boto3 replaced by a fake whose CloudWatch client records the PutMetricData requests.
"""

import importlib.util
import json
import sys
import types
from collections import Counter
from pathlib import Path

import pytest

INFERENCE = Path(__file__).resolve().parents[2] / "bin" / "model" / "inference.py"


class FakeCloudWatch:
    def __init__(self):
        self.requests = []

    def put_metric_data(self, **request):
        self.requests.append(request)


@pytest.fixture
def inference(monkeypatch):
    client = FakeCloudWatch()
    created = []

    def make_client(service, **kwargs):
        created.append(service)
        return client

    monkeypatch.setitem(sys.modules, "boto3", types.SimpleNamespace(client=make_client))
    monkeypatch.setenv("MODEL_CANARY_NAME", "SummarizerCanary")
    monkeypatch.setenv("MODEL_CANARY_STACK", "ModelCanaryExample")
    monkeypatch.setenv("MODEL_CANARY_VERSION", "summarizer-2026-11-01")
    spec = importlib.util.spec_from_file_location("example_inference", INFERENCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module, client, created
    module.signals.close()


def serve(module, model, body):
    return json.loads(module.output_fn(module.predict_fn(module.input_fn(body, "application/json"), model), "application/json"))


def sent(client):
    """(metric, dimensions) -> sum of the values sent."""
    out = Counter()
    for request in client.requests:
        assert request["Namespace"] == "ModelCanary"
        for d in request["MetricData"]:
            dims = tuple(sorted((x["Name"], x["Value"]) for x in d["Dimensions"]))
            out[(d["MetricName"], dims)] += sum(v * c for v, c in zip(d["Values"], d["Counts"]))
    return out


def test_one_cloudwatch_client_at_import_and_every_signal_of_each_request_sent_with_put_metric_data(inference):
    module, client, created = inference
    assert created == ["cloudwatch"]
    model = module.model_fn("/opt/ml/model")
    words = " ".join(f"w{i}" for i in range(40))
    summary = serve(module, model, json.dumps({"inputs": words}).encode())
    refusal = serve(module, model, '{"inputs": "my password is hunter2"}')
    assert summary["label"] == "summary" and refusal["label"] == "refusal"
    assert client.requests == []  # batched in the background until a flush
    module.signals.flush()

    base = (("Canary", "SummarizerCanary"), ("Stack", "ModelCanaryExample"), ("Version", "summarizer-2026-11-01"))
    got = sent(client)
    assert got == {
        ("Requests", base): 2,
        ("InputTokens", base): 40 + 4,
        ("OutputTokens", base): 30 + len(refusal["summary_text"].split()),
        ("TotalTokens", base): 44 + 30 + len(refusal["summary_text"].split()),
        ("GuardrailIntervened", base): 1,
        ("SchemaInvalid", base): 0,
        ("ResponseLength", base): len(summary["summary_text"]) + len(refusal["summary_text"]),
        ("Prediction", tuple(sorted(base + (("Class", "summary"),)))): 1,
        ("Prediction", tuple(sorted(base + (("Class", "refusal"),)))): 1,
    }


def test_a_bad_request_is_rejected_before_anything_is_recorded(inference):
    module, client, _ = inference
    with pytest.raises(ValueError, match="inputs"):
        module.input_fn('{"text": "wrong field"}', "application/json")
    module.signals.flush()
    assert client.requests == []
