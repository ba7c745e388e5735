"""No public default secret: outside the embedded mode the service refuses to start without a
strong UJIAN_JWT_SECRET; the embedded mode makes its own per data folder (kept there, 0600);
a token signed with a built-in string is refused everywhere."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient

from engine.app import create_app
from engine.auth.signing_keys import (
    KNOWN_SECRETS,
    SECRET_FILE,
    InsecureSecret,
    data_folder_secret,
    key_id,
    weakness,
)
from engine.embedded import free_loopback_port
from engine.settings import Settings
from tests.integration.conftest import PASSWORD, School

OLD_DEFAULT = "change-me-in-production-this-is-a-development-secret"
WEAK = [
    "",
    OLD_DEFAULT,
    "secret",
    "short-but-random-Xk29",
    "a" * 64,
    "abababababababababababababababababababab",
]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UJIAN_")}
    env.update(extra)
    return env


@pytest.mark.parametrize("secret", WEAK)
def test_serve_refuses_to_start_with_external_servers_and_no_strong_secret(
    settings: Settings, secret: str
) -> None:
    env = _env(
        UJIAN_DATABASE_URL=settings.database_url or "",
        UJIAN_REDIS_URL=settings.redis_url or "",
        UJIAN_PORT=str(free_loopback_port()),
    )
    if secret:
        env["UJIAN_JWT_SECRET"] = secret
    done = subprocess.run(
        [sys.executable, "-m", "engine.cli", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "UJIAN_JWT_SECRET" in done.stderr
    assert len(secret) < 16 or secret not in done.stderr  # the refusal does not echo it


@pytest.mark.parametrize("secret", WEAK)
def test_the_app_cannot_be_built_with_a_weak_secret(settings: Settings, secret: str) -> None:
    weak = msgspec.structs.replace(settings, jwt_secret=secret)
    with pytest.raises(InsecureSecret, match="UJIAN_JWT_SECRET"):
        create_app(weak)


@given(st.sampled_from(sorted(KNOWN_SECRETS)), st.sampled_from(["", " ", "\n"]), st.booleans())
def test_every_known_string_is_refused_however_written(known: str, pad: str, upper: bool) -> None:
    written = (known.upper() if upper else known) + pad
    assert weakness(written) is not None


@given(st.binary(min_size=24, max_size=64))
def test_random_secrets_of_24_bytes_or_more_are_accepted(raw: bytes) -> None:
    import base64

    encoded = base64.urlsafe_b64encode(raw).decode()
    # a random string can, rarely, repeat itself enough to look weak; real ones are 48 bytes
    if len(set(encoded)) >= 20:
        assert weakness(encoded) is None


def test_the_data_folder_secret_is_private_and_kept(tmp_path: Path) -> None:
    first = data_folder_secret(tmp_path / "data")
    path = tmp_path / "data" / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert weakness(first) is None and first not in KNOWN_SECRETS
    assert data_folder_secret(tmp_path / "data") == first  # a restart keeps the tokens valid
    assert data_folder_secret(tmp_path / "other") != first  # no two installations share one
    path.write_text(OLD_DEFAULT)  # a weak secret left in the folder is replaced
    assert data_folder_secret(tmp_path / "data") not in (first, OLD_DEFAULT)


async def test_key_rotation_by_key_id(settings: Settings, school: School) -> None:
    """A new secret signs, the previous one still verifies the tokens it signed (named by
    their ``kid``), and once it is dropped they are refused."""
    old, new = secrets.token_urlsafe(48), secrets.token_urlsafe(48)
    before = msgspec.structs.replace(settings, jwt_secret=old)
    during = msgspec.structs.replace(settings, jwt_secret=new, jwt_previous_secrets=old)
    after = msgspec.structs.replace(settings, jwt_secret=new)
    async with AsyncTestClient(app=create_app(before)) as first:
        r = await first.post(
            "/v1/auth/token", json={"username": school.teacher, "password": PASSWORD}
        )
        signed_old = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert jwt.get_unverified_header(r.json()["access_token"])["kid"] == key_id(old)
    async with AsyncTestClient(app=create_app(during)) as rotating:
        assert (await rotating.get("/v1/me", headers=signed_old)).status_code == 200
        r = await rotating.post(
            "/v1/auth/token", json={"username": school.teacher, "password": PASSWORD}
        )
        assert jwt.get_unverified_header(r.json()["access_token"])["kid"] == key_id(new)
        signed_new = {"Authorization": f"Bearer {r.json()['access_token']}"}
        claims = jwt.decode(r.json()["access_token"], options={"verify_signature": False})
        # a key id naming no key of ours, or none with a foreign signature: refused
        for headers in ({"kid": "0" * 16}, {}):
            forged = jwt.encode(claims, secrets.token_urlsafe(48), "HS256", headers=headers)
            r = await rotating.get("/v1/me", headers={"Authorization": f"Bearer {forged}"})
            assert r.status_code == 401
    async with AsyncTestClient(app=create_app(after)) as rotated:
        assert (await rotated.get("/v1/me", headers=signed_new)).status_code == 200
        assert (await rotated.get("/v1/me", headers=signed_old)).status_code == 401
    with pytest.raises(InsecureSecret, match="UJIAN_JWT_PREVIOUS_SECRETS"):
        create_app(msgspec.structs.replace(during, jwt_previous_secrets=f"{old},{OLD_DEFAULT}"))


class Demo:
    def __init__(self, base: str, data_dir: Path, process: subprocess.Popen[str]) -> None:
        self.base, self.data_dir, self.process = base, data_dir, process


def _start_embedded(data_dir: Path, *args: str) -> Demo:
    port = free_loopback_port()
    log = open(data_dir.parent / "serve.log", "a")  # noqa: SIM115 - the child owns it
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "serve", *args, "--port", str(port)],
        env=_env(UJIAN_DATA_DIR=str(data_dir)),
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log.close()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert process.poll() is None, (data_dir.parent / "serve.log").read_text()
        try:
            if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                return Demo(base, data_dir, process)
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("the embedded server did not become ready")


def _stop(demo: Demo) -> None:
    """SIGINT, as an operator's Ctrl-C or `make run`'s: the server, its granian worker and
    their CPU-lane workers all end, so a restart on the same folder finds it free."""
    if demo.process.poll() is None:
        demo.process.send_signal(signal.SIGINT)
        try:
            demo.process.wait(60)
        except subprocess.TimeoutExpired:
            demo.process.kill()
            demo.process.wait()
            raise AssertionError("the server did not stop on SIGINT within 60 s") from None


@pytest.fixture
def embedded_demo() -> Iterator[Demo]:
    root = Path(tempfile.mkdtemp(prefix="ujian-secret-"))
    demo = _start_embedded(root / "data", "--demo")
    try:
        yield demo
    finally:
        _stop(demo)
        shutil.rmtree(root, ignore_errors=True)


def test_the_demo_signs_with_its_own_secret_and_refuses_the_old_default(
    embedded_demo: Demo,
) -> None:
    secret_file = embedded_demo.data_dir / SECRET_FILE
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    with httpx.Client(base_url=embedded_demo.base, timeout=10) as http:
        r = http.post("/v1/auth/token", json={"username": "student07", "password": "student-demo"})
        assert r.status_code == 201, r.text
        token = r.json()["access_token"]
        claims = jwt.decode(token, options={"verify_signature": False})
        assert http.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        jwt.decode(token, secret_file.read_text().strip(), algorithms=["HS256"])
        forged = jwt.encode(
            {
                **claims,
                "extras": {**claims["extras"], "role": "admin"},
                "exp": claims["exp"] + 365 * 86400,
            },
            OLD_DEFAULT,
            "HS256",
        )
        for path in ("/v1/me", "/v1/orgs", "/v1/exams"):
            r = http.get(path, headers={"Authorization": f"Bearer {forged}"})
            assert r.status_code == 401, (path, r.text)
    # a restart on the same data folder keeps the secret, so the token handed out still works
    _stop(embedded_demo)
    again = _start_embedded(embedded_demo.data_dir)
    embedded_demo.process = again.process
    r = httpx.get(f"{again.base}/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 200, r.text
