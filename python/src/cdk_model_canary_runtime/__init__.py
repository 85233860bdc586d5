"""cdk-model-canary's runtime helper for Python model code.

The guards of a model canary compare the canary with the stable version on signals only the model
code sees: tokens, guardrail interventions, schema failures, response length, predicted class.
:class:`ModelSignals` records them in the metric layout of ``emf_contract.json`` (the same one the
TypeScript helper ``cdk-model-canary/runtime`` writes):

- Lambda: EMF documents on stdout (the default); CloudWatch Logs turns them into metrics.
- SageMaker containers: ``delivery="put_metric_data"`` (or env ``MODEL_CANARY_DELIVERY``), which
  sends the same metrics with boto3's ``put_metric_data`` in the background.

Importing this package loads nothing outside the standard library.
"""

from ._contract import (
    CANARY_DIMENSION,
    CANARY_NAME_ENV,
    CANARY_STACK_ENV,
    CLASS_DIMENSION,
    CONTRACT,
    DEFAULT_VERSION,
    DELIVERY_ENV,
    LAMBDA_VERSION_ENV,
    MAX_CLASS_LENGTH,
    SIGNAL_NAMESPACE,
    SIGNALS,
    STACK_DIMENSION,
    VERSION_DIMENSION,
    VERSION_ENV,
)
from .signals import EmfStdoutSink, ModelCanaryWarning, ModelSignals


def __getattr__(name):  # PutMetricDataSink on first use only: keeps `import` free of threads and atexit hooks
    if name == "PutMetricDataSink":
        from .put_metric_data import PutMetricDataSink

        return PutMetricDataSink
    raise AttributeError(name)


__all__ = [
    "CANARY_DIMENSION",
    "CANARY_NAME_ENV",
    "CANARY_STACK_ENV",
    "CLASS_DIMENSION",
    "CONTRACT",
    "DEFAULT_VERSION",
    "DELIVERY_ENV",
    "LAMBDA_VERSION_ENV",
    "MAX_CLASS_LENGTH",
    "SIGNAL_NAMESPACE",
    "SIGNALS",
    "STACK_DIMENSION",
    "VERSION_DIMENSION",
    "VERSION_ENV",
    "EmfStdoutSink",
    "ModelCanaryWarning",
    "ModelSignals",
    "PutMetricDataSink",
]

__version__ = "0.2.0"
