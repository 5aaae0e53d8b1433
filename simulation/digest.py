"""A digest of the model as it is: its code and its preset regimes.

Work that is resumed from kept results (a calibration's simulations, the coverage benchmark's
fits) must not mix two models: the digest names the model, so kept work of another is not read
as this one's. Every ``.py`` file under ``simulation/`` and every preset in the preset folder,
by path and bytes, in order; a comment edit changes it too (conservative: the work is redone).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from simulation.loading import preset_dir

PACKAGE = Path(__file__).resolve().parent


def model_digest(package: Path = PACKAGE, presets: Path | None = None) -> str:
    """16 hex digits naming the model's code (``package``) and its presets (``presets``)."""
    presets = preset_dir() if presets is None else presets
    digest = hashlib.sha256()
    for root, files in ((package, sorted(package.rglob("*.py"))),
                        (presets, sorted(presets.glob("*.yaml")))):
        for path in files:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]
