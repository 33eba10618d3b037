"""Settings: code > CARDIORAG_* environment > cardiorag.toml > defaults, and their checks."""

from __future__ import annotations

import doctest
import os
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

import retrieval.settings
from retrieval import Settings
from retrieval.settings import CONFIG_ENV_VAR


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No CARDIORAG_* variable, `.env` or `cardiorag.toml` of the developer leaks in."""
    for name in list(os.environ):
        if name.upper().startswith("CARDIORAG_"):
            monkeypatch.delenv(name)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return workdir


@pytest.fixture
def toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config" / "cardiorag.toml"
    path.parent.mkdir()
    path.write_text(
        'default_model = "from-toml"\n'
        'default_corpus = "toml-corpus"\n'
        "embed_batch_size = 8\n"
        "chunk_overlap_tokens = 16\n"
        'data_dir = "/srv/toml"\n'
    )
    monkeypatch.setenv(CONFIG_ENV_VAR, str(path))
    return path


def test_defaults() -> None:
    settings = Settings()
    assert settings.data_dir == Path(".cardiorag")
    assert settings.qdrant_url == ""
    assert settings.qdrant_api_key is None
    assert settings.sql_url is None
    assert settings.default_model == "minilm"
    assert settings.default_corpus == "cardiology"
    assert (settings.torch_threads, settings.chunk_overlap_tokens, settings.embed_batch_size) == (
        os.cpu_count(),
        32,
        32,
    )
    assert settings.allow_downloads is False
    assert settings.debug is False


def test_toml_overrides_defaults(toml_file: Path) -> None:
    settings = Settings()
    assert settings.default_model == "from-toml"
    assert settings.default_corpus == "toml-corpus"
    assert settings.embed_batch_size == 8
    assert settings.data_dir == Path("/srv/toml")
    assert settings.torch_threads == os.cpu_count()  # not in the file: the default


def test_environment_overrides_toml(toml_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDIORAG_DEFAULT_MODEL", "from-env")
    monkeypatch.setenv("CARDIORAG_EMBED_BATCH_SIZE", "4")
    monkeypatch.setenv("CARDIORAG_DATA_DIR", "/srv/env")
    monkeypatch.setenv("CARDIORAG_ALLOW_DOWNLOADS", "1")
    settings = Settings()
    assert settings.default_model == "from-env"
    assert settings.embed_batch_size == 4
    assert settings.data_dir == Path("/srv/env")
    assert settings.allow_downloads is True
    assert settings.default_corpus == "toml-corpus"  # only in the file
    assert settings.chunk_overlap_tokens == 16


def test_code_overrides_environment_and_toml(
    toml_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARDIORAG_DEFAULT_MODEL", "from-env")
    monkeypatch.setenv("CARDIORAG_DEFAULT_CORPUS", "env-corpus")
    settings = Settings(default_model="from-code", embed_batch_size=64)
    assert settings.default_model == "from-code"
    assert settings.embed_batch_size == 64
    assert settings.default_corpus == "env-corpus"
    assert settings.chunk_overlap_tokens == 16


def test_load_ignores_options_not_given(toml_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDIORAG_DEFAULT_MODEL", "from-env")
    settings = Settings.load(default_model=None, data_dir=Path("/srv/cli"), torch_threads=None)
    assert settings.default_model == "from-env"
    assert settings.data_dir == Path("/srv/cli")
    assert settings.torch_threads == os.cpu_count()


def test_dotenv_in_the_working_directory(clean_environment: Path) -> None:
    (clean_environment / ".env").write_text(
        "QDRANT_URL=http://for-docker-compose:6333\nCARDIORAG_DEFAULT_CORPUS=dotenv-corpus\n"
    )
    assert Settings().default_corpus == "dotenv-corpus"


def test_cardiorag_toml_in_the_working_directory(clean_environment: Path) -> None:
    (clean_environment / "cardiorag.toml").write_text('default_corpus = "local-toml"\n')
    assert Settings().default_corpus == "local-toml"


@pytest.mark.parametrize("url", ["localhost:6333", "qdrant:6333", "ftp://qdrant:6333"])
def test_qdrant_url_needs_a_scheme(url: str) -> None:
    with pytest.raises(ValidationError, match="must start with http:// or https://"):
        Settings(qdrant_url=url)


@pytest.mark.parametrize("url", ["", "http://localhost:6333", "https://q.example.org"])
def test_qdrant_url_accepted(url: str) -> None:
    assert Settings(qdrant_url=url).qdrant_url == url


def test_bad_qdrant_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDIORAG_QDRANT_URL", "localhost:6333")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.setenv("CARDIORAG_DEBUG", "true")
    assert Settings.debug_enabled() is False  # invalid settings: no crash, no tracebacks


def test_debug_enabled_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.debug_enabled() is False
    monkeypatch.setenv("CARDIORAG_DEBUG", "1")
    assert Settings.debug_enabled() is True


def test_values_are_checked() -> None:
    with pytest.raises(ValidationError):
        Settings(torch_threads=0)
    with pytest.raises(ValidationError):
        Settings(chunk_overlap_tokens=-1)
    with pytest.raises(ValidationError, match="extra"):
        Settings(unknown_option=1)


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.default_model = "other"  # type: ignore[misc]


def test_sql_url_defaults_to_sqlite_in_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    assert settings.sql_url_or_default() == f"sqlite:///{tmp_path / 'data' / 'catalog.db'}"


def test_sql_url_default_is_absolute(clean_environment: Path) -> None:
    url = Settings(data_dir=Path("rel")).sql_url_or_default()
    assert url == f"sqlite:///{clean_environment.resolve() / 'rel' / 'catalog.db'}"


def test_sql_url_configured_wins(tmp_path: Path) -> None:
    url = "postgresql+psycopg://cardio:hunter2@db:5432/cardio"
    settings = Settings(data_dir=tmp_path, sql_url=url)
    assert settings.sql_url_or_default() == url


def test_secrets_stay_out_of_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDIORAG_QDRANT_API_KEY", "qdrant-secret-key")
    settings = Settings(sql_url="postgresql://cardio:hunter2@db/cardio")
    assert isinstance(settings.qdrant_api_key, SecretStr)
    assert settings.qdrant_api_key.get_secret_value() == "qdrant-secret-key"
    for shown in (repr(settings), str(settings), repr(settings.model_dump())):
        assert "qdrant-secret-key" not in shown
        assert "hunter2" not in shown


def test_docstring_example_runs() -> None:
    failures, tried = doctest.testmod(retrieval.settings, verbose=False)
    assert tried > 0
    assert failures == 0


def test_server_settings_from_toml_table_and_nested_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cardiorag.toml"
    path.write_text('[server]\nshard_number = 6\nquantization = "int8"\n')
    monkeypatch.setenv(CONFIG_ENV_VAR, str(path))
    monkeypatch.setenv("CARDIORAG_SERVER__REPLICATION_FACTOR", "2")
    server = Settings().server
    assert (server.shard_number, server.replication_factor, server.quantization) == (6, 2, "int8")
    assert server.hnsw_m == 16 and server.retries == 3  # defaults kept
    monkeypatch.setenv("CARDIORAG_SERVER__QUANTIZATION", "binary")
    with pytest.raises(ValueError, match="quantization"):
        Settings()


def test_ui_password_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDIORAG_UI_PASSWORD", "s3cret")
    settings = Settings()
    assert settings.ui_password is not None
    assert settings.ui_password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)
