"""A sender that delivers webhook bodies the way Anedot does: signed, with request ids.

For tests, the demo and the benchmark; it is also a quick way to replay an export into a
running `klaviyo-toolkit serve`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from .webhook import sign

__all__ = ["deliver", "headers_for", "read_bodies"]


def headers_for(
    body: bytes, secret: bytes, *, request_id: str | None = None
) -> dict[str, str]:
    """The headers of one signed delivery."""
    return {
        "Content-Type": "application/json",
        "X-Request-Signature": sign(body, secret),
        "X-Request-Id": request_id or str(uuid.uuid4()),
        "X-Integration-Id": "klaviyo-toolkit-sender",
    }


async def deliver(
    client: httpx.AsyncClient,
    url: str,
    document: dict[str, Any] | bytes,
    secret: bytes,
    *,
    request_id: str | None = None,
) -> httpx.Response:
    """POST one delivery: a dict is encoded as Anedot does, bytes go as they are."""
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    return await client.post(
        url, content=body, headers=headers_for(body, secret, request_id=request_id)
    )


def read_bodies(path: str | Path) -> Iterator[bytes]:
    """The non-empty lines of a JSONL file of webhook bodies, such as the sample's."""
    with Path(path).open("rb") as handle:
        for line in handle:
            if line.strip():
                yield line.rstrip(b"\r\n")
