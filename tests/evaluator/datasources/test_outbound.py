"""The request a query sends against its datasource (no network): the URL stays under the
base URL whatever the path and params do, credentials are appended, code cannot replace them,
and a redirect to another origin drops them."""

from __future__ import annotations

import pytest

from evaluator.datasources import (
    QueryRefused,
    QuerySpec,
    ResolvedDatasource,
    ResolvedValue,
    build_outbound_request,
    follow_redirect,
)

SECRET_HEADER = "hdr-S3CRET-value"
SECRET_QUERY = "qry S3CRET/&="
TOKEN = "tok-S3CRET"


def datasource(base_url: str = "https://api.example.com/v1", **changes) -> ResolvedDatasource:
    fields = dict(
        name="payments",
        base_url=base_url,
        headers=(("X-Api-Key", ResolvedValue(SECRET_HEADER, True)),
                 ("Accept", ResolvedValue("application/json", False))),
        query=(("key", ResolvedValue(SECRET_QUERY, True)), ("v", ResolvedValue("2", False))),
        authorization=ResolvedValue(f"Bearer {TOKEN}", True),
        allow_private=False,
        auth_values=(ResolvedValue(TOKEN, True),),
    )
    fields.update(changes)
    return ResolvedDatasource(**fields)


def build(path: str = "", params: dict | None = None, base: str = "https://api.example.com/v1",
          **query) -> object:
    return build_outbound_request(datasource(base), QuerySpec(path=path, **query), params or {})


def all_text(request) -> str:
    return " ".join([request.href, repr(request.headers), repr(request.body)])


@pytest.mark.parametrize(
    ("base", "path", "expected"),
    [
        ("https://api.example.com/v1", "/users/1", "https://api.example.com/v1/users/1"),
        ("https://api.example.com/v1/", "/users/1", "https://api.example.com/v1/users/1"),
        ("https://api.example.com/v1", "users", "https://api.example.com/v1/users"),
        ("https://api.example.com/v1", "", "https://api.example.com/v1"),
        ("https://api.example.com", "/x", "https://api.example.com/x"),
        ("https://api.example.com", "?a=1", "https://api.example.com/?a=1"),
        ("https://api.example.com/v1", "/a/./b/../c", "https://api.example.com/v1/a/c"),
        ("https://api.example.com/v1", "//evil.example/x", "https://api.example.com/v1//evil.example/x"),
        ("https://api.example.com", "@evil.example/", "https://api.example.com/@evil.example/"),
        ("https://api.example.com", ":8443/x", "https://api.example.com/:8443/x"),
        ("http://127.0.0.1:8080/api", "/x y", "http://127.0.0.1:8080/api/x%20y"),
    ],
)
def test_the_path_is_appended_as_text(base: str, path: str, expected: str) -> None:
    request = build(path, base=base)
    assert request.href.split("?")[0] == expected.split("?")[0]
    if "?a=1" in expected:
        assert request.href.startswith(expected)


@pytest.mark.parametrize(
    "path",
    ["/..", "/../admin", "/%2e%2e/admin", "/.%2E/admin", "/..\\admin", "/a/../../x",
     "/x/../../..", "/\\..\\..\\x", "/../v1x", "/%2E%2e"],
)
def test_a_path_that_leaves_the_base_path_is_refused(path: str) -> None:
    with pytest.raises(QueryRefused, match="leaves the datasource's base URL"):
        build(path)


def test_a_v1_base_does_not_open_v1x_and_params_cannot_climb() -> None:
    # A param is one encoded segment: "../v1x" cannot climb out of /v1/.
    request = build("{{this.params.p}}", {"p": "../v1x"})
    assert request.url.path == "/v1/..%2Fv1x"
    request = build("/users/{{this.params.id}}", {"id": "../../admin?x=1#f"})
    assert request.href.startswith("https://api.example.com/v1/users/..%2F..%2Fadmin%3Fx%3D1%23f?")
    with pytest.raises(QueryRefused):  # ".." as a whole segment is a dot segment (WHATWG)
        build("/{{this.params.id}}", {"id": ".."})


def test_a_fragment_in_the_path_is_refused() -> None:
    with pytest.raises(QueryRefused, match="fragment"):
        build("/x#y")


def test_params_are_substituted_and_encoded_where_spec_says() -> None:
    request = build(
        "/users/{{this.params.id}}/{{ this.params.missing }}",
        {"id": "a b/ü", "q": "x&y=z"},
        method="post",
        query={"search": "{{this.params.q}}"},
        headers={"X-Id": "id={{this.params.id}}"},
        body={"id": "{{this.params.id}}", "n": [1, "{{this.params.q}}"], "raw": True},
    )
    assert request.method == "POST"
    assert request.url.path == "/v1/users/a%20b%2F%C3%BC/undefined"
    assert request.url.query == f"search=x%26y%3Dz&key={'qry%20S3CRET%2F%26%3D'}&v=2"
    assert ("X-Id", "id=a b/ü") in request.headers
    assert request.body == '{"id":"a b/ü","n":[1,"x&y=z"],"raw":true}'.encode()
    assert ("Content-Type", "application/json") in request.headers


def test_credentials_are_appended_and_code_cannot_replace_them() -> None:
    request = build(
        "/x",
        query={"key": "mine", "v": "9", "page": "2"},
        headers={"Authorization": "Bearer forged", "x-api-key": "forged", "X-Trace": "t",
                 "Cookie": "a=b", "Host": "evil.example", "Proxy-Authorization": "x"},
    )
    names = [name.lower() for name, _ in request.headers]
    assert names.count("authorization") == 1 and names.count("x-api-key") == 1
    assert dict(request.headers)["Authorization"] == f"Bearer {TOKEN}"
    assert dict(request.headers)["X-Api-Key"] == SECRET_HEADER
    assert "cookie" not in names and "host" not in names and "proxy-authorization" not in names
    assert request.url.query.count("key=") == 1 and "mine" not in request.url.query
    assert "page=2" in request.url.query and "v=2" in request.url.query


def test_a_string_body_is_text_and_get_has_no_body() -> None:
    request = build("/x", method="PUT", body="a={{this.params.v}}", params={"v": "1"})
    assert request.body == b"a=1"
    assert ("Content-Type", "text/plain;charset=UTF-8") in request.headers
    with pytest.raises(QueryRefused, match="cannot have a body"):
        build("/x", method="GET", body={"a": 1})


@pytest.mark.parametrize("method", ["CONNECT", "trace", "bad method", ""])
def test_bad_methods_are_refused(method: str) -> None:
    with pytest.raises(QueryRefused, match="method"):
        build("/x", method=method)


def test_header_injection_through_params_is_refused() -> None:
    with pytest.raises(QueryRefused, match="X-A"):
        build("/x", {"v": "1\r\nX-Evil: 1"}, headers={"X-A": "{{this.params.v}}"})


def test_what_is_recorded_holds_no_secret() -> None:
    request = build("/x")
    assert "qry%20S3CRET" in request.href
    assert request.recorded_url == "https://api.example.com/v1/x?key=[secret]&v=2"
    message = f"could not connect to {request.href} with {TOKEN} and {SECRET_QUERY}"
    redacted = request.redact(message)
    for secret in (SECRET_HEADER, SECRET_QUERY, TOKEN, "qry%20S3CRET"):
        assert secret not in redacted
    assert SECRET_HEADER not in repr(request) and TOKEN not in repr(request)


def test_a_redirect_to_the_same_origin_keeps_the_credentials() -> None:
    request = build("/x", method="POST", body={"a": 1})
    hop = follow_redirect(request, 307, "/v1/moved")
    assert hop.href == "https://api.example.com/v1/moved" and hop.method == "POST"
    assert dict(hop.headers)["Authorization"] == f"Bearer {TOKEN}" and hop.body == b'{"a":1}'


@pytest.mark.parametrize(
    "location",
    ["https://other.example/x", "http://api.example.com/v1/x", "https://api.example.com:8443/v1/x",
     "//other.example/x?key=1"],
)
def test_a_redirect_to_another_origin_drops_every_credential(location: str) -> None:
    request = build("/x", headers={"X-Trace": "t"})
    hop = follow_redirect(request, 302, location)
    assert not hop.credentialed
    assert dict(hop.headers) == {"X-Trace": "t"}
    assert SECRET_HEADER not in all_text(hop) and TOKEN not in all_text(hop)
    assert "key=" not in hop.href  # the datasource's secret query parameter
    back = follow_redirect(hop, 302, "https://api.example.com/v1/again")
    assert not back.credentialed and "Authorization" not in dict(back.headers)


def test_a_cross_origin_redirect_that_would_carry_a_secret_is_refused() -> None:
    request = build("/x")
    with pytest.raises(QueryRefused, match="carry a credential"):
        follow_redirect(request, 302, f"https://other.example/?t={TOKEN}")
    with pytest.raises(QueryRefused, match="carry a credential"):
        follow_redirect(request, 302, f"https://other.example/{SECRET_HEADER}")


def test_redirect_method_rules_and_bad_locations() -> None:
    post = build("/x", method="POST", body={"a": 1}, headers={"Content-Type": "application/json"})
    for status in (301, 302, 303):
        hop = follow_redirect(post, status, "/v1/y")
        assert hop.method == "GET" and hop.body is None
        assert "content-type" not in {n.lower() for n, _ in hop.headers}
    with pytest.raises(QueryRefused, match="redirect"):
        follow_redirect(post, 302, "file:///etc/passwd")


def test_allow_private_holds_only_on_the_datasource_origin() -> None:
    request = build_outbound_request(
        datasource("http://10.0.0.5/api", allow_private=True), QuerySpec(path="/x"), {}
    )
    assert request.allow_private
    assert follow_redirect(request, 302, "/api/y").allow_private
    assert not follow_redirect(request, 302, "http://10.0.0.6/api/y").allow_private
