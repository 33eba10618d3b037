"""CardioRAG settings: the one place that reads the environment and `cardiorag.toml`.

Precedence, highest first: values passed in code or on the command line, `CARDIORAG_*`
environment variables (and a `.env` file), the TOML file, then the defaults below.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from adapters import ModelSpec, load_model_specs

logger = logging.getLogger(__name__)

CONFIG_ENV_VAR = "CARDIORAG_CONFIG"
DEFAULT_CONFIG_FILE = "cardiorag.toml"


class Settings(BaseSettings):
    """Everything a CardioRAG process can be configured with.

    Example:
        >>> s = Settings(data_dir="/tmp/cardio", default_model="minilm")
        >>> s.sql_url_or_default().startswith("sqlite:///")
        True
    """

    model_config = SettingsConfigDict(
        env_prefix="CARDIORAG_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="forbid",
        frozen=True,
    )

    data_dir: Path = Field(Path(".cardiorag"), description="Embedded store, catalog and caches.")
    qdrant_url: str = Field("", description="Empty: the embedded Qdrant Edge store in data_dir.")
    qdrant_api_key: SecretStr | None = None
    sql_url: SecretStr | None = Field(
        None, description="SQLAlchemy URL; default: SQLite in data_dir."
    )
    model_cache_dir: Path = Field(
        Path("~/.cache/cardiorag/models").expanduser(),
        description="Where packaged weights that need unpacking (all-mpnet-base-v2) go, once.",
    )
    models_file: Path = Field(
        Path("models.toml"),
        description="User models.toml, merged over ours; `adapters register` writes to it. "
        "The default location may be absent; a location you set must exist.",
    )
    default_model: str = "minilm"
    default_corpus: str = "cardiology"
    torch_threads: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        description="Default: every core (1.9x faster than one thread on an idle 2-core machine); "
        "set 1 when other work shares the machine (then one thread was 1.25x faster than two).",
    )
    allow_downloads: bool = Field(
        default=False, description="Let model loading fetch weights from a hub (never by default)."
    )
    debug: bool = Field(default=False, description="Show tracebacks of CardioRAG errors.")
    chunk_overlap_tokens: int = Field(32, ge=0)
    embed_batch_size: int = Field(32, ge=1)

    @field_validator("qdrant_url")
    @classmethod
    def _url_has_scheme(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"qdrant_url must start with http:// or https://, got {value!r}")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Flags and code, then environment and .env, then the TOML file (CARDIORAG_CONFIG)."""
        toml_file = Path(os.environ.get(CONFIG_ENV_VAR, DEFAULT_CONFIG_FILE))
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_file),
        )

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Build settings with CLI overrides; `None` values mean "not given on the command line"."""
        return cls(**{key: value for key, value in overrides.items() if value is not None})

    @classmethod
    def debug_enabled(cls) -> bool:
        """CARDIORAG_DEBUG, read before the command line is parsed (for tracebacks)."""
        try:
            return cls().debug
        except ValueError:
            return False

    def model_specs(self) -> dict[str, ModelSpec]:
        """The shipped model specs with the user's `models_file` merged over them.

        A missing file means nothing is registered yet (`adapters register` creates it); a
        location set on purpose that does not exist is worth a warning.
        """
        if "models_file" in self.model_fields_set and not self.models_file.exists():
            logger.warning(
                "models_file %s does not exist (yet): shipped specs only", self.models_file
            )
        return load_model_specs(self.models_file, required=False)

    def sql_url_or_default(self) -> str:
        """The catalog's SQLAlchemy URL: the configured one, else SQLite inside `data_dir`."""
        if self.sql_url is not None:
            return self.sql_url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'catalog.db').resolve()}"
