"""The load generator's HTTP pool against a real HTTP server on loopback: what it sends, what
it parses back, and what it does when the server misbehaves."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
import trustme
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.loadgen.client import Api
from bench.loadgen.stats import Stats
from bench.loadgen.wire import WireError, WirePool

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, dict[str, str], bytes]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in head[1:] if line)
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return head[0], headers, body


def _reply(status: int, body: bytes, extra: str = "") -> bytes:
    return (f"HTTP/1.1 {status} X\r\ncontent-length: {len(body)}\r\n{extra}\r\n").encode() + body


@asynccontextmanager
async def _server(
    handler: Handler, tls: ssl.SSLContext | None = None
) -> AsyncIterator[tuple[str, list[int]]]:
    """An HTTP (or, given a context, HTTPS) server on a free loopback port; yields its URL
    and a list that counts the connections it accepted."""
    accepted: list[int] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        try:
            await handler(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}", accepted
    finally:
        server.close()
        await server.wait_closed()


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Replies to each request on the connection with its request line, headers and body."""
    while True:
        line, headers, body = await _read_request(reader)
        listed = "".join(f"{k}={v};" for k, v in sorted(headers.items()))
        writer.write(_reply(200, f"{line}\n{listed}\n".encode() + body))
        await writer.drain()


async def test_requests_reuse_one_kept_alive_connection() -> None:
    async with _server(_echo) as (url, accepted):
        pool = WirePool(url + "/base/", connections=4, timeout_s=5)
        for n in range(5):
            status, body = await pool.request(
                "POST", f"/v1/x?n={n}", "authorization: Bearer t\r\n", b'{"a":1}'
            )
            assert status == 200
            line, listed, sent = body.split(b"\n", 2)
            assert line == f"POST /base/v1/x?n={n} HTTP/1.1".encode()
            assert b"authorization=Bearer t;" in listed and b"content-length=7;" in listed
            assert sent == b'{"a":1}'
        await pool.close()
    assert len(accepted) == 1


async def test_concurrent_requests_open_no_more_connections_than_allowed() -> None:
    async with _server(_echo) as (url, accepted):
        pool = WirePool(url, connections=3, timeout_s=5)
        replies = await asyncio.gather(*(pool.request("GET", f"/{n}", "", None) for n in range(20)))
        await pool.close()
    assert sorted(int(b.split(b" ")[1][1:]) for _, b in replies) == list(range(20))
    assert len(accepted) == 3


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(max_size=70_000), path=st.from_regex(r"/[a-z0-9/_\-]{0,40}", fullmatch=True))
def test_any_body_arrives_whole_and_comes_back_whole(body: bytes, path: str) -> None:
    async def run() -> tuple[int, bytes]:
        async with _server(_echo) as (url, _):
            pool = WirePool(url, connections=1, timeout_s=5)
            try:
                return await pool.request("PUT", path, "", body)
            finally:
                await pool.close()

    status, reply = asyncio.run(run())
    assert status == 200
    assert reply.split(b"\n", 2)[2] == body


async def test_chunked_replies_are_joined() -> None:
    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(
            b"HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        )
        await writer.drain()
        await _echo(reader, writer)

    async with _server(chunked) as (url, accepted):
        pool = WirePool(url, connections=1, timeout_s=5)
        assert await pool.request("GET", "/", "", None) == (201, b"hello world")
        status, _ = await pool.request("GET", "/again", "", None)  # the same connection
        await pool.close()
    assert status == 200 and len(accepted) == 1


async def test_a_connection_the_server_closes_is_not_reused() -> None:
    async def once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(_reply(200, b"bye", "connection: close\r\n"))
        await writer.drain()

    async with _server(once) as (url, accepted):
        pool = WirePool(url, connections=1, timeout_s=5)
        assert [await pool.request("GET", "/", "", None) for _ in range(3)] == [(200, b"bye")] * 3
        await pool.close()
    assert len(accepted) == 3


async def test_a_reply_cut_short_is_an_error_and_the_next_request_works() -> None:
    cut = [True]

    async def cutting(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if cut.pop() if cut else False:
            await _read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial")
            await writer.drain()
            return  # closes the connection mid-body
        await _echo(reader, writer)

    async with _server(cutting) as (url, accepted):
        pool = WirePool(url, connections=1, timeout_s=5)
        with pytest.raises(WireError):
            await pool.request("GET", "/", "", None)
        status, _ = await pool.request("GET", "/", "", None)
        await pool.close()
    assert status == 200 and len(accepted) == 2


async def test_a_silent_server_times_out_and_its_connection_is_dropped() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        await reader.read()  # until the client gives up and closes

    async with _server(silent) as (url, _):
        pool = WirePool(url, connections=1, timeout_s=0.2)
        with pytest.raises(TimeoutError):
            await pool.request("GET", "/", "", None)
        await pool.close()


async def test_garbage_instead_of_http_is_an_error() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"SSH-2.0-OpenSSH\r\n\r\n")
        await writer.drain()
        await reader.read()

    async with _server(garbage) as (url, _):
        pool = WirePool(url, connections=1, timeout_s=5)
        with pytest.raises(WireError, match="malformed"):
            await pool.request("GET", "/", "", None)
        await pool.close()


async def test_api_records_refused_connections_as_retryable_with_no_reply() -> None:
    async with _server(_echo) as (url, _):
        pass  # the port is free again: nothing listens there now
    stats = Stats()
    api = Api(url, stats, connections=2, timeout_s=2)
    reply = await api.call("answers", "POST", "/v1/x", body={"events": []})
    await api.close()
    assert reply.status == 0 and reply.retryable and not reply.ok
    assert stats.summary().errors == {"answers connection ConnectionRefusedError": 1}


async def test_api_reads_problem_codes_of_error_replies() -> None:
    async def problem(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            _, headers, _ = await _read_request(reader)
            assert headers["content-type"] == "application/json"
            writer.write(_reply(409, b'{"status":409,"code":"seq_gap"}'))
            await writer.drain()

    stats = Stats()
    async with _server(problem) as (url, _):
        api = Api(url, stats, connections=1, timeout_s=2)
        reply = await api.call("answers", "POST", "/v1/x", token="tok", body={"events": []})
        await api.close()
    assert (reply.status, reply.error, reply.retryable) == (409, "409 seq_gap", False)


async def test_https_with_the_servers_ca_and_refused_without_it() -> None:
    ca = trustme.CA()
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(served)
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    async with _server(_echo, served) as (url, _):
        pool = WirePool(url, connections=1, timeout_s=5, tls=trusting)
        status, body = await pool.request("POST", "/v1/x", "", b"secret")
        await pool.close()
        assert status == 200 and body.endswith(b"\nsecret")
        stranger = WirePool(url, connections=1, timeout_s=5)  # the system's CAs only
        with pytest.raises(ssl.SSLCertVerificationError):
            await stranger.request("GET", "/", "", None)


def test_the_pool_speaks_http_and_https_only() -> None:
    with pytest.raises(ValueError, match="http or https"):
        WirePool("ftp://example.org", connections=1, timeout_s=1)
