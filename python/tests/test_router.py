"""ModelRouter against a local AppConfig Agent (and a local AppConfigData endpoint for boto3)."""

import json
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

import cdk_model_canary_runtime as rt
from cdk_model_canary_runtime import ModelCanaryWarning, ModelRouter, bucket_of

SCHEMA = "cdk-model-canary/routing@1"
AGENT_PATH = "/applications/shop/environments/prod/configurations/model"
ROUTER_ENV = [rt.APPCONFIG_APPLICATION_ENV, rt.APPCONFIG_ENVIRONMENT_ENV, rt.APPCONFIG_PROFILE_ENV, rt.APPCONFIG_AGENT_URL_ENV]


def doc(percent, stable="cfg-1", canary="cfg-2", side="low"):
    return {"schema": SCHEMA, "salt": canary, "stable": {"version": stable, "config": {"modelId": stable}},
            "canary": {"version": canary, "config": {"modelId": canary}}, "canaryPercent": percent, "canarySide": side}


class Store:
    """What the fake agent serves: a status and a body, changed by the test; the paths it was asked."""

    def __init__(self):
        self.status, self.body, self.paths, self.token = 200, json.dumps(doc(50)), [], 0


@pytest.fixture(autouse=True)
def no_router_env(monkeypatch):
    for key in ROUTER_ENV:
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
def store():
    state = Store()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def reply(self, status, body, headers=()):
            data = body.encode()
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802 - the agent, and AppConfigData's GetLatestConfiguration
            state.paths.append(self.path)
            url = urlparse(self.path)
            if url.path == "/configuration":  # AppConfigData: empty body when the token already saw this body
                token = parse_qs(url.query)["configuration_token"][0]
                seen = token.startswith("seen:") and token[5:] == state.body
                state.token += 1
                headers = [("Next-Poll-Configuration-Token", f"seen:{state.body}"), ("Next-Poll-Interval-In-Seconds", "0"),
                           ("Content-Type", "application/json")]
                return self.reply(200, "" if seen else state.body, headers)
            self.reply(state.status, state.body if state.status == 200 else "boom")

        def do_POST(self):  # noqa: N802 - AppConfigData's StartConfigurationSession
            state.paths.append(self.path)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.reply(201, json.dumps({"InitialConfigurationToken": "first"}), [("Content-Type", "application/json")])

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def agent_router(store, **kw):
    return ModelRouter(application="shop", environment="prod", profile="model", agent_url=store.url, **kw)


def docs_from(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def metrics(d):
    return {m["Name"]: d[m["Name"]] for m in d["_aws"]["CloudWatchMetrics"][0]["Metrics"]}


def test_reads_the_agent_path_and_routes_by_the_document(store):
    router = agent_router(store)
    choices = {u: router.choose(u) for u in (f"u{i}" for i in range(200))}
    assert store.paths == [AGENT_PATH]  # one read, cached
    for user, choice in choices.items():
        assert choice.variant == ("canary" if bucket_of("cfg-2", user) < 50 else "stable")
        assert choice.config == {"modelId": choice.version}


def test_refreshes_after_refresh_seconds_and_keeps_the_last_good_document(store):
    router = agent_router(store, refresh_seconds=0.2)
    assert router.choose("u1").version in ("cfg-1", "cfg-2")
    store.body = json.dumps(doc(100))
    assert router.choose("u1").version != "cfg-2" or bucket_of("cfg-2", "u1") < 50  # still cached
    time.sleep(0.25)
    assert router.choose("u1").version == "cfg-2"  # read again
    assert len(store.paths) == 2

    for status, body in [(500, "boom"), (200, "{not json"), (200, json.dumps({"schema": "other"}))]:
        store.status, store.body = status, body
        time.sleep(0.25)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert all(router.choose(f"u{i}").version == "cfg-2" for i in range(20))
        assert len([w for w in caught if issubclass(w.category, ModelCanaryWarning)]) == (1 if status == 500 else 0)  # once per streak
    store.status, store.body = 200, json.dumps(doc(0))
    time.sleep(0.25)
    assert router.choose("u1").version == "cfg-1"  # recovered


def test_a_store_down_from_the_start_serves_the_default_config(store):
    store.status = 503
    with pytest.warns(ModelCanaryWarning, match="default_config is served"):
        choice = agent_router(store, default_config={"modelId": "fallback"}).choose("u1")
    assert (choice.variant, choice.version, choice.config) == ("stable", "default", {"modelId": "fallback"})
    with pytest.warns(ModelCanaryWarning):
        with pytest.raises(RuntimeError, match="default_config"):
            agent_router(store).choose("u1")


def test_sticky_across_two_router_instances(store):
    a, b = agent_router(store), agent_router(store)
    assert [a.choose(f"u{i}").version for i in range(300)] == [b.choose(f"u{i}").version for i in range(300)]


def test_no_environment_constructs_with_a_warning(capsys):
    with pytest.warns(ModelCanaryWarning, match="MODEL_CANARY_APPCONFIG_APPLICATION"):
        router = ModelRouter()
    with pytest.raises(RuntimeError, match="Set MODEL_CANARY_APPCONFIG_APPLICATION"):
        router.choose("u1")
    choice = ModelRouter(default_config="x").choose()  # the warning is given once per process
    assert (choice.version, choice.config) == ("default", "x")
    with pytest.warns(ModelCanaryWarning, match="no signals are recorded"):
        ModelRouter(default_config="x").run("u1", lambda c: c.config)
    assert capsys.readouterr().out == ""


def test_run_and_request_record_requests_errors_and_latency_for_the_version(capsys):
    router = ModelRouter(document=doc(50), signals={"canary_name": "c", "stack_name": "s"})
    canary_user = next(u for u in (f"u{i}" for i in range(100)) if bucket_of("cfg-2", u) < 50)
    assert router.run(canary_user, lambda c: (time.sleep(0.02), c.version)[1]) == "cfg-2"
    with pytest.raises(KeyError):
        with router.request("u-fail") as choice:
            router.record(choice, input_tokens=10, output_tokens=5, error=False)  # the block's outcome wins
            raise KeyError("model down")
    ok, failed = docs_from(capsys)
    assert (ok["Canary"], ok["Stack"], ok["Version"]) == ("c", "s", "cfg-2")
    assert metrics(ok)["Requests"] == 1 and metrics(ok)["Errors"] == 0 and metrics(ok)["Latency"] >= 20
    assert failed["Version"] == choice.version
    m = metrics(failed)
    assert (m["Requests"], m["Errors"], m["InputTokens"], m["TotalTokens"]) == (1, 1, 10, 15)  # one document
    assert [d["Unit"] for d in failed["_aws"]["CloudWatchMetrics"][0]["Metrics"] if d["Name"] == "Latency"] == ["Milliseconds"]


def test_a_handled_failure_marked_with_record_counts_as_an_error(capsys):
    router = ModelRouter(document=doc(0), signals={"canary_name": "c", "stack_name": "s"})
    with router.request("u1") as choice:
        router.record(choice, error=True)  # caught the model's error, answered with a fallback
    with router.request("u2") as choice:
        router.record(choice, error=False)
    failed, ok = docs_from(capsys)
    assert (metrics(failed)["Errors"], metrics(ok)["Errors"]) == (1, 0)


def test_record_outside_a_request_writes_one_request_and_checks_its_input(capsys):
    signals = rt.ModelSignals(canary_name="c", stack_name="s", version="ignored")
    router = ModelRouter(document=doc(0), signals=signals)
    choice = router.choose("u1")
    router.record(choice, guardrail_intervened=True)
    (d,) = docs_from(capsys)
    assert (d["Version"], metrics(d)) == ("cfg-1", {"Requests": 1, "GuardrailIntervened": 1})
    with pytest.raises(ValueError, match="input_tokens must"):
        with router.request("u1") as c:
            router.record(c, input_tokens=-1)
    (d,) = docs_from(capsys)  # the request itself is still recorded, as failed
    assert metrics(d)["Errors"] == 1


def test_sdk_source_reads_appconfigdata_and_treats_an_empty_configuration_as_unchanged(store, monkeypatch):
    pytest.importorskip("boto3")
    monkeypatch.setenv("AWS_ENDPOINT_URL_APPCONFIGDATA", store.url)
    for k, v in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    router = ModelRouter(application="shop", environment="prod", profile="model", source="sdk", refresh_seconds=0)
    first = router.choose("u1")
    assert router.choose("u1") == first  # the second poll answered empty: the document is kept
    assert [p.split("?")[0] for p in store.paths] == ["/configurationsessions", "/configuration", "/configuration"]
    store.body = json.dumps(doc(100))
    assert router.choose("u1").version == "cfg-2"
