"""DeepCall's response envelope and error codes, as the sandbox sends them."""

from __future__ import annotations

# Agent Dashboard codes (the seed document's table) and Directory codes (docs page 32/37).
INVALID_PARAMETER = 1000
INVALID_DATA_TYPE = 1001
USER_ID_NOT_PROVIDED = 1002
AGENT_DOES_NOT_EXIST = 1003
FILE_NOT_FOUND = 1004
INVALID_CONTACT_NUMBER = 1005
NO_DATA_FOUND = 1012
INVALID_TOKEN = 1014
TOKEN_NOT_FOUND = 1020
INTERNAL_SERVER_ERROR = 1032
ACCOUNT_SUSPENDED = 1039
AGENT_DASHBOARD_ERROR = 1501
FAILED_TO_CREATE_DIRECTORY = 1504
DNC_ERROR = 1510  # the number is on the account's Do-Not-Call list

MESSAGES = {
    INVALID_PARAMETER: "Invalid parameter",
    INVALID_DATA_TYPE: "Invalid data type",
    USER_ID_NOT_PROVIDED: "UserId not provided",
    AGENT_DOES_NOT_EXIST: "AgentId does not exist",
    FILE_NOT_FOUND: "File not found",
    INVALID_CONTACT_NUMBER: "Invalid contact number",
    NO_DATA_FOUND: "No data found",
    INVALID_TOKEN: "Invalid token",
    TOKEN_NOT_FOUND: "Token not found",
    INTERNAL_SERVER_ERROR: "Internal server error",
    ACCOUNT_SUSPENDED: "User account suspended",
    AGENT_DASHBOARD_ERROR: "Agent dashboard error",
    FAILED_TO_CREATE_DIRECTORY: "Failed to create directory",
    DNC_ERROR: "DNC error",
}


class ApiError(Exception):
    """Raised by a handler; becomes ``{"status": "error", "message": ..., "code": ...}``."""

    def __init__(self, code: int, detail: str = "") -> None:
        self.code = code
        base = MESSAGES.get(code, "Error")
        self.message = f"{base}: {detail}" if detail else base
        super().__init__(self.message)

    def to_json(self) -> dict[str, object]:
        return {"status": "error", "message": self.message, "code": self.code}


def success(message: object) -> dict[str, object]:
    return {"message": message, "status": "success"}
