"""Raw HTTP against the sandbox: an httpx client and helpers that post DeepCall bodies."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from app.sandbox.server import SandboxServer

Post = Callable[..., Any]


@pytest.fixture
def http(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url, timeout=10.0) as client:
        yield client


@pytest.fixture
def post(http: httpx.Client) -> Post:
    """``post("agentDashboard/contactInfo", {...})`` -> the decoded JSON answer (HTTP 200)."""

    def send(path: str, body: dict[str, Any]) -> Any:
        response = http.post(f"/api/v2/{path}", json=body)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        return response.json()

    return send
