"""The errors the services report and the window shows, in one place.

DeepCall's own errors and transport faults are ``app.api.errors``; these are the app's: no
account yet, credentials or keyring missing, and a bug caught before it reached the agent.
Each carries ``user_message``, plain words with a next step.
"""

from __future__ import annotations

from app.api.errors import DeepCallApiError

NOT_SET_UP = ("DeepCall is not set up yet: open Settings and enter your account's address "
              "and token.")


class NotConfigured(DeepCallApiError):
    """No DeepCall account works yet, so nothing can be looked up or sent."""

    def __init__(self, user_message: str = NOT_SET_UP) -> None:
        super().__init__(user_message, detail="no DeepCall client configured")


class UnexpectedError(DeepCallApiError):
    """A bug, not a DeepCall answer: the details are in the log."""

    def __init__(self, exc: BaseException, doing: str = "looking up the caller") -> None:
        super().__init__(f"Something unexpected went wrong while {doing}. "
                         "Try again; the details are in the log.",
                         detail=type(exc).__name__)


class CredentialsMissing(Exception):
    """Not enough is configured to call DeepCall; ``str()`` says what to do, plainly."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.user_message = message


class SecretsUnavailable(Exception):
    """The keyring is missing, locked or refused; ``str()`` is meant for the agent."""

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.user_message = message
        # The keyring's own error class, for the log (never carries the secret).
        self.detail = detail
