"""A training run's work folder, `<out>.partial/`: its plan, checkpoints and ledger.

A run that was cut off resumes from its last complete checkpoint, but only under the plan it
was started with (same base, data and options); the ledger carries what the runs before it
measured and the time they took.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from adapters.errors import AdapterError

PLAN_FILE = "plan.json"
# What a resumed run takes over from the runs before it: the base model's held-out scores and
# the wall time spent up to the last checkpoint (the model card reports the whole run's time).
LEDGER_FILE = "ledger.json"


def complete_checkpoints(checkpoints: Path) -> list[Path]:
    """Checkpoints in step order that finished writing; half-written ones are deleted.

    A run killed while saving leaves a `checkpoint-N` folder without `trainer_state.json`
    (written last), and the trainer's own resume would pick it and fail.
    """
    complete = []
    for folder in checkpoints.glob("checkpoint-*"):
        if (folder / "trainer_state.json").is_file():
            complete.append(folder)
        else:
            shutil.rmtree(folder)
    return sorted(complete, key=lambda folder: int(folder.name.rsplit("-", 1)[-1]))


def prepare_workdir(
    out: Path, plan: dict[str, Any], *, overwrite: bool, resume: bool
) -> tuple[Path, Path | None]:
    """The `.partial` folder to work in, and the checkpoint to resume from (if resuming)."""
    if out.exists() and not overwrite:
        raise AdapterError(f"{out} exists; pass --overwrite to replace it")
    work = out.with_name(out.name + ".partial")
    plan_file = work / PLAN_FILE
    if resume:
        checkpoints = complete_checkpoints(work / "checkpoints")
        if not checkpoints:
            raise AdapterError(f"nothing to resume: {work} holds no complete checkpoint")
        recorded = json.loads(plan_file.read_text(encoding="utf-8"))
        if recorded != json.loads(json.dumps(plan)):
            raise AdapterError(
                f"cannot resume {work}: it was started with other data or options; "
                "run without --resume to start afresh"
            )
        return work, checkpoints[-1]
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    plan_file.write_text(json.dumps(plan, indent=2) + "\n", encoding="utf-8")
    return work, None


def read_ledger(work: Path) -> dict[str, Any]:
    """What the runs before this one recorded (empty for a new run)."""
    path = work / LEDGER_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def ledger_callback(work: Path, ledger: dict[str, Any], origin: float) -> Any:
    """A callback that writes the ledger beside every checkpoint, the time counted from `origin`."""
    from transformers import TrainerCallback

    class LedgerAtCheckpoint(TrainerCallback):
        def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            ledger["seconds"] = round(time.perf_counter() - origin, 1)
            partial = work / (LEDGER_FILE + ".tmp")
            partial.write_text(json.dumps(ledger, indent=2) + "\n", encoding="utf-8")
            partial.replace(work / LEDGER_FILE)

    return LedgerAtCheckpoint()
