"""``ModelRouter``: the application side of a config canary.

It reads the routing document the workflow deploys to AWS AppConfig, gives each user the stable or
the canary config (sticky, by :mod:`.routing`'s rule, the same as the TypeScript router's) and
records each request's outcome and latency for the version that served it, so the guards can
compare the two. The twin of ``ModelRouter`` in ``cdk-model-canary/runtime``.
"""

import contextlib
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from typing import Any, Callable, Dict, Iterator, Optional, TypeVar, Union

from .routing import Choice, RoutingDocument, check_routing, choose, parse_routing
from .signals import ModelCanaryWarning, ModelSignals, _warn_once

APPCONFIG_APPLICATION_ENV = "MODEL_CANARY_APPCONFIG_APPLICATION"
APPCONFIG_ENVIRONMENT_ENV = "MODEL_CANARY_APPCONFIG_ENVIRONMENT"
APPCONFIG_PROFILE_ENV = "MODEL_CANARY_APPCONFIG_PROFILE"
APPCONFIG_AGENT_URL_ENV = "MODEL_CANARY_APPCONFIG_AGENT_URL"
#: The AppConfig Agent's default address (Lambda extension and container sidecar alike).
DEFAULT_AGENT_URL = "http://localhost:2772"
#: The version of ``default_config``: the Version dimension of what it serves.
DEFAULT_CONFIG_VERSION = "default"
# A timeout on each read, so a hung store delays a request by at most this much.
_READ_TIMEOUT_S = 3.0
_UNCHANGED = object()

T = TypeVar("T")


class ModelRouter:
    """Picks the stable or canary config per user and records each request for the version served.

    ::

        router = ModelRouter(default_config={"modelId": "anthropic.claude-3-haiku"})

        with router.request(user_id) as choice:
            answer = invoke(choice.config, prompt)

    :param application: AppConfig application, name or id. Default: env ``MODEL_CANARY_APPCONFIG_APPLICATION``.
    :param environment: AppConfig environment. Default: env ``MODEL_CANARY_APPCONFIG_ENVIRONMENT``.
    :param profile: AppConfig configuration profile. Default: env ``MODEL_CANARY_APPCONFIG_PROFILE``.
    :param agent_url: the AppConfig Agent. Default: env ``MODEL_CANARY_APPCONFIG_AGENT_URL``, else
        ``http://localhost:2772``.
    :param source: ``"agent"`` (the AppConfig Agent over HTTP, the default) or ``"sdk"`` (boto3's
        ``appconfigdata`` client, imported only then).
    :param document: a routing document given directly (tests, local runs): nothing is read.
    :param refresh_seconds: how long a read document is used before :meth:`choose` reads it again
        (default 30). A rollout step reaches this process at most this much later; a failed read is
        retried after it too. With ``sdk``, AppConfig's NextPollIntervalInSeconds is waited for when longer.
    :param default_config: what to serve, as version ``"default"``, while no document has been read
        (a new process whose store is unreachable). Without it (``None``) such a process's
        :meth:`choose` raises.
    :param signals: where requests are recorded: a dict of :class:`ModelSignals` arguments, or a
        ``ModelSignals`` whose names are used. Default: ModelSignals from the environment.
    """

    def __init__(
        self,
        application: Optional[str] = None,
        environment: Optional[str] = None,
        profile: Optional[str] = None,
        agent_url: Optional[str] = None,
        source: str = "agent",
        document: Optional[RoutingDocument] = None,
        refresh_seconds: float = 30,
        default_config: Any = None,
        signals: Union[Dict[str, Any], ModelSignals, None] = None,
    ) -> None:
        if isinstance(refresh_seconds, bool) or not isinstance(refresh_seconds, (int, float)) or not 0 <= refresh_seconds < float("inf"):
            raise ValueError(f"ModelRouter: refresh_seconds must be a non-negative number, got {refresh_seconds!r}")
        if source not in ("agent", "sdk"):
            raise ValueError(f"ModelRouter: source must be 'agent' or 'sdk', got {source!r}")
        self._refresh = float(refresh_seconds)
        self._default_config = default_config
        self._given = check_routing(document, "ModelRouter: the document argument") if document is not None else None
        if isinstance(signals, ModelSignals):
            self._signals_args: Dict[str, Any] = {
                "canary_name": signals.canary_name, "stack_name": signals.stack_name, "namespace": signals.namespace,
                "high_resolution": signals.high_resolution,
            }
            self._by_version: Dict[str, ModelSignals] = {signals.version: signals}
        else:
            self._signals_args, self._by_version = dict(signals or {}), {}
        self._pending: Dict[int, Dict[str, Any]] = {}  # signals recorded inside a request, by id(choice)
        self._lock = threading.Lock()  # the per-version ModelSignals
        self._read_lock = threading.Lock()  # one read of the store at a time
        self._doc: Optional[RoutingDocument] = None
        self._read_at = float("-inf")
        self._wait = 0.0
        self._failing = False
        self._read: Optional[Callable[[], Any]] = None

        where = {
            "application": (application, APPCONFIG_APPLICATION_ENV),
            "environment": (environment, APPCONFIG_ENVIRONMENT_ENV),
            "profile": (profile, APPCONFIG_PROFILE_ENV),
        }
        values = {k: given if given is not None else (os.environ.get(env) or "").strip() or None for k, (given, env) in where.items()}
        self._missing = [] if self._given else [f"{env} (or the `{k}` argument)" for k, (_, env) in where.items() if not values[k]]
        if self._given:
            return
        if self._missing:
            _warn_once("MODEL_CANARY_ROUTER_NO_STORE", f"ModelRouter: no {', no '.join(self._missing)}, so no routing document is read; {self._fallback_text()}.")
            return
        app, env, prof = values["application"], values["environment"], values["profile"]
        if source == "sdk":
            self._read = _SdkReader(app, env, prof, self._set_wait)
        else:
            url = agent_url or (os.environ.get(APPCONFIG_AGENT_URL_ENV) or "").strip() or DEFAULT_AGENT_URL
            self._read = _agent_reader(url, app, env, prof)

    def choose(self, user_id: Optional[str] = None) -> Choice:
        """The config for a user: sticky, and the canary's share the document gives.

        Without a user id requests are split at random. Reads the document again when the last read
        is older than ``refresh_seconds``; a failed read keeps the last good document (one warning
        per streak of failures).

        :raises RuntimeError: only when there is neither a document nor a ``default_config``.
        """
        doc = self._given if self._given is not None else self._current()
        if doc is not None:
            return choose(doc, user_id)
        if self._default_config is not None:
            return Choice("stable", DEFAULT_CONFIG_VERSION, self._default_config)
        if self._missing:
            hint = f"Set {', '.join(self._missing)}, or pass `document`"
        else:
            hint = "The store could not be read (see the warning); pass `default_config` to serve something meanwhile"
        raise RuntimeError(f"ModelRouter: no routing document to choose from and no default_config. {hint}.")

    @contextlib.contextmanager
    def request(self, user_id: Optional[str] = None) -> Iterator[Choice]:
        """Chooses for the user and records one request for the choice's version when the block exits.

        Errors = 1 when the block raised (the exception propagates) or marked the request failed with
        ``record(choice, error=True)`` (a handled failure: a fallback answer, a 5XX returned), else 0,
        and the block's Latency. Other signals given to :meth:`record` inside the block go into the same record.
        """
        choice = self.choose(user_id)
        choice = Choice(choice.variant, choice.version, choice.config)  # this request's own identity
        self._pending[id(choice)] = {}
        start = time.perf_counter()
        error = True
        try:
            yield choice
            error = False
        finally:
            latency_ms = (time.perf_counter() - start) * 1000
            recorded = self._pending.pop(id(choice))
            # A raise is a failure whatever record() said; a handled failure is one when record() says so.
            failed = error or recorded.get("error") is True
            self._signals_for(choice.version).record(**dict(recorded, error=failed, latency_ms=latency_ms))

    def run(self, user_id: Optional[str], fn: Callable[[Choice], T]) -> T:
        """Calls ``fn(choice)`` inside :meth:`request`: its outcome and latency are recorded, its exception re-raised."""
        with self.request(user_id) as choice:
            return fn(choice)

    def record(self, choice: Choice, **signals: Any) -> None:
        """Records the AI signals (``input_tokens``, ``guardrail_intervened``, ...) of a request served with ``choice``.

        Inside :meth:`request` or :meth:`run` they are checked now and written with the request's
        outcome; otherwise written now, as one request. Arguments as :meth:`ModelSignals.record`.
        """
        self._signals_for(choice.version).documents(**signals)  # checks them now, writes nothing
        pending = self._pending.get(id(choice))
        if pending is not None:
            pending.update(signals)
        else:
            self._signals_for(choice.version).record(**signals)

    def _signals_for(self, version: str) -> ModelSignals:
        with self._lock:
            signals = self._by_version.get(version)
            if signals is None:
                signals = self._by_version[version] = ModelSignals(**dict(self._signals_args, version=version))
            return signals

    def _set_wait(self, seconds: float) -> None:
        self._wait = seconds

    def _current(self) -> Optional[RoutingDocument]:
        """The last good document, read again first when stale; one read at a time."""
        if self._read is None:
            return None
        if time.monotonic() - self._read_at >= max(self._refresh, self._wait):
            with self._read_lock:
                if time.monotonic() - self._read_at >= max(self._refresh, self._wait):
                    self._refresh_now()
        return self._doc

    def _refresh_now(self) -> None:
        try:
            doc = self._read()
            if doc is not _UNCHANGED:
                self._doc = doc
            self._failing = False
        except Exception as err:  # noqa: BLE001 - a store that is down must not fail requests
            if not self._failing:
                kept = "the last good document is kept" if self._doc is not None else self._fallback_text()
                warnings.warn(f"ModelRouter: reading the routing document failed ({err}); {kept}.", ModelCanaryWarning, stacklevel=4)
            self._failing = True
        finally:
            # A failure waits as long as a success, so a store that is down is not read on every request.
            self._read_at = time.monotonic()

    def _fallback_text(self) -> str:
        if self._default_config is not None:
            return f'default_config is served as version "{DEFAULT_CONFIG_VERSION}"'
        return "choose() raises until one is read (pass default_config to serve something)"


def _agent_reader(agent_url: str, application: str, environment: str, profile: str) -> Callable[[], RoutingDocument]:
    q = lambda s: urllib.parse.quote(s, safe="")  # noqa: E731
    # https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-agent-how-to-use.html
    url = f"{agent_url.rstrip('/')}/applications/{q(application)}/environments/{q(environment)}/configurations/{q(profile)}"

    def read() -> RoutingDocument:
        try:
            with urllib.request.urlopen(url, timeout=_READ_TIMEOUT_S) as res:  # noqa: S310 - the agent's URL
                text = res.read().decode("utf-8")
        except urllib.error.HTTPError as err:
            raise RuntimeError(f"the AppConfig Agent answered {err.code} for {url}: {err.read()[:120]!r}") from None
        return parse_routing(text, f"the AppConfig Agent's configuration at {url}")

    return read


class _SdkReader:
    """AppConfigData's session: StartConfigurationSession once, then GetLatestConfiguration with each next token."""

    def __init__(self, application: str, environment: str, profile: str, set_wait: Callable[[float], None]) -> None:
        self._where = (application, environment, profile)
        self._set_wait = set_wait
        self._client: Any = None
        self._token: Optional[str] = None

    def __call__(self) -> Any:
        application, environment, profile = self._where
        if self._client is None:
            import boto3  # noqa: PLC0415 - only this source needs it
            from botocore.config import Config  # noqa: PLC0415

            self._client = boto3.client("appconfigdata", config=Config(connect_timeout=_READ_TIMEOUT_S, read_timeout=_READ_TIMEOUT_S))
        try:
            if self._token is None:
                self._token = self._client.start_configuration_session(
                    ApplicationIdentifier=application, EnvironmentIdentifier=environment, ConfigurationProfileIdentifier=profile
                )["InitialConfigurationToken"]
            out = self._client.get_latest_configuration(ConfigurationToken=self._token)
            self._token = out.get("NextPollConfigurationToken")
            self._set_wait(float(out.get("NextPollIntervalInSeconds") or 0))
            body = out["Configuration"].read() if out.get("Configuration") is not None else b""
            if not body:
                return _UNCHANGED  # empty: unchanged since the last call of this session
            return parse_routing(body.decode("utf-8"), f"AppConfig's configuration {application}/{environment}/{profile}")
        except Exception:
            self._token = None  # an expired or used token: start a new session next time
            raise
