"""Every route of an app is held to its body limit (BodyLimit): a body the framework reads (a
model, a multipart upload) is refused with 413 problem+json by its Content-Length before
anything is read, or as soon as a chunked body runs past the limit; and a route served
directly answers the same refusal."""

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI, Request, Response, UploadFile
from fastapi.testclient import TestClient
from pydantic import BaseModel

from onestep_runtime.direct_route import DirectRoute
from onestep_runtime.problems import install_problem_handlers
from onestep_runtime.request_body import BodyLimit
from tests.peers import serving

LIMIT = 4096
uploaded: list[int] = []


class Decision(BaseModel):
    outcome: str
    reason: str


def app() -> FastAPI:
    things = FastAPI(title="things")
    install_problem_handlers(things)

    @things.post("/decisions")
    async def decide(decision: Decision) -> dict[str, str]:
        return {"outcome": decision.outcome}

    @things.post("/files", status_code=201)
    async def upload(file: UploadFile) -> dict[str, int]:
        size = len(await file.read())
        uploaded.append(size)
        return {"size": size}

    async def direct(request: Request) -> Response:
        return Response(str(len(await request.body())), 201)

    things.add_api_route("/direct", direct, methods=["POST"])
    things.add_middleware(DirectRoute, method="POST", path="/direct", endpoint=direct)
    things.add_middleware(BodyLimit, limit=LIMIT, hint="Send a file of at most 4000 bytes.")
    return things


def chunks(body: bytes, size: int = 1024) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "The request body is too large"
    assert response.json()["detail"] == "At most 4096 bytes. Send a file of at most 4000 bytes."


def multipart(file: bytes) -> tuple[bytes, str]:
    request = httpx.Request("POST", "http://x/files", files={"file": ("a.pdf", file)})
    return request.read(), request.headers["content-type"]


def test_bodies_within_the_limit_are_read_as_ever():
    client = TestClient(app())
    assert client.post("/decisions", json={"outcome": "approved", "reason": "ok"}).json() == {"outcome": "approved"}
    body, content_type = multipart(b"x" * 3000)
    sent = client.post("/files", content=chunks(body), headers={"content-type": content_type})
    assert sent.status_code == 201 and sent.json() == {"size": 3000}
    assert client.post("/direct", content=chunks(b"y" * 4000)).text == "4000"


def test_a_chunked_body_past_the_limit_is_refused_as_it_is_read():
    """Before, the model route read the whole body and answered 422, and the upload was spooled
    whole and stored."""
    client = TestClient(app())
    uploaded.clear()
    decision = b'{"outcome": "approved", "reason": "' + b"x" * 10_000 + b'"}'
    assert_refused(client.post("/decisions", content=chunks(decision), headers={"content-type": "application/json"}))
    body, content_type = multipart(b"x" * 10_000)
    assert_refused(client.post("/files", content=chunks(body), headers={"content-type": content_type}))
    assert uploaded == []
    assert_refused(client.post("/direct", content=chunks(b"y" * 10_000)))


def test_a_declared_length_past_the_limit_is_refused_before_a_byte_of_the_body_is_sent():
    """A client declaring ten gigabytes gets its answer at once; the server does not wait for them."""
    with serving(app()) as url:
        address = urlsplit(url)
        with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
            connection.sendall(
                b"POST /files HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                b"Content-Length: 10000000000\r\n\r\n"
            )
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                received = connection.recv(4096)
                assert received, f"the server closed the connection, having sent {answer!r}"
                answer += received
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ")
    assert b"content-type: application/problem+json" in head.lower()
    assert b'"At most 4096 bytes. Send a file of at most 4000 bytes."' in body
