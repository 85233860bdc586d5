"""The example app's SageMaker model code (bin/model/inference.py) records its signals with the helper.

It is imported as SageMaker's PyTorch toolkit would (with the environment bin/example-stack.ts sets),
with boto3 replaced by a fake whose CloudWatch client records the PutMetricData requests.
"""

import importlib.util
import json
import os
import subprocess
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

    session = types.SimpleNamespace(region_name="us-east-1", get_credentials=lambda: object(), client=make_client)
    boto3 = types.SimpleNamespace(session=types.SimpleNamespace(Session=lambda region_name=None: session))
    monkeypatch.setitem(sys.modules, "boto3", boto3)
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


def test_the_model_imports_and_serves_with_an_empty_environment_and_never_loads_boto3():
    """The model's own unit tests: no canary, stack, version, region or credentials; boto3 installed or not."""
    script = """
import json, sys, warnings, importlib.util
warnings.simplefilter("always")
spec = importlib.util.spec_from_file_location("inference", sys.argv[1])
module = importlib.util.module_from_spec(spec)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    spec.loader.exec_module(module)
body = module.input_fn('{"inputs": "a b c"}', "application/json")
print("RESULT", json.dumps(module.predict_fn(body, module.model_fn("/tmp"))))
print("ENABLED", module.signals.enabled)
print("BOTO3", "boto3" in sys.modules)
print("WARNINGS", json.dumps([str(w.message) for w in caught]))
"""
    src = str(Path(__file__).resolve().parents[1] / "src")
    out = subprocess.run([sys.executable, "-c", script, str(INFERENCE)], env={"PATH": os.environ["PATH"], "PYTHONPATH": src},
                         check=True, capture_output=True, text=True).stdout
    lines = dict(line.split(" ", 1) for line in out.splitlines())
    assert json.loads(lines["RESULT"]) == {"label": "summary", "summary_text": "a b c"}
    assert lines["ENABLED"] == "False" and lines["BOTO3"] == "False"
    (warning,) = json.loads(lines["WARNINGS"])
    assert "no MODEL_CANARY_NAME" in warning and "MODEL_CANARY_SIGNALS_DISABLED=true" in warning
    assert set(lines) == {"RESULT", "ENABLED", "BOTO3", "WARNINGS"}  # no EMF line, nothing else on stdout
