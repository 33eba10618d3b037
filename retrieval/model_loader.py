"""Loading encoders and rerankers the way the settings say: cache folder, downloads, placement.

Why one place: search, ingest, the app's jobs and the answer's sentences must load a spec the
same way, on the device and in the dtype of `Settings.placement`. `adapters` keeps each loaded
model once per process (per spec and placement), so every loader of a process shares the weights.
"""

from __future__ import annotations

from adapters import Encoder, ModelSpec, load_encoder
from adapters.cross_encoder import CrossEncoder, load_reranker
from adapters.encoder import SHARED
from adapters.specs import RerankerSpec
from retrieval.settings import Settings


class ModelLoader:
    """Loads model specs from the settings' model cache, offline unless they allow downloads.

    Example:
        >>> loader = ModelLoader(Settings())
        >>> encoder = loader.encoder(Settings().model_specs()["minilm"])  # doctest: +SKIP
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def encoder(self, spec: ModelSpec, *, instance: str = SHARED) -> Encoder:
        """The spec's encoder; `instance` names a copy of the base of its own (`load_encoder`).

        Raises:
            ModelNotFoundError: The base or the adapter is not available offline.
            PlacementError: The spec or the settings name a device or dtype missing here.
        """
        return load_encoder(
            spec,
            cache_dir=self.settings.model_cache_dir,
            placement=self.settings.placement,
            allow_downloads=self.settings.allow_downloads,
            instance=instance,
        )

    def reranker(self, spec: RerankerSpec) -> CrossEncoder:
        """The reranker (cross-encoder) of `spec`.

        Raises:
            ModelNotFoundError: Its base or adapter folder is not available offline.
            PlacementError: Its dtype cannot run here.
        """
        return load_reranker(
            spec,
            cache_dir=self.settings.model_cache_dir,
            allow_downloads=self.settings.allow_downloads,
            placement=self.settings.placement,
        )
