"""``ModelSignals``: per-request model signals as CloudWatch embedded metric format (EMF) documents.

The documents are plain JSON built from the contract (``emf_contract.json``), following
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
and they equal what the TypeScript helper (``cdk-model-canary/runtime``) writes for the same input.
"""

import json
import os
import sys
import threading
import time
import warnings
from typing import Any, Dict, IO, List, Optional, Union

from . import _validate as v
from ._contract import (
    CANARY_DIMENSION,
    CANARY_NAME_ENV,
    CANARY_STACK_ENV,
    CLASS_DIMENSION,
    DEFAULT_VERSION,
    DELIVERIES,
    DELIVERY_ENV,
    HIGH_RESOLUTION,
    HIGH_RESOLUTION_ENV,
    HIGH_RESOLUTION_METRICS,
    LAMBDA_VERSION_ENV,
    MAX_CLASS_LENGTH,
    MAX_DIMENSION_VALUE_LENGTH,
    MAX_NAMESPACE_LENGTH,
    SIGNAL_NAMESPACE,
    SIGNALS_DISABLED_ENV,
    STACK_DIMENSION,
    SWITCH_FALSE,
    SWITCH_TRUE,
    VERSION_DIMENSION,
    VERSION_ENV,
    document_layout,
)

EmfDocument = Dict[str, Any]

_REQUEST_DIMENSIONS, _REQUEST_METRICS = document_layout("request")
_PREDICTION_DIMENSIONS, _PREDICTION_METRICS = document_layout("prediction")
# Standard resolution is the EMF default; like Powertools, write StorageResolution only when it is not.
_STANDARD_RESOLUTION = 60


class ModelCanaryWarning(UserWarning):
    """A setup that works but whose signals no guard will see."""


class EmfStdoutSink:
    """Writes each document as one JSON line on stdout (or ``stream``), flushed at once.

    On Lambda, CloudWatch Logs extracts the metrics from these lines:
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Generation.html
    """

    def __init__(self, stream: Optional[IO[str]] = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def write(self, documents: List[EmfDocument]) -> None:
        # ASCII-only JSON: the same document whatever the container's stdout encoding is.
        lines = [json.dumps(d, separators=(",", ":"), ensure_ascii=True, allow_nan=False) + "\n" for d in documents]
        stream = self._stream if self._stream is not None else sys.stdout
        with self._lock:  # threaded servers: one document per line, never interleaved
            for line in lines:
                stream.write(line)
            stream.flush()

    def flush(self) -> None:
        """Nothing is held back."""

    def close(self) -> None:
        """Nothing to release."""


class ModelSignals:
    """Writes the model signals of each request, tagged with canary, stack and version.

    Create one instance at start-up and call :meth:`record` once per request::

        from cdk_model_canary_runtime import ModelSignals

        signals = ModelSignals()  # names from MODEL_CANARY_NAME / MODEL_CANARY_STACK

        def handler(event, context):
            result = classify(event["text"])
            signals.record(input_tokens=result.usage.input, output_tokens=result.usage.output,
                           schema_valid=result.valid, response_length=result.text,
                           predicted_class=result.label)
            return result.body

    Like Powertools' metrics it never stops the model from loading: without a canary or stack name
    (a unit test importing the model with no environment) it warns once and records nothing, and
    so it does when ``put_metric_data`` lacks boto3, a region or credentials.
    ``MODEL_CANARY_SIGNALS_DISABLED=true`` turns the output off, as do Powertools' switches
    (``POWERTOOLS_METRICS_DISABLED=true``, or ``POWERTOOLS_DEV=true`` unless
    ``POWERTOOLS_METRICS_DISABLED=false``). :meth:`record` checks its input either way.

    :param canary_name: the construct's ``canaryName`` (``Canary`` dimension). Default: env
        ``MODEL_CANARY_NAME``, else ``None`` and nothing is recorded (one warning).
    :param stack_name: the canary's stack (``Stack`` dimension). Default: env ``MODEL_CANARY_STACK``,
        else ``None`` and nothing is recorded (one warning).
    :param version: the version serving requests (``Version`` dimension). Default: env
        ``MODEL_CANARY_VERSION``, else ``AWS_LAMBDA_FUNCTION_VERSION``, else ``$LATEST`` with a
        :class:`ModelCanaryWarning`. On SageMaker: the production variant name.
    :param namespace: CloudWatch namespace. Default ``ModelCanary``.
    :param delivery: ``"emf"`` (EMF on stdout, for Lambda) or ``"put_metric_data"`` (CloudWatch
        PutMetricData in the background, for SageMaker containers; needs boto3, imported only then).
        Default: env ``MODEL_CANARY_DELIVERY``, else ``"emf"``.
    :param high_resolution: write Requests and Errors at 1-second resolution (``StorageResolution``
        1) for ``Guard.fastErrorRate``'s 10-second alarm; give ``error`` on every request. Default:
        env ``MODEL_CANARY_HIGH_RESOLUTION`` (the canary construct sets it when a guard needs it),
        else ``False``. With ``put_metric_data``, lower ``flush_interval_seconds`` of the sink (10 s
        by default) or the data arrives too late to help.
    :param sink: where documents go instead (an object with ``write(documents)``, ``flush()`` and
        ``close()``), e.g. a :class:`PutMetricDataSink` with options of its own.
    :raises ValueError: for a blank or too long name, version or namespace given, or an unknown delivery.
    """

    def __init__(
        self,
        canary_name: Optional[str] = None,
        stack_name: Optional[str] = None,
        version: Optional[str] = None,
        namespace: Optional[str] = None,
        delivery: Optional[str] = None,
        sink: Any = None,
        high_resolution: Optional[bool] = None,
    ) -> None:
        if high_resolution is not None and not isinstance(high_resolution, bool):
            raise TypeError(f"ModelSignals: high_resolution must be True or False, got {high_resolution!r}")
        #: Whether Requests and Errors are written at 1-second resolution.
        self.high_resolution: bool = bool(_env_flag(HIGH_RESOLUTION_ENV)) if high_resolution is None else high_resolution
        self.canary_name: Optional[str] = _resolve_name("canary_name", canary_name, CANARY_NAME_ENV)
        self.stack_name: Optional[str] = _resolve_name("stack_name", stack_name, CANARY_STACK_ENV)
        self.namespace: str = v.non_blank(
            "namespace", SIGNAL_NAMESPACE if namespace is None else namespace, MAX_NAMESPACE_LENGTH
        )
        self.delivery: str = "custom" if sink is not None else _resolve_delivery(delivery)
        named = self.canary_name is not None and self.stack_name is not None
        switched_off = _output_switched_off()
        if not named and not switched_off:
            _warn_no_names(self.canary_name, self.stack_name)
        wanted = named and not switched_off
        self.version: str = _resolve_version(version, wanted)
        # Nothing is created (no boto3 import, no client, no thread) when nothing will be written.
        self._sink = (sink if sink is not None else _default_sink(self.delivery)) if wanted else None
        #: Whether :meth:`record` writes anything (see the class description).
        self.enabled: bool = self._sink is not None
        self._dimensions = {
            CANARY_DIMENSION: self.canary_name,
            STACK_DIMENSION: self.stack_name,
            VERSION_DIMENSION: self.version,
        }

    def documents(
        self,
        *,
        input_tokens: Optional[int] = None,
        output_tokens: Optional[int] = None,
        guardrail_intervened: Optional[bool] = None,
        schema_valid: Optional[bool] = None,
        response_length: Union[int, str, None] = None,
        predicted_class: Optional[str] = None,
        error: Optional[bool] = None,
        latency_ms: Union[int, float, None] = None,
        timestamp_ms: Optional[int] = None,
    ) -> List[EmfDocument]:
        """The EMF documents :meth:`record` writes for these signals, without writing them."""
        inp = v.count("input_tokens", input_tokens)
        out = v.count("output_tokens", output_tokens)
        intervened = v.flag("guardrail_intervened", guardrail_intervened)
        valid = v.flag("schema_valid", schema_valid)
        length = v.length("response_length", response_length)
        cls = v.class_name("predicted_class", predicted_class, MAX_CLASS_LENGTH)
        failed = v.flag("error", error)
        latency = v.milliseconds("latency_ms", latency_ms)

        values: Dict[str, Union[int, float]] = {"requests": 1}
        if inp is not None:
            values["inputTokens"] = inp
        if out is not None:
            values["outputTokens"] = out
        if inp is not None or out is not None:
            values["totalTokens"] = (inp or 0) + (out or 0)
        if intervened is not None:
            values["guardrailIntervened"] = 1 if intervened else 0
        if valid is not None:
            values["schemaInvalid"] = 0 if valid else 1
        if length is not None:
            values["responseLength"] = length
        if failed is not None:
            values["errors"] = 1 if failed else 0
        if latency is not None:
            values["latency"] = latency

        ts = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        docs = [self._document(ts, _REQUEST_DIMENSIONS, _REQUEST_METRICS, values, {})]
        if cls is not None:
            docs.append(self._document(ts, _PREDICTION_DIMENSIONS, _PREDICTION_METRICS, {"prediction": 1}, {CLASS_DIMENSION: cls}))
        return docs

    def record(
        self,
        *,
        input_tokens: Optional[int] = None,
        output_tokens: Optional[int] = None,
        guardrail_intervened: Optional[bool] = None,
        schema_valid: Optional[bool] = None,
        response_length: Union[int, str, None] = None,
        predicted_class: Optional[str] = None,
        error: Optional[bool] = None,
        latency_ms: Union[int, float, None] = None,
    ) -> None:
        """Records one request: Requests = 1 and every signal given (fields left out are not written).

        Writes one document with dimensions {Canary, Stack, Version} and, when ``predicted_class`` is
        given, a second one with {Canary, Stack, Version, Class} holding Prediction = 1. ``error``
        gives Errors 0/1 and ``latency_ms`` Latency (Milliseconds); all other units are Count. The input is checked in full first, so an invalid request writes nothing.

        With the output off (:attr:`enabled` false) the input is checked all the same and nothing is written.

        :raises ValueError: a negative, fractional or non-finite count, or an empty or too long class.
        :raises TypeError: a flag that is not a bool, or a class that is not a string.
        """
        docs = self.documents(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            guardrail_intervened=guardrail_intervened,
            schema_valid=schema_valid,
            response_length=response_length,
            predicted_class=predicted_class,
            error=error,
            latency_ms=latency_ms,
        )
        if self._sink is not None:
            self._sink.write(docs)

    def flush(self) -> None:
        """Sends what the delivery holds back (PutMetricData batches); a no-op for EMF on stdout."""
        if self._sink is not None:
            self._sink.flush()

    def close(self) -> None:
        """Flushes and stops the delivery's background work. Also done at interpreter exit."""
        if self._sink is not None:
            self._sink.close()

    def _document(self, ts, dimension_names, metrics, values, extra_dimensions) -> EmfDocument:
        dims = dict(self._dimensions, **extra_dimensions)
        present = [
            (name, unit, HIGH_RESOLUTION if self.high_resolution and key in HIGH_RESOLUTION_METRICS else res, values[key])
            for key, name, unit, res in metrics
            if key in values
        ]
        definitions = []
        for name, unit, res, _ in present:
            definition: Dict[str, Any] = {"Name": name, "Unit": unit}
            if res != _STANDARD_RESOLUTION:
                definition["StorageResolution"] = res
            definitions.append(definition)
        doc: EmfDocument = {
            "_aws": {
                "Timestamp": ts,
                "CloudWatchMetrics": [
                    {"Namespace": self.namespace, "Dimensions": [list(dimension_names)], "Metrics": definitions}
                ],
            }
        }
        for name in dimension_names:
            doc[name] = dims[name]
        for name, _, _, value in present:
            doc[name] = value
        return doc


def _resolve_name(option: str, explicit: Optional[str], env_name: str) -> Optional[str]:
    """An explicit option wins; else the variable the canary construct sets; else None (see _warn_no_names)."""
    if explicit is not None:
        return v.non_blank(option, explicit, MAX_DIMENSION_VALUE_LENGTH)
    value = os.environ.get(env_name)
    if value is not None and v.js_trim(value) != "":
        return v.non_blank(env_name, value, MAX_DIMENSION_VALUE_LENGTH)
    return None


# Warnings given in this process, by code: each once, as the TypeScript helper does.
_warned = set()


def _warn_once(code: str, message: str) -> None:
    if code in _warned:
        return
    _warned.add(code)
    warnings.warn(message, ModelCanaryWarning, stacklevel=4)


def _warn_no_names(canary_name: Optional[str], stack_name: Optional[str]) -> None:
    missing = ([f"{CANARY_NAME_ENV} (or the `canary_name` argument)"] if canary_name is None else []) + (
        [f"{CANARY_STACK_ENV} (or the `stack_name` argument)"] if stack_name is None else []
    )
    _warn_once(
        "MODEL_CANARY_NO_NAME",
        f"ModelSignals: no {' and no '.join(missing)}, so no signals are recorded. The canary construct sets both on the"
        " model it releases; in a SageMaker container set them yourself. In unit tests this is expected:"
        f" set {SIGNALS_DISABLED_ENV}=true to silence this warning.",
    )


def _env_flag(name: str) -> Optional[bool]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    value = raw.strip().lower()
    if value in SWITCH_TRUE:
        return True
    if value in SWITCH_FALSE:
        return False
    _warn_once(f"MODEL_CANARY_BAD_SWITCH_{name}", f"ModelSignals: {name}={json.dumps(raw)} is not true or false; it is ignored.")
    return None


def _output_switched_off() -> bool:
    """MODEL_CANARY_SIGNALS_DISABLED, or Powertools' rule: POWERTOOLS_METRICS_DISABLED, else POWERTOOLS_DEV."""
    if _env_flag(SIGNALS_DISABLED_ENV):
        return True
    metrics_disabled = _env_flag("POWERTOOLS_METRICS_DISABLED")
    if metrics_disabled is not None:
        return metrics_disabled
    return bool(_env_flag("POWERTOOLS_DEV"))


def _resolve_version(explicit: Optional[str], enabled: bool) -> str:
    if explicit is not None:
        return v.non_blank("version", explicit, MAX_DIMENSION_VALUE_LENGTH)
    for name in (VERSION_ENV, LAMBDA_VERSION_ENV):
        value = os.environ.get(name)
        if value is not None and v.js_trim(value) != "":
            return v.non_blank(name, value, MAX_DIMENSION_VALUE_LENGTH)
    # A container missing its variable: say so once, since on a SageMaker endpoint the guards would
    # then see no canary signals.
    if enabled:
        _warn_once(
            "MODEL_CANARY_DEFAULT_VERSION",
            f"ModelSignals: neither {VERSION_ENV} nor {LAMBDA_VERSION_ENV} is set, so signals are recorded as version"
            f' "{DEFAULT_VERSION}", which no guard selects on. On a SageMaker endpoint set {VERSION_ENV} to the'
            " production variant name (cdk-model-canary names each variant after its model), or pass `version`.",
        )
    return DEFAULT_VERSION


def _resolve_delivery(explicit: Optional[str]) -> str:
    value = explicit if explicit is not None else (os.environ.get(DELIVERY_ENV) or "").strip() or "emf"
    if value not in DELIVERIES:
        source = "delivery" if explicit is not None else DELIVERY_ENV
        raise ValueError(f"ModelSignals: {source} must be one of {', '.join(DELIVERIES)}, got {v.describe(value)}")
    return value


def _default_sink(delivery: str) -> Any:
    """The delivery's sink; None (one warning) when put_metric_data lacks boto3, a region or credentials."""
    if delivery == "put_metric_data":
        from .put_metric_data import PutMetricDataSink, cloudwatch_client  # boto3 is loaded only on this path

        client, problem = cloudwatch_client()
        if client is None:
            _warn_once("MODEL_CANARY_PUT_METRIC_DATA", f"ModelSignals: {problem}, so no signals are recorded.")
            return None
        return PutMetricDataSink(client=client)
    return EmfStdoutSink()
