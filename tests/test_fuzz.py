"""Property-based fuzzing of the public HTTP surfaces: never a 500, never a hang."""

import json

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.e2e

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
BODIES = st.one_of(
    st.binary(max_size=300),  # not JSON at all
    JSONISH.map(lambda v: json.dumps(v).encode()),  # JSON of any shape
    st.fixed_dictionaries(
        {"sender": st.text(max_size=200) | st.integers(), "message": st.text(max_size=3000), "metadata": JSONISH}
    ).map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {"text": st.text(max_size=3000) | JSONISH, "top_k": st.integers(-5, 50) | st.text(max_size=3)}
    ).map(lambda v: json.dumps(v).encode()),
    st.sampled_from([b"{" * 5000, b'{"sender": "x", "message": "' + "长".encode() * 20000 + b'"}', b"\x00\xff" * 100]),
)
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def post(url, body):
    resp = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=30)
    assert resp.status_code < 500, (resp.status_code, body[:200], resp.text[:200])
    assert "Traceback" not in resp.text
    return resp


@FUZZ
@given(body=BODIES)
def test_chat_channel(servers, body):
    post(f"{servers.url}/webhooks/rest/webhook", body)


@FUZZ
@given(body=BODIES)
def test_assist_endpoint(servers, body):
    post(f"{servers.url}/webhooks/assist/suggest", body)


@FUZZ
@given(
    body=BODIES,
    path=st.sampled_from(
        [
            "/api/staff/login",
            "/api/editor/validate",
            "/api/editor/try",
            "/api/risk/events",
            "/demo/token",
            "/api/agent/flags",
        ]
    ),
)
def test_pages_apis(pages, body, path):
    post(pages + path, body)


@FUZZ
@given(
    body=BODIES,
    faq_id=st.text(min_size=1, max_size=40).filter(lambda s: "/" not in s and "?" not in s and "#" not in s),
)
def test_publishing_api_with_a_login(pages, body, faq_id):
    token = _editor_token(pages)
    resp = requests.put(
        f"{pages}/api/editor/entries/{requests.utils.quote(faq_id)}",
        data=body,
        timeout=30,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    assert resp.status_code < 500, (resp.status_code, resp.text[:200])


_TOKEN = {}


def _editor_token(pages):
    if pages not in _TOKEN:
        _TOKEN[pages] = requests.post(
            f"{pages}/api/staff/login", timeout=10, json={"username": "limin", "password": "editor-demo-pass"}
        ).json()["token"]
    return _TOKEN[pages]


# -- wrong types, field by field: always a 4xx naming the field, never a 5xx ----------------
ANY_VALUE = st.one_of(
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.lists(st.integers() | st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3),
)
KINDS = {str: (str,), int: (int,), bool: (bool,), dict: (dict,), list: (list,)}


def wrong_for(kind):
    """Values that are not of `kind` (a bool is not an int here)."""

    def bad(value):
        if kind is int and isinstance(value, bool):
            return True
        return not isinstance(value, KINDS[kind])

    return ANY_VALUE.filter(bad)


# endpoint → (a valid body, {field: its type})
RASA_ENDPOINTS = {
    "/webhooks/rest/webhook": (
        {"sender": "fuzz-types", "message": "你好", "metadata": {}, "message_id": "m-1"},
        {"sender": str, "message": str, "metadata": dict, "message_id": str},
    ),
    "/webhooks/assist/suggest": (
        {"text": "融资利率", "top_k": 3, "sender": "s", "metadata": {}, "conversation": []},
        {"text": str, "top_k": int, "sender": str, "metadata": dict, "conversation": list},
    ),
    "/webhooks/feedback/": (
        {"sender": "s", "faq_id": "interest_financing_rate", "version": 1, "helpful": True, "comment": "好"},
        {"sender": str, "faq_id": str, "version": int, "helpful": bool, "comment": str},
    ),
}
PAGES_ENDPOINTS = {
    ("POST", "/api/staff/login"): ({"username": "nobody", "password": "x"}, {"username": str, "password": str}),
    ("POST", "/api/editor/validate"): ({"faq_id": "x_y", "content": {}}, {"faq_id": str, "content": dict}),
    ("POST", "/api/editor/try"): (
        {"text": "利率", "faq_id": "x_y", "content": {}},
        {"text": str, "faq_id": str, "content": dict},
    ),
    ("PUT", "/api/editor/entries/contract_term"): ({"content": {}, "lock": 1}, {"content": dict, "lock": int}),
    ("POST", "/api/editor/entries/contract_term/request"): (
        {"action": "rollback", "version": 1, "reason": "r"},
        {"action": str, "version": int, "reason": str},
    ),
    ("POST", "/api/editor/entries/contract_term/emergency-retire"): ({"reason": "理由很充分"}, {"reason": str}),
    ("POST", "/api/editor/lectures"): (
        {"title": "讲座", "day": "2026-12-20", "place": "线上"},
        {"title": str, "day": str, "place": str},
    ),
    ("POST", "/api/agent/flags"): (
        {"kind": "wrong", "text": "问题", "faq_id": "x_y", "note": "n"},
        {"kind": str, "text": str, "faq_id": str, "note": str},
    ),
}


@st.composite
def one_wrong_field(draw, endpoints):
    key = draw(st.sampled_from(sorted(endpoints)))
    base, types = endpoints[key]
    field = draw(st.sampled_from(sorted(types)))
    return key, field, {**base, field: draw(wrong_for(types[field]))}


@FUZZ
@given(case=one_wrong_field(RASA_ENDPOINTS))
def test_rasa_endpoints_wrong_types_are_4xx(servers, case):
    path, field, body = case
    resp = post(servers.url + path, json.dumps(body).encode())
    assert 400 <= resp.status_code < 500, (path, field, body, resp.text[:200])
    if resp.status_code == 400:
        assert resp.json().get("field", "").split(".")[0] in (field, "body"), (path, field, resp.text)


@FUZZ
@given(case=one_wrong_field(PAGES_ENDPOINTS))
def test_pages_endpoints_wrong_types_are_4xx(pages, case):
    (method, path), field, body = case
    if path.startswith("/api/agent/"):
        token = _login(pages, "kf_liu", "agent-demo-pass")
    else:
        token = _login(pages, "zhouting", "reviewer-demo-pass")
    resp = requests.request(method, pages + path, json=body, timeout=30, headers={"Authorization": f"Bearer {token}"})
    assert 400 <= resp.status_code < 500, (path, field, body, resp.text[:200])
    assert "Traceback" not in resp.text
    if path != "/api/staff/login":  # a wrong login type may also be a plain 401
        assert resp.status_code == 400 and resp.json().get("field", "").split(".")[0] == field, resp.text


def _login(pages, username, password):
    key = (pages, username)
    if key not in _TOKEN:
        _TOKEN[key] = requests.post(
            f"{pages}/api/staff/login", timeout=10, json={"username": username, "password": password}
        ).json()["token"]
    return _TOKEN[key]
