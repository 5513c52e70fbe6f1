"""Where kg's trained models live: the package's kg/models, or the folder the KG_MODELS variable names
(to try what `kg train --models DIR` wrote before it replaces the shipped models; a model the folder
lacks comes from the package)."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_MODELS = Path(__file__).resolve().parent.parent / "models"


def model_path(name: str) -> Path:
    """kg/models/<name>, or <KG_MODELS>/<name> when that folder has it."""
    chosen = os.environ.get("KG_MODELS")
    if chosen and (Path(chosen) / name).exists():
        return Path(chosen) / name
    return PACKAGE_MODELS / name
