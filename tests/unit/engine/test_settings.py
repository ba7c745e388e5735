"""Settings come from UJIAN_* variables, once, typed."""

from __future__ import annotations

import msgspec
import pytest

from engine.settings import Settings, setting_env_names


def test_defaults_are_the_embedded_mode() -> None:
    settings = Settings.from_env({})
    assert settings.embedded and settings.data_dir == ".ujian" and settings.port == 8000


def test_values_are_converted() -> None:
    settings = Settings.from_env(
        {
            "UJIAN_PORT": "9001",
            "UJIAN_RUN_WORKERS_IN_API": "false",
            "UJIAN_DATABASE_URL": "postgresql://db/x",
            "UJIAN_REDIS_URL": "redis://r:6379/0",
            "OTHER": "ignored",
        }
    )
    assert settings.port == 9001 and settings.run_workers_in_api is False
    assert not settings.embedded


def test_bad_values_are_refused() -> None:
    with pytest.raises(msgspec.ValidationError):
        Settings.from_env({"UJIAN_PORT": "eighty"})
    with pytest.raises(msgspec.ValidationError):
        Settings.from_env({"UJIAN_SERVER": "gunicorn"})


def test_every_field_has_an_env_name() -> None:
    names = setting_env_names()
    assert "UJIAN_DATABASE_URL" in names and len(names) == len(set(names))
    assert len(names) == len(msgspec.structs.fields(Settings))


def test_every_setting_is_documented_in_the_readme() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    undocumented = [name for name in setting_env_names() if name not in readme]
    assert undocumented == []
