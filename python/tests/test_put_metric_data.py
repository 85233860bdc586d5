import logging
import sys
import threading
import warnings
from collections import Counter

import pytest

from cdk_model_canary_runtime import ModelCanaryWarning, ModelSignals
from cdk_model_canary_runtime import put_metric_data as pmd
from cdk_model_canary_runtime.put_metric_data import PutMetricDataSink


class FakeCloudWatch:
    """Stands in for boto3's CloudWatch client: records every put_metric_data request."""

    def __init__(self, fail_times=0):
        self.requests = []
        self.fail_times = fail_times
        self.sent = threading.Event()

    def put_metric_data(self, **request):
        if self.fail_times > 0:
            self.fail_times -= 1
            raise RuntimeError("Throttling")
        self.requests.append(request)
        self.sent.set()


def expand(requests):
    """(namespace, metric, dimensions, unit, value) for every value sent, with its count."""
    out = Counter()
    for r in requests:
        for d in r["MetricData"]:
            dims = tuple((x["Name"], x["Value"]) for x in d["Dimensions"])
            for value, count in zip(d["Values"], d["Counts"]):
                out[(r["Namespace"], d["MetricName"], dims, d["Unit"], value)] += count
    return out


def expand_emf(documents):
    out = Counter()
    for doc in documents:
        (directive,) = doc["_aws"]["CloudWatchMetrics"]
        (dim_set,) = directive["Dimensions"]
        dims = tuple((n, doc[n]) for n in dim_set)
        for m in directive["Metrics"]:
            out[(directive["Namespace"], m["Name"], dims, m["Unit"], float(doc[m["Name"]]))] += 1
    return out


def signals(client, **kw):
    sink = PutMetricDataSink(client=client, flush_interval_seconds=kw.pop("interval", 3600))
    return ModelSignals(canary_name="c", stack_name="s", version="2", sink=sink, **kw), sink


REQUESTS = [
    dict(input_tokens=10, output_tokens=5, guardrail_intervened=False, schema_valid=True, response_length=40, predicted_class="pos"),
    dict(input_tokens=10, output_tokens=7, guardrail_intervened=True, schema_valid=False, response_length="hello", predicted_class="neg"),
    dict(predicted_class="pos"),
    dict(),
]


def test_sends_the_same_metrics_as_the_emf_documents():
    client = FakeCloudWatch()
    s, sink = signals(client)
    emf = []
    for r in REQUESTS:
        emf += s.documents(**r)
        s.record(**r)
    assert client.requests == []  # batched, not sent per request
    s.flush()
    assert expand(client.requests) == expand_emf(emf)
    assert {r["Namespace"] for r in client.requests} == {"ModelCanary"}
    sink.close()


def test_equal_values_are_aggregated_into_values_and_counts():
    client = FakeCloudWatch()
    s, sink = signals(client)
    for _ in range(500):
        s.record(input_tokens=10)
    s.flush()
    (request,) = client.requests
    by_name = {d["MetricName"]: d for d in request["MetricData"]}
    assert by_name["InputTokens"]["Values"] == [10.0] and by_name["InputTokens"]["Counts"] == [500.0]
    assert by_name["Requests"]["Dimensions"] == [{"Name": "Canary", "Value": "c"}, {"Name": "Stack", "Value": "s"}, {"Name": "Version", "Value": "2"}]
    assert by_name["Requests"]["Unit"] == "Count"
    sink.close()


def test_high_resolution_counts_are_sent_per_second_at_storage_resolution_1():
    client = FakeCloudWatch()
    s, sink = signals(client, high_resolution=True)
    for ms in (1000, 1500, 2000):
        sink.write(s.documents(error=ms == 2000, latency_ms=5, timestamp_ms=1_700_000_000_000 + ms))
    s.flush()
    data = [d for r in client.requests for d in r["MetricData"]]
    requests = [d for d in data if d["MetricName"] == "Requests"]
    # Two seconds, kept apart (a 10-second alarm reads them), each at resolution 1.
    assert sorted(sum(d["Counts"]) for d in requests) == [1.0, 2.0]
    assert all(d["StorageResolution"] == 1 for d in data if d["MetricName"] in ("Requests", "Errors"))
    assert all("StorageResolution" not in d for d in data if d["MetricName"] == "Latency")
    (latency,) = [d for d in data if d["MetricName"] == "Latency"]  # one minute, standard
    assert latency["Counts"] == [3.0]
    sink.close()


def test_requests_stay_within_the_put_metric_data_limits():
    client = FakeCloudWatch()
    s, sink = signals(client)
    # 400 distinct lengths -> 3 datums of ResponseLength; 1200 classes -> 1200 Prediction datums.
    for i in range(1200):
        s.record(response_length=i % 400, predicted_class=f"class-{i}")
    s.flush()
    assert len(client.requests) >= 2
    for r in client.requests:
        assert len(r["MetricData"]) <= 1000
        assert all(len(d["Values"]) <= 150 and len(d["Values"]) == len(d["Counts"]) for d in r["MetricData"])
        assert sum(pmd._estimate(d) for d in r["MetricData"]) <= pmd.MAX_REQUEST_BYTES
    sent = expand(client.requests)
    assert sum(n for k, n in sent.items() if k[1] == "Prediction") == 1200
    assert sum(n for k, n in sent.items() if k[1] == "ResponseLength") == 1200
    sink.close()


def test_the_background_thread_sends_without_a_flush():
    client = FakeCloudWatch()
    s, sink = signals(client, interval=0.05)
    s.record(input_tokens=1)
    assert client.sent.wait(5), "nothing sent by the background thread"
    assert expand(client.requests)[("ModelCanary", "InputTokens", (("Canary", "c"), ("Stack", "s"), ("Version", "2")), "Count", 1.0)] == 1
    sink.close()


def test_close_sends_what_is_left_and_refuses_more():
    client = FakeCloudWatch()
    s, sink = signals(client)
    s.record(schema_valid=False)
    s.close()
    assert sum(expand(client.requests).values()) == 2  # Requests and SchemaInvalid
    with pytest.raises(RuntimeError, match="closed"):
        s.record()
    s.close()  # twice is fine


def test_a_failed_send_is_retried_then_dropped(caplog):
    client = FakeCloudWatch(fail_times=1)
    s, sink = signals(client)
    s.record(input_tokens=3)
    with caplog.at_level(logging.WARNING, logger="cdk_model_canary_runtime"):
        s.flush()  # fails: kept
        assert client.requests == []
        s.flush()  # succeeds
    assert "Throttling" in caplog.text
    assert sum(expand(client.requests).values()) == 3

    always_failing = FakeCloudWatch(fail_times=10**6)
    s2, sink2 = signals(always_failing)
    s2.record()
    with caplog.at_level(logging.ERROR, logger="cdk_model_canary_runtime"):
        for _ in range(5):
            s2.flush()
    assert "after 3 failed PutMetricData attempts" in caplog.text
    assert sink2._retry == []
    sink.close()
    sink2._client = FakeCloudWatch()
    sink2.close()


def test_pending_data_is_bounded():
    client = FakeCloudWatch(fail_times=10**6)
    sink = PutMetricDataSink(client=client, flush_interval_seconds=3600, max_pending_metrics=5, max_attempts=100)
    s = ModelSignals(canary_name="c", stack_name="s", version="2", sink=sink)
    for i in range(10):
        s.record(predicted_class=f"k{i}")  # 11 metric data: Requests and 10 Prediction
    s.flush()
    assert len(sink._retry) == 5
    sink._client = FakeCloudWatch()
    sink.close()


def test_a_bad_interval_is_refused():
    with pytest.raises(ValueError, match="flush_interval_seconds must be above 0"):
        PutMetricDataSink(client=FakeCloudWatch(), flush_interval_seconds=0)


def no_aws_settings(monkeypatch, tmp_path):
    """No region, credentials, profile or instance metadata from this machine."""
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def one_warning(caught):
    assert len(caught) == 1, [str(w.message) for w in caught]
    assert issubclass(caught[0].category, ModelCanaryWarning)
    return str(caught[0].message)


def test_without_boto3_a_warning_says_what_to_install_and_nothing_is_recorded(monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)  # makes `import boto3` raise ImportError
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = ModelSignals(canary_name="c", stack_name="s", version="1", delivery="put_metric_data")
        s.record(input_tokens=1)
        s.flush()
        s.close()
    assert s.enabled is False
    assert "needs boto3" in one_warning(caught) and "pip install boto3" in str(caught[0].message)


def test_the_sink_itself_still_raises_without_boto3(monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(RuntimeError, match="needs boto3"):
        PutMetricDataSink()


def test_without_a_region_a_warning_names_aws_region(monkeypatch, tmp_path):
    pytest.importorskip("boto3")
    no_aws_settings(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = ModelSignals(canary_name="c", stack_name="s", version="1", delivery="put_metric_data")
    assert s.enabled is False
    assert "no AWS region: set AWS_REGION or AWS_DEFAULT_REGION" in one_warning(caught)


def test_without_credentials_a_warning_says_where_they_come_from_and_nothing_is_sent(monkeypatch, tmp_path):
    pytest.importorskip("boto3")
    no_aws_settings(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = ModelSignals(canary_name="c", stack_name="s", version="1", delivery="put_metric_data")
        s.record(input_tokens=1)
    assert s.enabled is False and s._sink is None
    text = one_warning(caught)
    assert "no AWS credentials" in text and "execution role" in text and "AWS_PROFILE" in text


def test_without_names_boto3_is_never_imported(monkeypatch):
    """A unit test importing SageMaker model code: no names, so no client that could send from a laptop."""
    monkeypatch.setitem(sys.modules, "boto3", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = ModelSignals(delivery="put_metric_data")
    assert s.enabled is False
    assert "no MODEL_CANARY_NAME" in one_warning(caught)  # the names, not boto3


def test_delivery_from_the_environment_uses_boto3s_cloudwatch_client(monkeypatch, tmp_path):
    boto3 = pytest.importorskip("boto3")
    no_aws_settings(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("MODEL_CANARY_DELIVERY", "put_metric_data")
    s = ModelSignals(canary_name="c", stack_name="s", version="1")
    assert s.delivery == "put_metric_data" and s.enabled is True
    assert isinstance(s._sink, PutMetricDataSink)
    assert s._sink._client.meta.service_model.service_name == "cloudwatch"
    assert s._sink._client.meta.region_name == "eu-west-1"
    s._sink._closed = True  # nothing recorded: no request is made
    del boto3


def test_what_is_left_is_sent_at_interpreter_exit():
    import subprocess
    from pathlib import Path

    script = """
import json, sys
sys.path.insert(0, sys.argv[1])
from cdk_model_canary_runtime import ModelSignals, PutMetricDataSink

class Printing:
    def put_metric_data(self, **request):
        print(json.dumps(sorted(d["MetricName"] for d in request["MetricData"])))

sink = PutMetricDataSink(client=Printing(), flush_interval_seconds=3600)
ModelSignals(canary_name="c", stack_name="s", version="1", sink=sink).record(input_tokens=1)
print("exiting")
"""
    src = str(Path(pmd.__file__).parents[1])
    out = subprocess.run([sys.executable, "-c", script, src], check=True, capture_output=True, text=True, timeout=60).stdout
    assert out.splitlines() == ["exiting", '["InputTokens", "Requests", "TotalTokens"]']


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_worker_starts_with_an_empty_buffer_and_its_own_thread():
    import os

    client = FakeCloudWatch()
    s, sink = signals(client)
    s.record(input_tokens=1)  # the parent's, unsent
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        try:
            s.record(output_tokens=2)
            s.flush()
            sent = expand(client.requests)
            ok = sink._thread is not None and sink._thread.is_alive() and all(k[1] != "InputTokens" for k in sent) and any(k[1] == "OutputTokens" for k in sent)
            os.write(w, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(r, 1) == b"1"
    s.flush()
    assert any(k[1] == "InputTokens" for k in expand(client.requests))
    sink.close()
