"""Lists a built bundle and checks what build.spec promises; exit 1 with the reasons if not.

    .venv/bin/python packaging/pyinstaller/inspect_bundle.py dist/screenpop [--max-mb 150]

Checks: no module of a dev/build package (pytest, pygments, PyInstaller …) in the archive or
beside it; every module under app/commands collected; PyInstaller's stock PySide6 run-time
hook not run; no file the pruning rules drop; no link that leads nowhere; the folder no
bigger than --max-mb. Prints the size of each part (for BENCHMARKS.md). Needs PyInstaller
(the build environment).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bundle_rules as rules

REPO = Path(__file__).resolve().parents[2]
MB = 1_000_000


def archive_contents(executable: Path) -> tuple[set[str], set[str]]:
    """(the run-time hooks and scripts the executable runs, the modules of its PYZ)."""
    from PyInstaller.archive.readers import CArchiveReader, ZlibArchiveReader

    outer = CArchiveReader(str(executable))
    scripts = {name for name, entry in outer.toc.items() if entry[-1] == "s"}
    modules: set[str] = set()
    for name, entry in outer.toc.items():
        if entry[-1] == "z":  # the PYZ, stored in the executable's archive
            import tempfile

            with tempfile.NamedTemporaryFile(suffix=".pyz") as copy:
                copy.write(outer.extract(name))
                copy.flush()
                modules |= set(ZlibArchiveReader(copy.name).toc)
    return scripts, modules


def parts(bundle: Path) -> Counter[str]:
    """Bytes per part: ICU, Qt libraries, Qt plugins, PySide6 bindings, Python, the rest."""
    sizes: Counter[str] = Counter()
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink():
            sizes[rules.part_of(path.relative_to(bundle).as_posix().lower())] += path.stat().st_size
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--max-mb", type=float, default=150.0)
    args = parser.parse_args(argv)
    executables = [p for p in args.bundle.iterdir()
                   if p.is_file() and p.name.startswith("screenpop")]
    files, dangling = rules.listing(args.bundle)
    found: list[str] = []
    for executable in executables:
        scripts, modules = archive_contents(executable)
        found += rules.problems(files, scripts, modules, rules.dev_only_modules(REPO),
                          rules.command_modules(REPO), dangling)
    found = list(dict.fromkeys(found))  # Windows' two executables see the same files
    sizes = parts(args.bundle)
    total = sum(sizes.values())
    for part, size in sizes.most_common():
        print(f"{part:32} {size / MB:7.1f} MB")
    print(f"{'total':32} {total / MB:7.1f} MB  ({len(files)} files)")
    if total > args.max_mb * MB:
        found.append(f"bundle is {total / MB:.1f} MB, over the {args.max_mb:g} MB target")
    for problem in found:
        print(f"inspect-bundle: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
