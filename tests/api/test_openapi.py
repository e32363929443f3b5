"""The OpenAPI document (what /docs shows): every example succeeds as given, every field is
described, media types and error models are what the service really sends, and the Bearer
scheme is declared exactly when API keys are set."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from api.app import OPEN_PATHS
from evaluator import Settings


@pytest.fixture(scope="module")
def schema(api_client: httpx.Client) -> dict[str, Any]:
    response = api_client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


ADMIN_KEY = "admin-examples-1"


@pytest.fixture(scope="module")
def full_server(live_server_cm: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A server where every operation can succeed: admin keys, a master key, its own store."""
    settings = Settings(
        workers=1, pool_size=1, admin_keys=ADMIN_KEY, master_key="examples-master-key-0001",
        data_dir=str(tmp_path_factory.mktemp("store")),
    )
    with live_server_cm(settings) as live:
        yield live


def _path_with_examples(path: str, operation: dict[str, Any]) -> str:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            value = parameter.get("schema", {}).get("examples", [None])[0]
            assert value is not None, f"{path}: path parameter {parameter['name']} has no example"
            path = path.replace("{" + parameter["name"] + "}", str(value))
    return path


def _request_examples(schema: dict[str, Any]) -> Iterator[tuple[str, str, str, str, Any]]:
    """(method, path, media type, example name, body) for every request-body example in the
    document, plus the request schemas' own `examples` (what Swagger UI builds a body from)."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            target = _path_with_examples(path, operation)
            for media_type, media in content.items():
                for name, example in media.get("examples", {}).items():
                    yield method, target, media_type, name, example["value"]
                if "example" in media:
                    yield method, target, media_type, "example", media["example"]
                ref = media.get("schema", {}).get("$ref", "")
                component = schema["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
                for index, example in enumerate(component.get("examples", [])):
                    yield method, target, media_type, f"schema example {index}", example


def _send(client: httpx.Client, method: str, path: str, media_type: str, body: Any) -> httpx.Response:
    """The example as Swagger UI sends it: JSON, or the text itself for other media types (a
    library's bundle as text/javascript)."""
    if media_type == "application/json":
        return client.request(method.upper(), path, json=body)
    return client.request(method.upper(), path, content=body,
                          headers={"Content-Type": media_type})


def test_every_request_example_succeeds_as_given(full_server: Any) -> None:
    with full_server.client(headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as client:
        schema = client.get("/openapi.json").json()
        examples = list(_request_examples(schema))
        paths = {path for _, path, _, _, _ in examples}
        assert {"/v1/evaluate", "/v1/evaluate/batch"} <= paths
        assert len(examples) >= 8
        for method, path, media_type, name, body in examples:
            response = _send(client, method, path, media_type, body)
            assert response.status_code in (200, 201), f"{method} {path} {name}: {response.text}"


def test_example_results_are_what_they_say(schema: dict[str, Any], api_client: httpx.Client):
    examples = schema["paths"]["/v1/evaluate"]["post"]["requestBody"]["content"][
        "application/json"
    ]["examples"]
    outcomes = {
        name: api_client.post("/v1/evaluate", json=example["value"]).json()
        for name, example in examples.items()
    }
    assert outcomes["script"]["result"] == 2 and outcomes["script"]["store"] == {"visits": 2}
    assert outcomes["function"]["result"] == {"id": 7, "doubled": 42}
    assert outcomes["expression"]["result"] == "HELLO"
    assert outcomes["virtual_clock"]["result"][0] == "1970-01-01T01:00:00.000Z"
    assert outcomes["timers"]["timers"]["pending"][0]["id"] == "poll"
    assert outcomes["failure"]["ok"] is False
    assert outcomes["failure"]["error"]["kind"] == "runtime"
    # The seeded example is the same on every run.
    again = api_client.post("/v1/evaluate", json=examples["virtual_clock"]["value"]).json()
    assert again["result"] == outcomes["virtual_clock"]["result"]


def test_every_get_operation_answers_200(full_server: Any) -> None:
    with full_server.client(headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as client:
        schema = client.get("/openapi.json").json()
        client.put("/v1/admin/datasources/payments", json={"base_url": "https://a.example"})
        client.put("/v1/admin/libraries/greeter", content="var Greeter = {};",
                   headers={"Content-Type": "text/javascript"})
        gets = [
            _path_with_examples(path, operations["get"])
            for path, operations in schema["paths"].items() if "get" in operations
        ]
        assert {"/healthz", "/readyz", "/v1/info", "/metrics"} <= set(gets)
        for path in gets:
            assert client.get(path).status_code == 200, path


def test_every_field_is_described(schema: dict[str, Any]) -> None:
    undescribed = [
        f"{name}.{field}"
        for name, component in schema["components"]["schemas"].items()
        for field, spec in component.get("properties", {}).items()
        if not spec.get("description")
    ]
    assert undescribed == []
    for name in ("EvaluationRequest", "EvaluationResult", "ErrorInfo", "LogEntry"):
        assert schema["components"]["schemas"][name]["properties"]
    request = schema["components"]["schemas"]["EvaluationRequest"]["properties"]
    for field in ("mode", "clock", "wait_for_timers", "random_seed", "fetch", "now_ms"):
        assert len(request[field]["description"]) > 20, field


def test_metrics_is_documented_as_text(schema: dict[str, Any]) -> None:
    content = schema["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(content) == ["text/plain"]


def test_error_models_match_what_is_sent(schema: dict[str, Any], api_client: httpx.Client):
    components = schema["components"]["schemas"]
    assert "HTTPValidationError" not in components  # FastAPI's, with input/ctx: not sent
    item = components["ValidationErrorItem"]
    assert set(item["properties"]) == {"type", "loc", "msg"}
    responses = schema["paths"]["/v1/evaluate"]["post"]["responses"]
    assert responses["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ValidationErrorBody"
    )
    for status in ("401", "413", "429", "503"):
        ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/ErrorBody"), status
    # What a 422 really carries: exactly the documented keys, in every item.
    sent = api_client.post(
        "/v1/evaluate", json={"code": "1", "timeout_ms": 10**9, "mode": "nope", "extra": 1}
    )
    assert sent.status_code == 422
    details = sent.json()["detail"]
    assert details and all(set(detail) == set(item["properties"]) for detail in details)
    assert set(components["ErrorBody"]["properties"]) == {"detail"}


def test_no_scheme_is_declared_without_keys(schema: dict[str, Any]) -> None:
    assert "securitySchemes" not in schema.get("components", {})
    assert not any(
        "security" in operation
        for operations in schema["paths"].values()
        for operation in operations.values()
    )


def test_bearer_scheme_is_declared_with_keys(serve_api: Callable[..., Any]) -> None:
    live = serve_api(Settings(workers=1, pool_size=1, api_keys=(SecretStr("k-123"),)))
    with live.client() as client:
        schema = client.get("/openapi.json").json()  # open without a key
        schemes = schema["components"]["securitySchemes"]
        assert schemes == {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "One of the keys in `JSEVAL_API_KEYS`.",
            }
        }
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                # The admin API takes admin keys only (none configured here: nothing declared).
                opened = path in OPEN_PATHS or path.startswith("/v1/admin")
                expected = [] if opened else [{"bearerAuth": []}]
                assert operation.get("security", []) == expected, path
        # The scheme is the one the service enforces.
        example = schema["paths"]["/v1/evaluate"]["post"]["requestBody"]["content"][
            "application/json"
        ]["examples"]["script"]["value"]
        assert client.post("/v1/evaluate", json=example).status_code == 401
        authorized = client.post(
            "/v1/evaluate", json=example, headers={"Authorization": "Bearer k-123"}
        )
        assert authorized.status_code == 200 and authorized.json()["ok"] is True


def test_admin_scheme_is_the_admin_keys(serve_api: Callable[..., Any]) -> None:
    settings = Settings(workers=1, pool_size=1, admin_keys=(SecretStr("adm-1"),))
    live = serve_api(settings)
    with live.client() as client:
        schema = client.get("/openapi.json").json()
        assert set(schema["components"]["securitySchemes"]) == {"adminBearerAuth"}
        admin_ops = [
            operation for path, operations in schema["paths"].items()
            if path.startswith("/v1/admin") for operation in operations.values()
        ]
        assert admin_ops and all(
            op["security"] == [{"adminBearerAuth": []}] for op in admin_ops
        )
        assert "security" not in schema["paths"]["/v1/evaluate"]["post"]  # no API keys here
        listed = client.get("/v1/admin/datasources", headers={"Authorization": "Bearer adm-1"})
        assert listed.status_code == 200
