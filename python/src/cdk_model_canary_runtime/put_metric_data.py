"""``PutMetricDataSink``: the signals through CloudWatch PutMetricData, for SageMaker containers.

AWS documents EMF extraction for Lambda's stdout, the CloudWatch agent and PutLogEvents, not for a
SageMaker endpoint's container output; PutMetricData works from anywhere with credentials.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html

Documents are taken apart into metric values and aggregated per metric, dimensions and minute as
Values/Counts arrays (which keep percentiles, so the p50 guards work), then sent by a background
thread every ``flush_interval_seconds``, on :meth:`flush`, and at interpreter exit. boto3 signs the
requests; it is imported only when this sink is created without a client.
"""

import atexit
import logging
import os
import threading
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

from ._contract import LIMITS

_log = logging.getLogger("cdk_model_canary_runtime")

MAX_METRICS_PER_REQUEST = LIMITS["putMetricDataMetricsPerRequest"]
MAX_VALUES_PER_METRIC = LIMITS["putMetricDataValuesPerMetric"]
# Requests are capped well under the 1 MB limit by an upper-bound size estimate (see _estimate).
MAX_REQUEST_BYTES = LIMITS["putMetricDataBytesPerRequest"] // 2

# (namespace, name, unit, dimensions, time bucket, storage resolution)
_Key = Tuple[str, str, str, Tuple[Tuple[str, str], ...], int, int]


class PutMetricDataSink:
    """Sends EMF documents' metrics with ``cloudwatch.put_metric_data``, batched in the background.

    :param client: a CloudWatch client (anything with ``put_metric_data(**request)``). Default:
        boto3's, created here so a missing boto3, region or credentials raises RuntimeError at
        start-up (``ModelSignals(delivery="put_metric_data")`` warns and records nothing instead).
    :param flush_interval_seconds: how often the background thread sends. Default 10.
    :param max_pending_metrics: metric data of failed sends kept for a retry before the oldest is
        dropped with an error log. Default 20000.
    :param max_attempts: sends of one batch before it is dropped with an error log. Default 3.

    The model's IAM role needs ``cloudwatch:PutMetricData`` on ``*`` with the condition
    ``StringEquals: {"cloudwatch:namespace": <namespace>}``:
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html
    """

    def __init__(
        self,
        client: Any = None,
        flush_interval_seconds: float = 10.0,
        max_pending_metrics: int = 20000,
        max_attempts: int = 3,
    ) -> None:
        if not flush_interval_seconds > 0:
            raise ValueError(f"PutMetricDataSink: flush_interval_seconds must be above 0, got {flush_interval_seconds!r}")
        if client is None:
            client = _boto3_client()
        self._client = client
        self._interval = float(flush_interval_seconds)
        self._max_pending = max_pending_metrics
        self._max_attempts = max_attempts
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._buffer: Dict[_Key, Dict[float, int]] = {}
        self._first_ts: Dict[_Key, int] = {}
        self._retry: List[Tuple[int, str, Dict[str, Any]]] = []  # (attempts, namespace, datum)
        self._wake = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._pid = os.getpid()
        self._closed = False
        atexit.register(self.close)

    def write(self, documents: List[Dict[str, Any]]) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("PutMetricDataSink: closed; create a new ModelSignals")
            self._after_fork()
            for doc in documents:
                ts = doc["_aws"]["Timestamp"]
                for directive in doc["_aws"]["CloudWatchMetrics"]:
                    for dimension_set in directive["Dimensions"]:
                        dims = tuple((name, doc[name]) for name in dimension_set)
                        for metric in directive["Metrics"]:
                            # A high-resolution metric keeps its seconds apart: a 10-second alarm reads them.
                            res = metric.get("StorageResolution", 60)
                            key = (directive["Namespace"], metric["Name"], metric.get("Unit", "None"), dims, ts // (res * 1000), res)
                            counts = self._buffer.setdefault(key, {})
                            value = doc[metric["Name"]]
                            counts[value] = counts.get(value, 0) + 1
                            self._first_ts.setdefault(key, ts)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cdk-model-canary-put-metric-data", daemon=True)
                self._thread.start()

    def flush(self) -> None:
        """Sends everything held now, in as few requests as the limits allow."""
        with self._lock:
            buffer, first_ts = self._buffer, self._first_ts
            self._buffer, self._first_ts = {}, {}
            retry, self._retry = self._retry, []
        pending = retry + [(0, key[0], datum) for key, counts in buffer.items() for datum in _datums(key, counts, first_ts[key])]
        if not pending:
            return
        with self._send_lock:
            failed: List[Tuple[int, str, Dict[str, Any]]] = []
            for namespace, batch in _batches(pending):
                try:
                    self._client.put_metric_data(Namespace=namespace, MetricData=[d for _, _, d in batch])
                except Exception as err:  # noqa: BLE001 - a failed send must never break the model
                    _log.warning("PutMetricData of %d metrics to %s failed: %s", len(batch), namespace, err)
                    failed.extend((attempts + 1, ns, d) for attempts, ns, d in batch)
            kept = [f for f in failed if f[0] < self._max_attempts]
            if len(kept) < len(failed):
                _log.error("dropped %d metric data after %d failed PutMetricData attempts", len(failed) - len(kept), self._max_attempts)
            with self._lock:
                self._retry = kept + self._retry
                overflow = len(self._retry) - self._max_pending
                if overflow > 0:
                    del self._retry[:overflow]
                    _log.error("dropped the %d oldest unsent metric data (more than %d pending)", overflow, self._max_pending)

    def close(self) -> None:
        """Stops the background thread and sends what is left."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self._interval + 5)
        self.flush()

    def _run(self) -> None:
        while True:
            self._wake.wait(self._interval)
            with self._lock:
                if self._closed:
                    return
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - keep the thread alive
                _log.exception("PutMetricData flush failed")

    def _after_fork(self) -> None:
        # Pre-fork servers (gunicorn --preload) copy the buffer but not the thread: start afresh.
        if os.getpid() != self._pid:
            self._pid = os.getpid()
            self._thread = None
            self._buffer, self._first_ts, self._retry = {}, {}, []
            self._wake = threading.Event()


def cloudwatch_client() -> Tuple[Any, Optional[str]]:
    """boto3's CloudWatch client, or None and what is missing (boto3, a region, credentials).

    Credentials are resolved here, once, as the first send would: on SageMaker from the model's
    execution role. Nothing is sent.
    """
    try:
        import boto3  # noqa: PLC0415 - only this delivery needs it
    except ImportError:
        return None, (
            "delivery 'put_metric_data' needs boto3 (SageMaker's framework images ship it; elsewhere"
            " `pip install boto3`)"
        )
    # boto3 reads AWS_DEFAULT_REGION and the config file; AWS_REGION is what other SDKs read.
    session = boto3.session.Session(region_name=os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or None)
    if not session.region_name:
        return None, "delivery 'put_metric_data' found no AWS region: set AWS_REGION or AWS_DEFAULT_REGION"
    if session.get_credentials() is None:
        return None, (
            "delivery 'put_metric_data' found no AWS credentials: on SageMaker they come from the model's"
            " execution role; elsewhere set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    return session.client("cloudwatch"), None


def _boto3_client() -> Any:
    client, problem = cloudwatch_client()
    if client is None:
        raise RuntimeError(f"PutMetricDataSink: {problem}, or pass PutMetricDataSink(client=...).")
    return client


def _datums(key: _Key, counts: Dict[float, int], first_ts: int) -> List[Dict[str, Any]]:
    _, name, unit, dims, _, resolution = key
    values = sorted(counts)
    timestamp = datetime.fromtimestamp(first_ts / 1000, tz=timezone.utc)
    out = []
    for i in range(0, len(values), MAX_VALUES_PER_METRIC):
        chunk = values[i : i + MAX_VALUES_PER_METRIC]
        out.append(
            {
                "MetricName": name,
                "Dimensions": [{"Name": n, "Value": val} for n, val in dims],
                "Timestamp": timestamp,
                "Values": [float(x) for x in chunk],
                "Counts": [float(counts[x]) for x in chunk],
                "Unit": unit,
                **({"StorageResolution": resolution} if resolution != 60 else {}),
            }
        )
    return out


def _estimate(datum: Dict[str, Any]) -> int:
    """Upper bound of a datum's bytes in a form-encoded request (the most verbose protocol)."""
    size = 120 + len(datum["MetricName"]) + len(datum["Unit"])
    size += sum(80 + len(d["Name"]) + len(d["Value"]) * 3 for d in datum["Dimensions"])
    size += sum(100 + len(repr(x)) for x in datum["Values"] + datum["Counts"])
    return size


def _batches(pending):
    """Groups (attempts, namespace, datum) by namespace into requests within the PutMetricData limits."""
    by_namespace: Dict[str, list] = {}
    for item in pending:
        by_namespace.setdefault(item[1], []).append(item)
    for namespace, items in by_namespace.items():
        batch: list = []
        size = 0
        for item in items:
            n = _estimate(item[2])
            if batch and (len(batch) >= MAX_METRICS_PER_REQUEST or size + n > MAX_REQUEST_BYTES):
                yield namespace, batch
                batch, size = [], 0
            batch.append(item)
            size += n
        if batch:
            yield namespace, batch
