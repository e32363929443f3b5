"""One content-free log line per request: an id, a duration, the outcome kind, sizes. A secret
put everywhere a request and its evaluation can carry one must appear in no log record."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import httpx
import pytest

SECRET = "s3cr3t_Zq81xKpW7"
# Loggers of the test's own HTTP client, not of the service. uvicorn.access is off in
# `jseval serve` (access_log=False); pytest's capture handler wakes it up here, so it is left
# to tests/api/test_server.py, which reads a real server's stderr.
CLIENT_SIDE = ("httpx", "httpcore", "uvicorn.access")


def access_lines(
    caplog: pytest.LogCaptureFixture, match: Callable[[dict[str, object]], bool], count: int = 1
) -> list[logging.LogRecord]:
    """The access records matching `match`; the line is written just after the response."""
    deadline = time.monotonic() + 2
    while True:
        found = [r for r in caplog.records
                 if r.name == "jseval.access" and match(r.access)]  # type: ignore[attr-defined]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.005)


def test_access_line_fields(api_client: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="jseval.access")
    response = api_client.post(
        "/v1/evaluate", json={"code": "throw new RangeError('x')"},
        headers={"X-Request-ID": "trace-42"},
    )
    assert response.headers["x-request-id"] == "trace-42"
    lines = access_lines(caplog, lambda fields: fields["request_id"] == "trace-42")
    assert len(lines) == 1
    fields = lines[0].access  # type: ignore[attr-defined]
    assert fields["method"] == "POST" and fields["path"] == "/v1/evaluate"
    assert fields["status"] == 200 and fields["kind"] == "runtime" and fields["evaluations"] == 1
    assert fields["request_bytes"] == len(response.request.content)
    assert fields["response_bytes"] == len(response.content)
    assert fields["duration_ms"] >= fields["wall_ms"] > 0
    message = lines[0].getMessage()
    assert message.startswith("request_id=trace-42 method=POST path=/v1/evaluate status=200")
    assert "kind=runtime" in message


def test_request_ids_are_fresh_unless_sane(api_client: httpx.Client) -> None:
    first = api_client.get("/healthz").headers["x-request-id"]
    second = api_client.get("/healthz").headers["x-request-id"]
    assert first != second and len(first) == 16
    odd = api_client.get("/healthz", headers={"X-Request-ID": "a b\tc"}).headers["x-request-id"]
    assert odd != "a b\tc"


def test_batch_line_counts_kinds(api_client: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="jseval.access")
    batch = {"evaluations": [{"code": "1"}, {"code": "2"}, {"code": "null.x"}]}
    api_client.post("/v1/evaluate/batch", json=batch, headers={"X-Request-ID": "batch-7"})
    (line,) = access_lines(caplog, lambda fields: fields["request_id"] == "batch-7")
    assert line.access["evaluations"] == 3  # type: ignore[attr-defined]
    assert line.access["kind"] == "ok:2,runtime:1"  # type: ignore[attr-defined]


def test_no_user_data_in_any_log(
    api_client: httpx.Client, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, every level
    requests = [
        {
            "code": f"const s = '{SECRET}'; console.log(s); console.error({{s}});"
            f"storeValue('k', s); showAlert(s); {SECRET}_global + s",
            "globals": {f"{SECRET}_global": SECRET},
            "store": {SECRET: SECRET},
            "appsmith": {"user": {"email": SECRET}},
        },
        {"code": f"throw new Error('{SECRET}')"},
        {
            "code": f"setTimeout(async () => {{ throw new Error('{SECRET}') }}, 0);"
            "await new Promise(r => setTimeout(r, 5)); return 1",
            "mode": "function",
        },
        {"code": f"let {SECRET} = ; // syntax error quoting the code"},
        {"code": f"'{SECRET}'; while (true) {{}}", "timeout_ms": 50},
        {"code": f"return args[0] + '{SECRET}'", "mode": "function", "args": [SECRET]},
    ]
    for request in requests:
        response = api_client.post("/v1/evaluate", json=request)
        assert response.status_code == 200
        if request is requests[0]:  # the client does get its data back, in every field
            body = response.json()
            assert body["result"] == SECRET * 2 and body["store"][SECRET] == SECRET
            assert body["logs"][0]["text"] == SECRET
    api_client.post("/v1/evaluate/batch", json={"evaluations": requests[:2]})
    # Invalid requests carrying the secret: refused without echoing or logging it.
    invalid = api_client.post("/v1/evaluate", json={"code": "1", "mode": SECRET})
    assert invalid.status_code == 422 and SECRET not in invalid.text
    assert api_client.post("/v1/evaluate", json={SECRET: 1, "code": "1"}).status_code == 422
    probe = api_client.post(f"/v1/{SECRET}", json={"code": SECRET}, headers={"X-Request-ID": "p"})
    assert probe.status_code == 404
    broken = f'{{"code": "{SECRET}'.encode()  # broken JSON, the last request
    api_client.post("/v1/evaluate", content=broken, headers={"X-Request-ID": "last"})

    (line,) = access_lines(caplog, lambda fields: fields["request_id"] == "p")
    assert line.access["path"] == "other"  # type: ignore[attr-defined]
    assert access_lines(caplog, lambda fields: fields["request_id"] == "last")
    service_records = [r for r in caplog.records if not r.name.startswith(CLIENT_SIDE)]
    assert len([r for r in service_records if r.name == "jseval.access"]) >= len(requests) + 5
    for record in service_records:
        assert SECRET not in record.getMessage(), record.name
        assert SECRET not in repr(record.__dict__), record.name
    out, err = capfd.readouterr()
    assert SECRET not in out and SECRET not in err
