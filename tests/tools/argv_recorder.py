"""A program for call events in tests: writes the arguments it was given (after the first,
the folder to write into) and the names of the DeepCall variables in its environment, as
JSON to a new file there, atomically."""

from __future__ import annotations

import json
import os
import shlex
import sys
import uuid
from pathlib import Path

SCRIPT = Path(__file__).resolve()


def program_settings(folder: Path, arguments: str) -> dict[str, str]:
    """``run_program`` and ``run_program_args`` that record ``arguments`` into ``folder``."""
    return {"run_program": sys.executable,
            "run_program_args": f"{shlex.quote(str(SCRIPT))} {shlex.quote(str(folder))} "
                                + arguments}


def _runs(folder: Path) -> list[dict[str, list[str]]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in folder.glob("*.json")]


def recorded(folder: Path) -> list[list[str]]:
    """Every argument list recorded so far (in no particular order: the runs are detached)."""
    return [run["argv"] for run in _runs(folder)]


def deepcall_variables_seen(folder: Path) -> set[str]:
    """The DEEPCALL_* environment variables any recorded run could read."""
    return {name for run in _runs(folder) for name in run["deepcall_env"]}


def main() -> None:
    folder, args = sys.argv[1], sys.argv[2:]
    path = os.path.join(folder, f"{uuid.uuid4().hex}.json")
    with open(path + ".part", "w", encoding="utf-8") as out:
        json.dump({"argv": args, "deepcall_env": sorted(
            name for name in os.environ if name.startswith("DEEPCALL_"))}, out)
    os.replace(path + ".part", path)  # the test never reads a half-written file


if __name__ == "__main__":
    main()
