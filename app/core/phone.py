"""Caller numbers: extraction and normalisation (stub; the number-sources work fills this in)."""

from __future__ import annotations


def deepcall_caller_number(e164: str) -> str:
    """The one place that turns a normalised number into DeepCall's ``callerNumber`` form.

    DeepCall returns ``mobile`` as the digits with the country code and no ``+``
    (``918302390884``), so that is what we send.
    """
    return e164.lstrip("+")
