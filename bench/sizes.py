"""Package sizes after ``sam build``: each function's folder and the layer, in ``.aws-sam/build``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / ".aws-sam" / "build"


def _size(folder: Path) -> tuple[int, int]:
    files = [path for path in folder.rglob("*") if path.is_file()]
    return sum(path.stat().st_size for path in files), len(files)


def package_sizes() -> dict[str, Any]:
    if not (BUILD / "template.yaml").exists():
        return {"error": "no .aws-sam/build: run `make build` first (make bench does)"}
    sizes: dict[str, Any] = {}
    for folder in sorted(path for path in BUILD.iterdir() if path.is_dir()):
        size, count = _size(folder)
        sizes[folder.name] = {"bytes": size, "files": count}
    return sizes
