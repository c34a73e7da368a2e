"""The token: with one set, every request (pages, htmx fragments, static files) needs it, as a bearer header or
once in the address (which sets a cookie); compared in constant time; none asked for on loopback without one."""

from __future__ import annotations

import pytest

from codeforge.serve.access import COOKIE, bearer, token_for
from codeforge.serve.config import ServeConfig, is_loopback

TOKEN = "s3cret-token-for-tests"


@pytest.fixture(scope="module")
def guarded(served_store):
    from fastapi.testclient import TestClient

    from codeforge.serve.app import create_app

    return lambda: TestClient(create_app(served_store, token=TOKEN))


@pytest.mark.parametrize("url", ["/", "/runs/1", "/runs/1/tasks?page=2", "/runs/1/heatmap", "/static/htmx.min.js",
                                 "/compare", "/nowhere"])
def test_a_request_without_the_token_or_with_a_wrong_one_gets_401(guarded, url):
    client = guarded()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        found = client.get(url, headers=headers)
        assert found.status_code == 401, (url, headers)
        assert found.headers["www-authenticate"] == "Bearer"
    assert client.get(url + ("&" if "?" in url else "?") + "token=wrong").status_code == 401
    client.cookies.set(COOKIE, "wrong")
    assert client.get(url).status_code == 401


def test_the_bearer_header_lets_a_request_in(guarded):
    assert guarded().get("/runs/1", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_the_token_in_the_address_sets_a_strict_http_only_cookie_and_leaves_the_address(guarded):
    client = guarded()
    found = client.get(f"/?token={TOKEN}&sort=name", follow_redirects=False)
    assert found.status_code == 303 and found.headers["location"] == "/?sort=name"
    cookie = found.headers["set-cookie"]
    assert f"{COOKIE}={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert client.get("/runs/1").status_code == 200  # the cookie from now on


def test_no_token_is_asked_for_without_one(client):
    assert client.get("/").status_code == 200


def test_loopback_addresses():
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.5", "localhost", "::1"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.0.2.1", "example.org"))


def test_bearer_reads_only_the_bearer_scheme():
    assert bearer("Bearer abc") == "abc" and bearer("bearer abc") == "abc"
    assert bearer("Basic abc") is None and bearer("") is None


def test_a_short_token_is_refused():
    with pytest.raises(ValueError, match="at least 8"):
        ServeConfig(token="abc")


def test_a_token_is_made_up_only_off_this_machine_when_none_is_given():
    assert token_for(None, "127.0.0.1") is None and token_for(None, "::1") is None
    assert token_for("given-token", "127.0.0.1") == "given-token"
    made = {token_for(None, "0.0.0.0") for _ in range(3)}
    assert len(made) == 3 and all(t and len(t) >= 32 for t in made)
