import io
import json
import subprocess
import sys
import time
import warnings

import pytest

import cdk_model_canary_runtime as rt
from cdk_model_canary_runtime import ModelSignals, signals as signals_module

REQUEST_DIMS = [["Canary", "Stack", "Version"]]
CLASS_DIMS = [["Canary", "Stack", "Version", "Class"]]


def docs_from(capsys):
    """Every stdout line parsed as JSON: fails on anything that is not a JSON document."""
    out = capsys.readouterr().out
    assert out == "" or out.endswith("\n")
    return [json.loads(line) for line in out.splitlines()]


def directive(doc):
    assert len(doc["_aws"]["CloudWatchMetrics"]) == 1
    return doc["_aws"]["CloudWatchMetrics"][0]


def values(doc):
    return {m["Name"]: doc[m["Name"]] for m in directive(doc)["Metrics"]}


def make(**kw):
    return ModelSignals(**{"canary_name": "c", "stack_name": "s", "version": "1", **kw})


class TestRecord:
    def test_every_signal_gives_a_request_and_a_prediction_document(self, capsys):
        before = int(time.time() * 1000)
        ModelSignals(canary_name="SentimentCanary", stack_name="ProdStack", version="7").record(
            input_tokens=120, output_tokens=35, guardrail_intervened=True, schema_valid=False,
            response_length=512, predicted_class="positive",
        )
        main, cls = docs_from(capsys)
        m = directive(main)
        assert m["Namespace"] == "ModelCanary"
        assert m["Dimensions"] == REQUEST_DIMS
        assert m["Metrics"] == [{"Name": n, "Unit": "Count"} for n in
                                ["Requests", "InputTokens", "OutputTokens", "TotalTokens", "GuardrailIntervened", "SchemaInvalid", "ResponseLength"]]
        assert (main["Canary"], main["Stack"], main["Version"]) == ("SentimentCanary", "ProdStack", "7")
        assert values(main) == {"Requests": 1, "InputTokens": 120, "OutputTokens": 35, "TotalTokens": 155,
                                "GuardrailIntervened": 1, "SchemaInvalid": 1, "ResponseLength": 512}
        assert before <= main["_aws"]["Timestamp"] <= int(time.time() * 1000)
        assert sorted(main) == sorted(["_aws", "Canary", "Stack", "Version"] + [x["Name"] for x in m["Metrics"]])

        c = directive(cls)
        assert c["Dimensions"] == CLASS_DIMS
        assert c["Metrics"] == [{"Name": "Prediction", "Unit": "Count"}]
        assert {k: cls[k] for k in ["Canary", "Stack", "Version", "Class", "Prediction"]} == {
            "Canary": "SentimentCanary", "Stack": "ProdStack", "Version": "7", "Class": "positive", "Prediction": 1}
        assert sorted(cls) == sorted(["_aws", "Canary", "Class", "Prediction", "Stack", "Version"])

    def test_metric_names_are_the_contracts(self, capsys):
        make().record(input_tokens=1, output_tokens=1, guardrail_intervened=False, schema_valid=True,
                      response_length=1, predicted_class="x", error=False, latency_ms=1)
        names = [m["Name"] for d in docs_from(capsys) for m in directive(d)["Metrics"]]
        assert sorted(names) == sorted(rt.SIGNALS.values())
        assert rt.SIGNALS == {k: m["name"] for k, m in rt.CONTRACT["metrics"].items()}

    def test_outcome_and_latency(self, capsys):
        make().record(error=True, latency_ms=12.5)
        make().record(error=False, latency_ms=0)
        failed, ok = docs_from(capsys)
        assert directive(failed)["Metrics"] == [{"Name": "Requests", "Unit": "Count"}, {"Name": "Errors", "Unit": "Count"},
                                                {"Name": "Latency", "Unit": "Milliseconds"}]
        assert values(failed) == {"Requests": 1, "Errors": 1, "Latency": 12.5}
        assert values(ok) == {"Requests": 1, "Errors": 0, "Latency": 0}

    def test_high_resolution_counts_by_argument_or_variable(self, capsys, monkeypatch):
        high = {rt.CONTRACT["metrics"][k]["name"] for k in rt.CONTRACT["highResolution"]["metrics"]}
        res = rt.CONTRACT["highResolution"]["storageResolution"]

        def resolutions():
            (doc,) = docs_from(capsys)
            return {m["Name"]: m.get("StorageResolution") for m in directive(doc)["Metrics"]}

        make(high_resolution=True).record(error=False, latency_ms=3, input_tokens=2)
        got = resolutions()
        assert {n for n, r in got.items() if r == res} == high
        assert all(r is None for n, r in got.items() if n not in high)
        make().record(error=True)
        assert set(resolutions().values()) == {None}
        monkeypatch.setenv(rt.CONTRACT["environment"]["highResolution"], "true")
        make().record(error=True)
        assert {n for n, r in resolutions().items() if r == res} == high
        make(high_resolution=False).record(error=True)  # the argument wins
        assert set(resolutions().values()) == {None}
        with pytest.raises(TypeError, match="high_resolution"):
            make(high_resolution="yes")

    @pytest.mark.parametrize("kwargs", [{"error": 1}, {"latency_ms": -1}, {"latency_ms": float("nan")}, {"latency_ms": True}, {"latency_ms": "5"}])
    def test_bad_outcome_or_latency_writes_nothing(self, capsys, kwargs):
        with pytest.raises((TypeError, ValueError), match=f"{next(iter(kwargs))} must"):
            make().record(**kwargs)
        assert capsys.readouterr().out == ""

    def test_false_flags_are_zero(self, capsys):
        make().record(guardrail_intervened=False, schema_valid=True)
        (doc,) = docs_from(capsys)
        assert values(doc) == {"Requests": 1, "GuardrailIntervened": 0, "SchemaInvalid": 0}

    def test_fields_left_out_are_not_written(self, capsys):
        make().record()
        (doc,) = docs_from(capsys)
        assert directive(doc)["Metrics"] == [{"Name": "Requests", "Unit": "Count"}]

    def test_total_tokens_is_the_sum_of_those_given(self, capsys):
        s = make()
        s.record(input_tokens=40)
        s.record(output_tokens=9)
        s.record(input_tokens=0, output_tokens=0)
        assert [values(d) for d in docs_from(capsys)] == [
            {"Requests": 1, "InputTokens": 40, "TotalTokens": 40},
            {"Requests": 1, "OutputTokens": 9, "TotalTokens": 9},
            {"Requests": 1, "InputTokens": 0, "OutputTokens": 0, "TotalTokens": 0},
        ]

    def test_integral_floats_count_as_integers(self, capsys):
        make().record(input_tokens=3.0)
        (doc,) = docs_from(capsys)
        assert doc["InputTokens"] == 3 and isinstance(doc["InputTokens"], int)

    def test_a_response_text_is_counted_in_code_points(self, capsys):
        s = make()
        s.record(response_length="h\u00e9llo \U0001F600")
        s.record(response_length="")
        assert [d["ResponseLength"] for d in docs_from(capsys)] == [7, 0]

    def test_the_class_is_trimmed_as_javascript_trims(self, capsys):
        s = make()
        s.record(predicted_class="  negative \n\ufeff")
        # U+0085 is whitespace to str.strip but not to String.prototype.trim.
        s.record(predicted_class="\x85neutral")
        docs = docs_from(capsys)
        assert [d.get("Class") for d in docs] == [None, "negative", None, "\x85neutral"]

    def test_class_length_counts_utf16_units_like_typescript(self, capsys):
        make().record(predicted_class="k" * 255)
        assert docs_from(capsys)[1]["Class"] == "k" * 255
        with pytest.raises(ValueError, match="1 to 255 characters after trimming, got 256"):
            make().record(predicted_class="\U0001F600" * 128)  # 128 code points, 256 UTF-16 units

    def test_custom_namespace(self, capsys):
        make(namespace="Team/Models").record(predicted_class="a")
        assert [directive(d)["Namespace"] for d in docs_from(capsys)] == ["Team/Models", "Team/Models"]

    def test_each_line_is_ascii_json(self, capsys):
        make().record(predicted_class="caf\u00e9")
        out = capsys.readouterr().out
        assert out.isascii()
        assert json.loads(out.splitlines()[1])["Class"] == "caf\u00e9"

    def test_written_at_once_to_the_stream_given(self):
        stream = io.StringIO()
        s = make(sink=rt.EmfStdoutSink(stream))
        s.record(input_tokens=1)
        assert len(stream.getvalue().splitlines()) == 1
        s.record(input_tokens=2, predicted_class="a")
        assert len(stream.getvalue().splitlines()) == 3


class TestVersion:
    def test_from_model_canary_version(self, monkeypatch):
        monkeypatch.setenv("MODEL_CANARY_VERSION", "sentiment-model-v2")
        assert ModelSignals(canary_name="c", stack_name="s").version == "sentiment-model-v2"

    def test_from_lambda_version_when_model_canary_version_is_unset_or_blank(self, monkeypatch):
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_VERSION", "12")
        assert ModelSignals(canary_name="c", stack_name="s").version == "12"
        monkeypatch.setenv("MODEL_CANARY_VERSION", " ")
        assert ModelSignals(canary_name="c", stack_name="s").version == "12"
        monkeypatch.setenv("MODEL_CANARY_VERSION", "variant-b")
        assert ModelSignals(canary_name="c", stack_name="s").version == "variant-b"

    def test_the_argument_wins(self, monkeypatch):
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_VERSION", "12")
        monkeypatch.setenv("MODEL_CANARY_VERSION", "variant-b")
        assert ModelSignals(canary_name="c", stack_name="s", version="explicit").version == "explicit"

    def test_no_version_anywhere_is_latest_with_one_warning(self):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            a = ModelSignals(canary_name="c", stack_name="s")
            ModelSignals(canary_name="c", stack_name="s")
        assert a.version == "$LATEST" == rt.DEFAULT_VERSION
        assert len(caught) == 1
        assert issubclass(caught[0].category, rt.ModelCanaryWarning)
        text = str(caught[0].message)
        assert "MODEL_CANARY_VERSION" in text and "AWS_LAMBDA_FUNCTION_VERSION" in text and "production variant name" in text


class TestNames:
    def test_from_the_environment(self, monkeypatch, capsys):
        monkeypatch.setenv("MODEL_CANARY_NAME", "SentimentCanary")
        monkeypatch.setenv("MODEL_CANARY_STACK", "ProdStack")
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_VERSION", "9")
        ModelSignals().record(predicted_class="a")
        assert [(d["Canary"], d["Stack"], d["Version"]) for d in docs_from(capsys)] == [("SentimentCanary", "ProdStack", "9")] * 2

    def test_arguments_win(self, monkeypatch):
        monkeypatch.setenv("MODEL_CANARY_NAME", "FromEnv")
        monkeypatch.setenv("MODEL_CANARY_STACK", "EnvStack")
        s = ModelSignals(canary_name="Explicit", stack_name="ExplicitStack", version="1")
        assert (s.canary_name, s.stack_name) == ("Explicit", "ExplicitStack")

    def test_a_blank_variable_counts_as_missing(self, monkeypatch, capsys):
        monkeypatch.setenv("MODEL_CANARY_NAME", "c")
        monkeypatch.setenv("MODEL_CANARY_STACK", "  ")
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            s = ModelSignals(version="1")
        assert s.enabled is False and s.stack_name is None

    @pytest.mark.parametrize("kw, match", [
        ({"canary_name": ""}, "canary_name must be a non-blank string"),
        ({"canary_name": " "}, "canary_name"),
        ({"stack_name": ""}, "stack_name must be a non-blank string"),
        ({"version": ""}, "version must be a non-blank string"),
        ({"namespace": ""}, "namespace"),
        ({"namespace": "n" * 256}, "at most 255"),
        ({"canary_name": "c" * 1025}, "at most 1024"),
        ({"delivery": "carrier-pigeon"}, "delivery must be one of emf, put_metric_data"),
    ])
    def test_constructor_arguments_are_checked(self, kw, match):
        with pytest.raises(ValueError, match=match):
            make(**kw)

    def test_a_bad_delivery_variable_names_it(self, monkeypatch):
        monkeypatch.setenv("MODEL_CANARY_DELIVERY", "stdout")
        with pytest.raises(ValueError, match="MODEL_CANARY_DELIVERY must be one of"):
            make()


class TestWithoutItsEnvironment:
    """A model's unit tests import it with no environment: it loads, warns once and records nothing."""

    def test_no_names_constructs_warns_once_and_records_nothing(self, capsys):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            s = ModelSignals()
            ModelSignals()
            s.record(input_tokens=3, predicted_class="a")
            s.flush()
            s.close()
        assert s.enabled is False and (s.canary_name, s.stack_name) == (None, None)
        assert capsys.readouterr().out == ""
        assert len(caught) == 1 and issubclass(caught[0].category, rt.ModelCanaryWarning)
        text = str(caught[0].message)
        assert "no MODEL_CANARY_NAME (or the `canary_name` argument) and no MODEL_CANARY_STACK" in text
        assert "no signals are recorded" in text and "MODEL_CANARY_SIGNALS_DISABLED=true" in text

    def test_one_name_missing_records_nothing_and_names_only_that_one(self, monkeypatch, capsys):
        monkeypatch.setenv("MODEL_CANARY_NAME", "SentimentCanary")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            s = ModelSignals(version="1")
            s.record()
        assert s.enabled is False and capsys.readouterr().out == ""
        assert [str(w.message).split(",")[0] for w in caught] == ["ModelSignals: no MODEL_CANARY_STACK (or the `stack_name` argument)"]

    def test_a_bad_signal_still_raises_with_the_output_off(self):
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            s = ModelSignals()
        with pytest.raises(ValueError, match="input_tokens must be a non-negative integer"):
            s.record(input_tokens=-1)
        with pytest.raises(TypeError, match="schema_valid must be True or False"):
            s.record(schema_valid="yes")

    @pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes", " on "])
    def test_the_switch_turns_the_output_off_without_a_warning(self, monkeypatch, capsys, value):
        monkeypatch.setenv("MODEL_CANARY_SIGNALS_DISABLED", value)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            named = make()
            unnamed = ModelSignals()
            named.record(input_tokens=1)
            unnamed.record(input_tokens=1)
        assert (named.enabled, unnamed.enabled) == (False, False)
        assert capsys.readouterr().out == ""
        assert caught == []

    @pytest.mark.parametrize("env, writes", [
        ({"MODEL_CANARY_SIGNALS_DISABLED": "false"}, True),
        ({"POWERTOOLS_METRICS_DISABLED": "true"}, False),
        ({"POWERTOOLS_DEV": "true"}, False),
        ({"POWERTOOLS_DEV": "true", "POWERTOOLS_METRICS_DISABLED": "false"}, True),
        ({"POWERTOOLS_METRICS_DISABLED": "false", "MODEL_CANARY_SIGNALS_DISABLED": "true"}, False),
    ])
    def test_powertools_switches_apply_as_in_powertools_and_ours_adds_an_off(self, monkeypatch, capsys, env, writes):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        s = make()
        s.record(input_tokens=1)
        assert s.enabled is writes
        assert len(docs_from(capsys)) == (1 if writes else 0)

    def test_a_switch_neither_true_nor_false_is_ignored_with_a_warning(self, monkeypatch, capsys):
        monkeypatch.setenv("MODEL_CANARY_SIGNALS_DISABLED", "sometimes")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            s = make()
            s.record()
        assert s.enabled is True and len(docs_from(capsys)) == 1
        assert [str(w.message) for w in caught] == ['ModelSignals: MODEL_CANARY_SIGNALS_DISABLED="sometimes" is not true or false; it is ignored.']


class TestValidation:
    @pytest.mark.parametrize("field, value", [
        ("input_tokens", -1), ("input_tokens", float("nan")), ("input_tokens", float("inf")), ("input_tokens", 1.5),
        ("input_tokens", "12"), ("input_tokens", True), ("input_tokens", 2**53), ("output_tokens", -3),
        ("response_length", -10), ("response_length", float("nan")),
    ])
    def test_bad_counts_are_rejected_and_nothing_is_written(self, field, value, capsys):
        with pytest.raises(ValueError, match=f"{field} must be a non-negative integer"):
            make().record(**{field: value})
        assert capsys.readouterr().out == ""

    @pytest.mark.parametrize("field, value", [("guardrail_intervened", "yes"), ("schema_valid", 1)])
    def test_flags_must_be_bools(self, field, value, capsys):
        with pytest.raises(TypeError, match=f"{field} must be True or False"):
            make().record(**{field: value})
        assert capsys.readouterr().out == ""

    def test_bad_classes_are_rejected_before_the_request_document(self, capsys):
        with pytest.raises(ValueError, match="predicted_class must be 1 to 255 characters"):
            make().record(input_tokens=1, predicted_class="   ")
        with pytest.raises(ValueError, match="predicted_class must be 1 to 255 characters"):
            make().record(predicted_class="k" * 256)
        with pytest.raises(TypeError, match="predicted_class must be a string"):
            make().record(predicted_class=3)
        assert capsys.readouterr().out == ""

    def test_positional_arguments_are_refused(self):
        with pytest.raises(TypeError):
            make().record(1, 2)  # noqa - which is input and which output would be a guess


def test_import_loads_nothing_outside_the_standard_library():
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import cdk_model_canary_runtime;"
        "print(sorted(m for m in ('boto3', 'botocore') if m in sys.modules))"
    )
    src = str(__import__("pathlib").Path(rt.__file__).parents[1])
    out = subprocess.run([sys.executable, "-c", script, src], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"
