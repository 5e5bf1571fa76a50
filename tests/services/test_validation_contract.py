"""Each validation rule of the form agrees with DeepCall's (the sandbox's Directory, over HTTP).

The form refuses a value before sending so the agent hears about a typo next to the field,
not as a server error after Save. That only helps if the two agree: a value the form lets
through must be one the Directory accepts, and a value the form refuses must be one the
Directory would refuse too (else the agent could not save something DeepCall takes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.api.errors import DeepCallError
from app.core.edits import MAX_VALUE_LENGTH, validate_value
from app.sandbox.server import SandboxServer
from tests.services.outbox_parts import PLAIN, client_for

CASES = [
    # (directory key, value, the documented rule it exercises)
    ("name", "Rohan Gupta", "letters and spaces"),
    ("name", "Dr. R. K. Gupta", "dots"),
    ("name", "रोहन गुप्ता", "letters of any script with their marks"),
    ("name", "Rohan Gupta 2", "no digits in a name"),
    ("name", "Rohan_Gupta", "no underscore in a name"),
    ("name", "Rohan <b>", "no markup characters in a name"),
    ("email", "rohan@gupta.in", "an address"),
    ("email", "rohan@gupta", "an address needs a domain with a dot"),
    ("email", "rohan gupta@mail.in", "no spaces in an address"),
    ("email", "@gupta.in", "an address needs a local part"),
    ("dob", "14-03-1986", "dd-mm-YYYY"),
    ("dob", "29-02-2024", "a real leap day"),
    ("dob", "29-02-2023", "not a day that does not exist"),
    ("dob", "1986-03-14", "not YYYY-mm-dd"),
    ("dob", "4-3-1986", "two digits for day and month"),
    ("address", "x" * MAX_VALUE_LENGTH, "the longest value"),
    ("address", "x" * (MAX_VALUE_LENGTH + 1), "one character too long"),
    ("custom_field_1", "Delhi, NCR", "custom fields take any text"),
    ("name", "", "clearing a field is an edit too"),
]


@pytest.mark.parametrize(("key", "value", "rule"), CASES, ids=[c[2] for c in CASES])
def test_the_form_and_deepcall_accept_and_refuse_the_same_values(
        run_async: Callable[..., Any], sandbox: SandboxServer, key: str, value: str,
        rule: str) -> None:
    form_says = validate_value(key, value)

    async def deepcall_says() -> str | None:
        async with client_for(sandbox.base_url) as client:
            try:
                await client.directory_update(PLAIN, {key: value})
            except DeepCallError as error:
                return f"{error.code}: {error.server_message}"
        return None

    refused = run_async(deepcall_says())
    assert (form_says is None) == (refused is None), (rule, form_says, refused)
