"""The Apache-2.0 licence the metadata declares ships as its full text, in the repository
and in the built wheel and sdist (PEP 639: ``License-File`` and ``.dist-info/licenses/``).

The distributions are built from this checkout by hatchling's own build hooks (the build
backend pyproject.toml names), offline: no build isolation, no index.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# sha256 of https://www.apache.org/licenses/LICENSE-2.0.txt (11358 bytes; its md5 is the
# well-known 3b83ef96387f14655fc854ddc3c6bd57): the licence verbatim, appendix included.
APACHE_2_0_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"


def build(kind: str, into: Path) -> Path:
    """``kind`` ("wheel" or "sdist") of this checkout, built by hatchling in a subprocess."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; from hatchling.build import build_{kind}; print(build_{kind}(sys.argv[1]))",
            str(into),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return into / done.stdout.strip().splitlines()[-1]


def test_the_repository_holds_the_full_apache_license() -> None:
    text = (REPO / "LICENSE").read_bytes()
    assert hashlib.sha256(text).hexdigest() == APACHE_2_0_SHA256
    assert b"Apache License\n                           Version 2.0, January 2004" in text


def test_the_wheel_carries_the_license_and_names_it(tmp_path: Path) -> None:
    wheel = build("wheel", tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (dist_info,) = {n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")}
        assert f"{dist_info}/licenses/LICENSE" in names, names
        shipped = archive.read(f"{dist_info}/licenses/LICENSE")
        metadata = Parser().parsestr(archive.read(f"{dist_info}/METADATA").decode())
    assert hashlib.sha256(shipped).hexdigest() == APACHE_2_0_SHA256
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]


def test_the_sdist_carries_the_license(tmp_path: Path) -> None:
    sdist = build("sdist", tmp_path)
    with tarfile.open(sdist) as archive:
        (member,) = (
            m
            for m in archive.getmembers()
            if m.name.count("/") == 1 and m.name.endswith("/LICENSE")
        )
        shipped = archive.extractfile(member)
        assert shipped is not None
        assert hashlib.sha256(shipped.read()).hexdigest() == APACHE_2_0_SHA256
