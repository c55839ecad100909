"""``template.yaml`` read as CloudFormation: SAM resources translated, local code paths kept."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from cfnlint.decode import decode
from samtranslator.translator.transform import transform

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
_LOCAL_BUCKET = "s3://local-code/"


class _NoManagedPolicies:
    """SAM asks for managed policy ARNs by name; this template names none."""

    def load(self) -> dict[str, str]:
        return {}


@dataclass(frozen=True)
class Template:
    resources: dict[str, dict[str, Any]]
    outputs: dict[str, dict[str, Any]]
    parameters: dict[str, dict[str, Any]]
    conditions: dict[str, Any] = field(default_factory=dict)

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {name: res for name, res in self.resources.items() if res["Type"] == resource_type}


def _point_code_at_s3(node: Any) -> None:
    """SAM only translates S3 code locations: swap local paths for s3://local-code/<path>."""
    if isinstance(node, dict):
        for key in ("CodeUri", "ContentUri"):
            if isinstance(node.get(key), str) and not node[key].startswith("s3://"):
                node[key] = _LOCAL_BUCKET + node[key].rstrip("/")
        for value in node.values():
            _point_code_at_s3(value)
    elif isinstance(node, list):
        for value in node:
            _point_code_at_s3(value)


def local_code_path(code: Any) -> Path:
    """The folder of a function or layer, from the ``Code``/``Content`` of its translated resource."""
    key = code.get("S3Key") if isinstance(code, dict) else None
    if not key:
        raise ValueError(f"not a local code location: {code!r}")
    return ROOT / key


@cache
def load_template(path: Path = TEMPLATE) -> Template:
    decoded, problems = decode(str(path))
    if problems or decoded is None:
        raise ValueError(f"cannot read {path}: {problems}")
    document = json.loads(json.dumps(decoded))
    _point_code_at_s3(document)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    translated = transform(document, {}, _NoManagedPolicies())
    return Template(
        resources=translated["Resources"],
        outputs=translated.get("Outputs", {}),
        parameters=translated.get("Parameters", {}),
        conditions=translated.get("Conditions", {}),
    )
