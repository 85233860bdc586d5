"""The example's SageMaker model: a toy summarizer standing in for a real PyTorch one.

It goes into the model archive as ``code/inference.py``, with ``code/requirements.txt``
(bin/model/requirements.txt) naming the helper's wheel beside it; ``npm run build`` writes that
archive to assets/example-models/summarizer/model.tar.gz. The SageMaker PyTorch inference toolkit
calls model_fn once, then input_fn, predict_fn and output_fn per request.
https://sagemaker.readthedocs.io/en/stable/frameworks/pytorch/using_pytorch.html#the-serve-function

Every request records the signals the canary guards (tokens, guardrail, schema, length, class).
Canary, stack, variant and delivery come from MODEL_CANARY_NAME, MODEL_CANARY_STACK,
MODEL_CANARY_VERSION and MODEL_CANARY_DELIVERY, which bin/example-stack.ts puts in the container's
environment. SageMaker containers send them with CloudWatch PutMetricData: AWS documents no EMF
extraction from an endpoint's logs. The model role needs SageMakerModelCanary.grantPutModelSignals.
"""

import json
import re

from cdk_model_canary_runtime import ModelSignals

# Once per worker process, at import: the sender batches in the background and flushes at exit.
signals = ModelSignals(delivery="put_metric_data")

SUMMARY_WORDS = 30
# A stand-in for a guardrail: requests it refuses to summarize.
BLOCKED = re.compile(r"\b(password|credit card)\b", re.IGNORECASE)


def _tokens(text):
    # Whitespace tokens: a real model reports its tokenizer's counts.
    return len(text.split())


def model_fn(model_dir):
    """Loads the model from the unpacked archive; the toy needs only its settings."""
    return {"max_words": SUMMARY_WORDS, "model_dir": model_dir}


def input_fn(request_body, request_content_type="application/json"):
    if request_content_type != "application/json":
        raise ValueError(f"Unsupported content type {request_content_type}: send application/json")
    if isinstance(request_body, (bytes, bytearray)):
        request_body = request_body.decode("utf-8")
    payload = json.loads(request_body)
    text = payload.get("inputs") if isinstance(payload, dict) else None
    if not isinstance(text, str):
        raise ValueError('Send {"inputs": "<text to summarize>"}')
    return text


def predict_fn(input_data, model):
    blocked = bool(BLOCKED.search(input_data))
    if blocked:
        label, text = "refusal", "I can't summarize text that contains credentials."
    else:
        label, text = "summary", " ".join(input_data.split()[: model["max_words"]])
    response = {"label": label, "summary_text": text}
    signals.record(
        input_tokens=_tokens(input_data),
        output_tokens=_tokens(text),
        guardrail_intervened=blocked,
        schema_valid=isinstance(response["summary_text"], str) and response["label"] in ("summary", "refusal"),
        response_length=text,
        predicted_class=label,
    )
    return response


def output_fn(prediction, accept="application/json"):
    return json.dumps(prediction)
