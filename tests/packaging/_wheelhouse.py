"""Offline wheels for the packaging tests: installed distributions packed back into wheels.

The packaging tests install into fresh virtual environments without reaching a package index.
What they need (deepalert's dependencies, hatchling to build an editable install) is already
installed in the environment running the tests, so each distribution is zipped back into a wheel
from the files its ``RECORD`` lists. pip installs such a wheel as it would the original.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata as metadata
import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def closure(names: Iterable[str]) -> list[metadata.Distribution]:
    """The installed distributions ``names`` need, themselves included (extras ignored)."""
    found: dict[str, metadata.Distribution] = {}
    todo = [canonicalize_name(n) for n in names]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        dist = metadata.distribution(name)
        found[name] = dist
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(req.name))
    return [found[n] for n in sorted(found)]


def repack(dist: metadata.Distribution, out: Path) -> Path:
    """Write ``dist`` (an installed distribution) as a wheel in ``out``; return its path."""
    info = dist._path  # type: ignore[attr-defined]  # the .dist-info folder
    site = Path(info).parent
    tags = [line.split(":", 1)[1].strip() for line in (Path(info) / "WHEEL").read_text()
            .splitlines() if line.startswith("Tag:")]
    pys, abis, plats = (sorted({t.split("-")[i] for t in tags}) for i in range(3))
    name = canonicalize_name(dist.metadata["Name"]).replace("-", "_")
    wheel = out / f"{name}-{dist.version}-{'.'.join(pys)}-{'.'.join(abis)}-{'.'.join(plats)}.whl"
    skip = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
    files = sorted({
        str(f) for f in dist.files or []
        if not str(f).startswith("..") and "__pycache__" not in f.parts
        and not (f.parts[0] == Path(info).name and f.name in skip)
    })
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel in files:
            data = (site / rel).read_bytes()
            zf.writestr(rel, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            writer.writerow([rel, f"sha256={digest.decode()}", len(data)])
        record_path = f"{Path(info).name}/RECORD"
        writer.writerow([record_path, "", ""])
        zf.writestr(record_path, record.getvalue())
    return wheel


def wheelhouse(names: Iterable[str], out: Path) -> Path:
    """Wheels of ``names`` and everything they need, in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    for dist in closure(names):
        repack(dist, out)
    return out
