"""The routing document of a config canary and the one rule that turns a user into a variant.

A port of ``runtime/routing.ts`` in the cdk-model-canary repository: the same user, salt and share
give the same bucket and variant in both languages. ``routing_fixtures.json`` (a copy of
``runtime/routing-fixtures.json``) pins the rule for both.

Sticky and monotone: a user's bucket is a number in [0, 100) from SHA-256 of the rollout's salt and
the user id. During a rollout the canary takes the low buckets (``canarySide`` "low"), so raising
its share only moves users from stable to canary; after a promotion the previous version keeps the
high buckets ("high"), which are the users that never left it.

One switch per user, in every process at once: a raise or a promotion carries ``switchAt`` (epoch
ms) and the split in force ``before`` it, so routers that read the document at different times all
move their users at ``switchAt``. A rollback has no ``switchAt``: it applies as soon as read.
"""

import hashlib
import json
import math
import random
import time
from dataclasses import dataclass
from typing import Any, Dict, Optional

ROUTING_SCHEMA = "cdk-model-canary/routing@1"

#: A routing document as JSON: schema, salt, stable {version, config}, canary?, canaryPercent, canarySide?.
RoutingDocument = Dict[str, Any]


@dataclass(frozen=True, eq=False)
class Choice:
    """The variant for one request. Compared by identity: the router tracks a request by its choice."""

    variant: str  # "stable" or "canary"
    #: The version that serves this user: the Version dimension of the metrics recorded for it.
    version: str
    config: Any

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Choice):
            return NotImplemented
        return (self.variant, self.version, self.config) == (other.variant, other.version, other.config)

    __hash__ = object.__hash__


def bucket_of(salt: str, user_id: str) -> float:
    """A user's bucket in [0, 100): the first 8 bytes of SHA-256("<salt>:<user_id>") as a fraction of 2^64, times 100."""
    digest = hashlib.sha256(f"{salt}:{user_id}".encode("utf-8")).digest()
    # Two 32-bit halves, as routing.ts computes it: the same double in both languages.
    high = int.from_bytes(digest[0:4], "big")
    low = int.from_bytes(digest[4:8], "big")
    return ((high * 2**32 + low) / 2**64) * 100


def in_canary(doc: RoutingDocument, bucket: float) -> bool:
    """Whether a bucket is in the canary's share."""
    share = min(100, max(0, doc["canaryPercent"]))
    if share <= 0:
        return False
    if (doc.get("canarySide") or "low") == "high":
        return bucket >= 100 - share
    return bucket < share


#: How deep ``before`` may nest: a switch per step deployed within one propagation.
MAX_PENDING_SWITCHES = 8


def split_at(doc: RoutingDocument, now_ms: Optional[float] = None) -> Dict[str, Any]:
    """The split in force at ``now_ms`` (default: now): ``before`` (as it stands then) until ``switchAt``, then the document's own."""
    now = time.time() * 1000 if now_ms is None else now_ms
    split = doc
    while split.get("before") is not None and split.get("switchAt") is not None and now < split["switchAt"]:
        split = split["before"]
    return split


def choose(doc: RoutingDocument, user_id: Optional[str], bucket: Optional[float] = None, now_ms: Optional[float] = None) -> Choice:
    """The variant for a user at ``now_ms`` (default: now). Without a user id the request is split by share, not sticky (``bucket`` or a random one)."""
    split = split_at(doc, now_ms)
    if user_id is None:
        b = bucket if bucket is not None else random.random() * 100
    else:
        b = bucket_of(split["salt"], user_id)
    canary = split.get("canary")
    if canary is not None and in_canary(split, b):
        return Choice("canary", canary["version"], canary.get("config"))
    stable = split["stable"]
    return Choice("stable", stable["version"], stable.get("config"))


def parse_routing(text: str, where: str) -> RoutingDocument:
    """The routing a document holds; a clear ValueError for anything else (the router keeps its last good one)."""
    try:
        doc = json.loads(text)
    except ValueError:
        raise ValueError(f"{where} is not JSON: {text[:80]}") from None
    return check_routing(doc, where)


def check_routing(doc: Any, where: str) -> RoutingDocument:
    """``doc`` if it is a routing document, else a ValueError listing what is wrong (as routing.ts words it)."""
    d = doc if isinstance(doc, dict) else {}

    def version_ok(v: Any) -> bool:
        return isinstance(v, dict) and isinstance(v.get("version"), str) and v["version"] != ""

    def is_number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    problems = []
    if d.get("schema") != ROUTING_SCHEMA:
        problems.append(f'schema must be "{ROUTING_SCHEMA}"')
    if not isinstance(d.get("salt"), str):
        problems.append("salt must be a string")
    if not version_ok(d.get("stable")):
        problems.append("stable must be { version, config }")
    # A key given as null is wrong, as routing.ts reads it (only a missing key is "not given").
    if "canary" in d and not version_ok(d["canary"]):
        problems.append("canary must be { version, config }")
    percent = d.get("canaryPercent")
    if not (is_number(percent) and 0 <= percent <= 100):
        problems.append("canaryPercent must be a number from 0 to 100")
    if "canarySide" in d and d["canarySide"] not in ("low", "high"):
        problems.append('canarySide must be "low" or "high"')
    problems += _switch_problems(d, version_ok, is_number, 0)
    if problems:
        raise ValueError(f"{where} is not a cdk-model-canary routing document: {'; '.join(problems)}")
    return doc


def _switch_problems(d: Dict[str, Any], version_ok: Any, is_number: Any, depth: int) -> list:
    """Problems of a split's ``switchAt`` and (recursively) its ``before``, worded as routing.ts words them."""
    problems = []
    if "switchAt" in d and not (is_number(d["switchAt"]) and math.isfinite(d["switchAt"])):
        problems.append("switchAt must be a number (epoch milliseconds)")
    if "before" not in d:
        return problems
    b = d["before"] if isinstance(d["before"], dict) else None
    ok = (
        b is not None
        and isinstance(b.get("salt"), str)
        and version_ok(b.get("stable"))
        and ("canary" not in b or version_ok(b["canary"]))
        and is_number(b.get("canaryPercent"))
        and 0 <= b["canaryPercent"] <= 100
        and ("canarySide" not in b or b["canarySide"] in ("low", "high"))
    )
    if not ok:
        return problems + ["before must be { salt, stable, canary?, canaryPercent, canarySide? }"]
    if depth + 1 >= MAX_PENDING_SWITCHES:
        return problems + [f"before nests more than {MAX_PENDING_SWITCHES} switches"]
    return problems + _switch_problems(b, version_ok, is_number, depth + 1)
