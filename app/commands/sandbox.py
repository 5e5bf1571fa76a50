"""``screenpop sandbox``: run the embedded DeepCall sandbox in the foreground."""

from __future__ import annotations

from app.sandbox.cli import main as sandbox_main


def main(argv: list[str]) -> int:
    return sandbox_main(argv)
