"""The two DeepCall auth modes. Secrets never show in repr/str (they end up in logs otherwise)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SsidAuth:
    """The agent's logged-in panel session: the body carries ``ssid`` only."""

    ssid: str = field(repr=False)

    def body_fields(self) -> dict[str, str]:
        return {"ssid": self.ssid}

    def secrets(self) -> tuple[str, ...]:
        return (self.ssid,)


@dataclass(frozen=True)
class TokenAuth:
    """An API token: the body carries ``userId`` + ``token`` and never ``ssid``."""

    user_id: str
    token: str = field(repr=False)

    def body_fields(self) -> dict[str, str]:
        return {"userId": self.user_id, "token": self.token}

    def secrets(self) -> tuple[str, ...]:
        return (self.token,)


Auth = SsidAuth | TokenAuth
