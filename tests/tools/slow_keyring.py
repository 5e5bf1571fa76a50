"""A keyring backend that answers only when the test lets it: an unlock prompt's stand-in.

Used by a child app through ``PYTHON_KEYRING_BACKEND=tests.tools.slow_keyring.GatedKeyring``
(never imported by the test process itself, so keyring's backend discovery there never finds
it). ``get_password`` writes the username it was asked for to ``$SLOW_KEYRING_ASKED``, then
blocks reading the FIFO ``$SLOW_KEYRING_GATE`` until the test writes the answer to it, as a
real read blocks while the Keychain or Secret Service shows its password prompt.
"""

from __future__ import annotations

import os
from pathlib import Path

from keyring.backend import KeyringBackend


class GatedKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        Path(os.environ["SLOW_KEYRING_ASKED"]).write_text(username, encoding="utf-8")
        # Opening a FIFO for reading blocks until a writer opens it: no timer, no polling.
        with open(os.environ["SLOW_KEYRING_GATE"], "rb") as gate:
            answer = gate.read().decode()
        return answer or None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise NotImplementedError("the gated keyring only answers reads")

    def delete_password(self, service: str, username: str) -> None:
        raise NotImplementedError("the gated keyring only answers reads")
