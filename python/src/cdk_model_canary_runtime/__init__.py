"""cdk-model-canary's runtime helper for Python model code.

The guards of a model canary compare the canary with the stable version on signals only the model
code sees: tokens, guardrail interventions, schema failures, response length, predicted class.
:class:`ModelSignals` records them in the metric layout of ``emf_contract.json`` (the same one the
TypeScript helper ``cdk-model-canary/runtime`` writes):

- Lambda: EMF documents on stdout (the default); CloudWatch Logs turns them into metrics.
- SageMaker containers: ``delivery="put_metric_data"`` (or env ``MODEL_CANARY_DELIVERY``), which
  sends the same metrics with boto3's ``put_metric_data`` in the background.

:class:`ModelRouter` is the application side of a config canary: it reads the routing document
from AWS AppConfig, gives each user the stable or the canary config (sticky, the rule of
:mod:`.routing`) and records each request's outcome and latency for the version served.

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
from .router import (
    APPCONFIG_AGENT_URL_ENV,
    APPCONFIG_APPLICATION_ENV,
    APPCONFIG_ENVIRONMENT_ENV,
    APPCONFIG_PROFILE_ENV,
    DEFAULT_AGENT_URL,
    DEFAULT_CONFIG_VERSION,
    ModelRouter,
)
from .routing import ROUTING_SCHEMA, Choice, bucket_of, choose, in_canary, parse_routing
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
    "APPCONFIG_AGENT_URL_ENV",
    "APPCONFIG_APPLICATION_ENV",
    "APPCONFIG_ENVIRONMENT_ENV",
    "APPCONFIG_PROFILE_ENV",
    "DEFAULT_AGENT_URL",
    "DEFAULT_CONFIG_VERSION",
    "ROUTING_SCHEMA",
    "Choice",
    "ModelRouter",
    "bucket_of",
    "choose",
    "in_canary",
    "parse_routing",
    "EmfStdoutSink",
    "ModelCanaryWarning",
    "ModelSignals",
    "PutMetricDataSink",
]

__version__ = "0.2.0"
