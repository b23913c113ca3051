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
