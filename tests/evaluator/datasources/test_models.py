"""What a datasource may be (SPEC section 8): each bad field is a clear error, and reads mask
every secret."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from evaluator.datasources import Datasource

BASE = {"base_url": "https://api.example.com/v1"}


def errors(data: dict) -> list[str]:
    with pytest.raises(ValidationError) as info:
        Datasource.model_validate(data)
    return [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in info.value.errors()]


def test_the_spec_example_is_valid_and_masks_its_secrets() -> None:
    ds = Datasource.model_validate({
        "name": "payments", "kind": "rest", "base_url": "https://api.example.com/v1",
        "headers": {"X-Api-Key": {"secret": "k-123"}, "Accept": "application/json"},
        "query": {"key": {"secret": "q-456"}},
        "auth": {"type": "basic", "username": "bob", "password": {"secret": "pw-789"}},
        "allow_private": False,
    })
    assert ds.has_secrets
    masked = ds.masked().model_dump(mode="json")
    assert masked["headers"] == {"X-Api-Key": {"secret": True}, "Accept": "application/json"}
    assert masked["query"] == {"key": {"secret": True}}
    assert masked["auth"] == {"type": "basic", "username": "bob", "password": {"secret": True}}
    for text in (repr(ds), str(ds), repr(ds.headers), repr(ds.auth)):
        assert "k-123" not in text and "pw-789" not in text and "q-456" not in text


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"base_url": "ftp://x.example/"}, "only http and https"),
        ({"base_url": "not a url"}, "not an absolute URL"),
        ({"base_url": "https://u:p@x.example/"}, "may not carry credentials"),
        ({"base_url": "https://x.example/v1?k=1"}, "may not have a query"),
        ({"base_url": "https://x.example/v1#f"}, "may not have a fragment"),
        ({"base_url": "http://169.254.169.254/latest"}, "link-local"),
        ({"base_url": "http://[::ffff:169.254.169.254]/"}, "link-local"),
        ({"base_url": "http://metadata.google.internal/"}, "metadata"),
        ({**BASE, "kind": "graphql"}, "kind"),
        ({**BASE, "name": "bad name"}, "name"),
        ({**BASE, "name": "1abc"}, "name"),
        ({**BASE, "headers": {"Bad Header": "x"}}, "HTTP token"),
        ({**BASE, "headers": {"Host": "evil"}}, "set by HTTP itself"),
        ({**BASE, "headers": {"Transfer-Encoding": "chunked"}}, "set by HTTP itself"),
        ({**BASE, "headers": {"X-A": "1", "x-a": "2"}}, "given twice"),
        ({**BASE, "headers": {"X-A": "line\r\nInjected: 1"}}, "line breaks"),
        ({**BASE, "headers": {"X-A": {"secret": "a\nb"}}}, "line breaks"),
        ({**BASE, "headers": {"X-A": {"secret": ""}}}, "at least 1"),
        ({**BASE, "headers": {"X-A": {"secret": False}}}, "secret"),
        ({**BASE, "headers": {"X-A": {"secret": "x", "more": 1}}}, "Extra inputs"),
        ({**BASE, "headers": {"X-A": 5}}, "X-A"),
        ({**BASE, "query": {"": "x"}}, "1 to 256"),
        ({**BASE, "auth": {"type": "digest"}}, "auth"),
        ({**BASE, "auth": {"type": "bearer", "token": "t"}, "headers": {"authorization": "x"}},
         "not both"),
        ({**BASE, "auth": {"type": "basic", "username": "a:b", "password": "p"}}, "':'"),
        ({**BASE, "extra": 1}, "Extra inputs"),
        ({**BASE, "headers": {f"X-{i}": "v" for i in range(65)}}, "at most 64"),
        ({**BASE, "headers": {"X-A": "v" * 8193}}, "at most 8192"),
    ],
)
def test_invalid_datasources_say_why(data: dict, expected: str) -> None:
    found = errors(data)
    assert any(expected in line for line in found), found


def test_a_private_base_url_is_accepted_and_allow_private_decides_at_request_time() -> None:
    ds = Datasource.model_validate({"base_url": "http://10.0.0.5:8080/api", "allow_private": True})
    assert ds.allow_private
    assert Datasource.model_validate({"base_url": "http://10.0.0.5/"}).allow_private is False


def test_secret_true_means_keep_and_is_not_a_secret_of_its_own() -> None:
    ds = Datasource.model_validate({**BASE, "query": {"k": {"secret": True}}})
    value = ds.query["k"]
    assert not isinstance(value, str) and value.keeps_stored
