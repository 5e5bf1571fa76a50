"""Every file bash runs is checked out with LF line endings, on Windows too.

Git for Windows checks text out with CR LF (core.autocrlf=true) unless .gitattributes says
otherwise, and bash reads `set -euo pipefail\\r` as an unknown option: the release job's Git
Bash steps would die on their first line. The attributes are read here as git matches them
(a pattern without a slash matches a file name anywhere, one with a slash the path from the
root), so the check needs no git and no Windows.
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
from pathlib import Path

from tests.sources.processes import REPO

SKIPPED_DIRS = {".git", ".venv", "build", "dist", "__pycache__", ".mypy_cache", ".ruff_cache"}
SHEBANG = re.compile(rb"^#!.*\b(ba)?sh\b")


def files_bash_runs() -> set[str]:
    found = set()
    for path in REPO.rglob("*"):
        parts = path.relative_to(REPO).parts
        if not path.is_file() or SKIPPED_DIRS & set(parts):
            continue
        with path.open("rb") as file:
            first = file.readline(200)
        if path.suffix == ".sh" or SHEBANG.match(first):
            found.add(path.relative_to(REPO).as_posix())
    # What the workflows hand to bash by name.
    for workflow in (REPO / ".github").rglob("*.yml"):
        found |= set(re.findall(r"\bbash ([\w./-]+)", workflow.read_text(encoding="utf-8")))
    return found


def lf_patterns() -> list[str]:
    patterns = []
    for line in (REPO / ".gitattributes").read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if fields and not fields[0].startswith("#") and "eol=lf" in fields[1:]:
            patterns.append(fields[0])
    return patterns


def checked_out_with_lf(path: str) -> bool:
    for pattern in lf_patterns():
        target = path if "/" in pattern.strip("/") else path.rsplit("/", 1)[-1]
        if fnmatch.fnmatchcase(target, pattern.lstrip("/")):
            return True
    return False


def test_the_list_of_bash_run_files_is_real() -> None:
    found = files_bash_runs()
    assert {".ci/run", "packaging/check-frozen.sh", "tests/tools/with-desktop.sh"} <= found


def test_every_file_bash_runs_is_checked_out_with_lf() -> None:
    missing = sorted(path for path in files_bash_runs() if not checked_out_with_lf(path))
    assert missing == [], f"not `text eol=lf` in .gitattributes: {missing}"


def test_a_crlf_checkout_is_what_breaks_bash(tmp_path: Path) -> None:
    """Why the attributes matter: the same script with CR LF endings fails on its first line."""
    script = (REPO / "packaging" / "macos" / "make-archive.sh").read_bytes()
    crlf = tmp_path / "crlf.sh"
    crlf.write_bytes(script.replace(b"\n", b"\r\n"))
    result = subprocess.run(["bash", str(crlf), "a", "b"], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode != 0
    assert "pipefail" in result.stderr
