#!/usr/bin/env bash
# Builds the onedir bundle from build.spec with the locked environment, on Linux, macOS and
# Windows (Git Bash). Leaves dist/screenpop/ (and on macOS "dist/DeepCall Screen-Pop.app")
# and prints the bundle's path on the last line of stdout.
# Usage (from anywhere): packaging/build-bundle.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -x .venv/bin/pyinstaller ]; then
    pyinstaller=(.venv/bin/pyinstaller)
elif [ -x .venv/Scripts/pyinstaller.exe ]; then   # Windows venv layout
    pyinstaller=(.venv/Scripts/pyinstaller.exe)
else
    # The lock is the environment: `uv run` must not re-resolve it.
    export UV_NO_SYNC=1
    pyinstaller=(uv run pyinstaller)
fi

# PyInstaller's own output goes to stderr; the path is the one line scripts read.
"${pyinstaller[@]}" build.spec --noconfirm --clean --log-level WARN >&2
bundle=dist/screenpop
test -d "$bundle" || { echo "build-bundle: $bundle was not made" >&2; exit 1; }
echo "$(pwd)/$bundle"
