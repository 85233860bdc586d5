"""The routing rule, pinned by the fixtures the TypeScript tests read too (routing_fixtures.json)."""

import json
import random
from pathlib import Path

import pytest

import cdk_model_canary_runtime as rt
from cdk_model_canary_runtime.routing import bucket_of, check_routing, choose, in_canary, parse_routing, split_at

FIXTURES = json.loads(Path(rt.__file__).with_name("routing_fixtures.json").read_text(encoding="utf-8"))
SCHEMA = "cdk-model-canary/routing@1"


def doc(percent, side="low", salt="cfg-2", stable="cfg-1", canary="cfg-2"):
    return {"schema": SCHEMA, "salt": salt, "stable": {"version": stable, "config": {"m": stable}},
            "canary": {"version": canary, "config": {"m": canary}}, "canaryPercent": percent, "canarySide": side}


def users(n, seed=7):
    rnd = random.Random(seed)
    return [f"user-{rnd.getrandbits(64):x}" for _ in range(n)]


@pytest.mark.parametrize("case", FIXTURES["buckets"], ids=lambda c: f"{c['salt']}:{c['userId'][:20]}")
def test_every_fixture_bucket_exactly(case):
    assert bucket_of(case["salt"], case["userId"]) == case["bucket"]


@pytest.mark.parametrize("case", FIXTURES["choices"], ids=lambda c: json.dumps({k: v for k, v in c["document"].items() if k in ("canaryPercent", "canarySide")}))
def test_every_fixture_choice_exactly(case):
    got = [(c["userId"], choose(case["document"], c["userId"]).variant, choose(case["document"], c["userId"]).version) for c in case["choices"]]
    assert got == [(c["userId"], c["variant"], c["version"]) for c in case["choices"]]


@pytest.mark.parametrize("case", FIXTURES["switches"], ids=lambda c: f"{c['document']['canaryPercent']}%-at-{c['nowMs'] - c['document']['switchAt']}ms")
def test_every_fixture_switch_exactly(case):
    got = [(c["userId"], choose(case["document"], c["userId"], now_ms=case["nowMs"]).version) for c in case["choices"]]
    assert got == [(c["userId"], c["version"]) for c in case["choices"]]
    assert parse_routing(json.dumps(case["document"]), "fixture") == case["document"]


def test_a_malformed_switch_is_refused_naming_the_field():
    case = FIXTURES["switches"][0]["document"]
    with pytest.raises(ValueError, match="switchAt must be a number"):
        check_routing(dict(case, switchAt="soon"), "x")
    with pytest.raises(ValueError, match="before must be"):
        check_routing(dict(case, before={"canaryPercent": 5}), "x")


def test_a_switch_still_to_come_nested_in_before_is_followed():
    case = FIXTURES["switches"][0]["document"]  # raise 10 -> 50 at switchAt
    t1 = case["switchAt"]
    second = dict(case, canaryPercent=75, switchAt=t1 + 60_000, before=dict(case))
    assert split_at(second, t1 - 1)["canaryPercent"] == 10
    assert split_at(second, t1)["canaryPercent"] == 50
    assert split_at(second, t1 + 60_000)["canaryPercent"] == 75
    assert check_routing(second, "x") is second
    deep = dict(case)
    for _ in range(8):
        deep = dict(case, before=deep)
    with pytest.raises(ValueError, match="nests more than 8"):
        check_routing(deep, "x")


def test_the_fixtures_are_a_routing_document_each():
    for case in FIXTURES["choices"]:
        assert parse_routing(json.dumps(case["document"]), "fixture") == case["document"]


def test_monotone_raising_the_low_share_never_moves_a_user_back_to_stable():
    shares = [0, 0.5, 1, 5, 10, 25, 33.3, 50, 75, 99, 100]
    for user in users(2000):
        variants = [choose(doc(p), user).variant for p in shares]
        first = variants.index("canary") if "canary" in variants else len(variants)
        assert variants == ["stable"] * first + ["canary"] * (len(variants) - first), user


def test_rollback_to_zero_puts_everyone_on_stable():
    assert {choose(doc(0, side), u).version for u in users(3000) for side in ("low", "high")} == {"cfg-1"}


def test_promotion_continuity():
    rollout = doc(95, "low", salt="cfg-2", stable="cfg-1", canary="cfg-2")
    # After the promotion: the old canary is stable, the old stable is the control at the high 5 %.
    promoted = doc(5, "high", salt="cfg-2", stable="cfg-2", canary="cfg-1")
    for user in users(5000):
        before, after = choose(rollout, user), choose(promoted, user)
        if before.variant == "canary":
            assert after.version == "cfg-2", user  # a user on the canary is on the new stable
        if bucket_of("cfg-2", user) >= 95:
            assert before.version == after.version == "cfg-1", user  # the high 5 % never left the old version


@pytest.mark.parametrize("percent,side", [(5, "low"), (25, "low"), (50, "low"), (95, "low"), (5, "high"), (12.5, "high")])
def test_roughly_the_share_over_20000_users(percent, side):
    share = sum(choose(doc(percent, side), u).variant == "canary" for u in users(20000, seed=11)) / 200
    assert abs(share - percent) <= 1.5


def test_without_a_user_the_bucket_given_or_random_decides():
    d = doc(50)
    assert choose(d, None, bucket=10).variant == "canary"
    assert choose(d, None, bucket=60).variant == "stable"
    assert {choose(d, None).variant for _ in range(200)} == {"stable", "canary"}


def test_in_canary_clamps_the_share():
    assert in_canary({"canaryPercent": 150}, 99.9)
    assert not in_canary({"canaryPercent": -5}, 0)


def test_no_canary_means_stable_whatever_the_share():
    d = {"schema": SCHEMA, "salt": "s", "stable": {"version": "v1", "config": 1}, "canaryPercent": 100}
    assert {choose(d, u).version for u in users(100)} == {"v1"}


@pytest.mark.parametrize("text,problem", [
    ("nope", "is not JSON"),
    ('{"schema":"x","salt":"s","stable":{"version":"1"},"canaryPercent":0}', "schema must be"),
    (json.dumps({**doc(5), "canaryPercent": 101}), "canaryPercent must be a number from 0 to 100"),
    (json.dumps({**doc(5), "canaryPercent": True}), "canaryPercent must be"),
    (json.dumps({**doc(5), "canarySide": "middle"}), 'canarySide must be "low" or "high"'),
    (json.dumps({**doc(5), "canary": None}), "canary must be { version, config }"),
    (json.dumps({**doc(5), "stable": {"version": ""}}), "stable must be { version, config }"),
    (json.dumps({**doc(5), "salt": 3}), "salt must be a string"),
])
def test_parse_routing_rejects_with_the_reason(text, problem):
    with pytest.raises(ValueError, match="the store") as err:
        parse_routing(text, "the store")
    assert problem in str(err.value)
