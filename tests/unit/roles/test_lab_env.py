# Copyright (c) ollama_lab.distributed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""lab.env sets TOKEN from a readable token file, and says so when it cannot read it."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import jinja2

TEMPLATE = Path(__file__).resolve().parents[3] / "roles" / "lab" / "templates" / "lab.env.j2"


def render(lab_dir: Path) -> str:
    env = jinja2.Environment()
    env.filters["quote"] = lambda s: "'" + str(s).replace("'", "'\"'\"'") + "'"
    env.filters["comment"] = lambda s: "# " + str(s)
    return env.from_string(TEMPLATE.read_text()).render(
        ansible_managed="managed", _lab_student="ada", _lab_dir=str(lab_dir), _lab_owner="student",
        layout_cluster=[{"api_url": "http://127.0.0.1:8080"}])


def source(lab_dir: Path) -> subprocess.CompletedProcess:
    (lab_dir / "lab.env").write_text(render(lab_dir))
    return subprocess.run(["bash", "-c", f'. {lab_dir}/lab.env; printf %s "$TOKEN"'], capture_output=True,
                          text=True, check=True)


def test_token_is_read(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("k" * 40 + "\n")
    result = source(tmp_path)
    assert result.stdout == "k" * 40 and result.stderr == ""


def test_unreadable_token_is_reported() -> None:
    # As a user that cannot read the file: nobody when the tests run as root.
    lab_dir = Path(tempfile.mkdtemp(prefix="lab-env-"))
    try:
        lab_dir.chmod(0o755)
        (lab_dir / "token").write_text("secret\n")
        (lab_dir / "token").chmod(0o600 if os.geteuid() == 0 else 0)
        (lab_dir / "lab.env").write_text(render(lab_dir))
        (lab_dir / "lab.env").chmod(0o644)
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
        result = subprocess.run(prefix + ["bash", "-c", f'. {lab_dir}/lab.env; printf %s "$TOKEN"'],
                                capture_output=True, text=True, check=True, cwd="/")
    finally:
        shutil.rmtree(lab_dir)
    assert result.stdout == ""
    assert "token is not readable by" in result.stderr and "log in as student" in result.stderr
