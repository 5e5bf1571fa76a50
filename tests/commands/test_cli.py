"""``screenpop ARGS``: which command runs (pure routing; the commands have their own tests)."""

from __future__ import annotations

import pytest

from app.cli import looks_like_a_number, route


@pytest.mark.parametrize(("args", "expected"), [
    (["lookup", "08302390884"], ("lookup", ["08302390884"])),
    (["state", "--profile", "/p"], ("state", ["--profile", "/p"])),
    (["pop", "08302390884"], ("pop", ["08302390884"])),
    # What softphones and the OS pass: a bare number or a link, maybe after --profile.
    (["08302390884"], ("pop", ["08302390884"])),
    (["+91 83023 90884", "--call-id", "c-1"], ("pop", ["+91 83023 90884", "--call-id", "c-1"])),
    (["tel:+91-83023-90884"], ("pop", ["tel:+91-83023-90884"])),
    (["TEL:%2B918302390884"], ("pop", ["TEL:%2B918302390884"])),
    (["callto:08302390884"], ("pop", ["callto:08302390884"])),
    (["sip:08302390884@pbx"], ("pop", ["sip:08302390884@pbx"])),
    (["--profile", "/p", "tel:+918302390884"], ("pop", ["--profile", "/p", "tel:+918302390884"])),
    (["--profile=/p", "08302390884"], ("pop", ["--profile=/p", "08302390884"])),
    (["--profile", "/p", "state"], ("state", ["--profile", "/p"])),
    (["--", "08302390884"], ("pop", ["08302390884"])),
    # The app itself: no arguments, its options, or option values that look like numbers.
    ([], ("gui", [])),
    (["--demo"], ("gui", ["--demo"])),
    (["--user-id", "12345", "--profile", "2024"], ("gui", ["--user-id", "12345", "--profile",
                                                            "2024"])),
    (["--log-format", "json"], ("gui", ["--log-format", "json"])),
    (["--help"], ("gui", ["--help"])),
    (["hello"], ("gui", ["hello"])),  # the app's argument parser explains the mistake
])
def test_route(args: list[str], expected: tuple[str, list[str]]) -> None:
    assert route(args) == expected


def test_number_shapes() -> None:
    assert looks_like_a_number("08302390884")
    assert looks_like_a_number("(083) 023-90884")
    assert looks_like_a_number("+91.83023.90884")
    assert not looks_like_a_number("-5")
    assert not looks_like_a_number("+-()")
    assert not looks_like_a_number("0830x")


@pytest.mark.parametrize(("args", "expected"), [
    (["\ufeff08302390884"], ("pop", ["\ufeff08302390884"])),
    (["\uff0b\uff19\uff11 \uff18\uff13\uff10"], ("pop", ["\uff0b\uff19\uff11 \uff18\uff13\uff10"])),
    (["--log-format", "json", "tel:+918302390884"],
     ("pop", ["--log-format", "json", "tel:+918302390884"])),
])
def test_numbers_in_other_forms_are_routed_to_pop(args: list[str],
                                                   expected: tuple[str, list[str]]) -> None:
    assert route(args) == expected


@pytest.mark.parametrize("arg", [
    "\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077",  # superscripts: isdigit() but no number
    "\u2460\u2461\u2462\u2463\u2464\u2465",  # circled digits
    "".join(chr(0x0966 + int(c)) for c in "08302390884"),  # Devanagari: not read as a number
    "".join(chr(0x1D7CE + int(c)) for c in "08302390884"),  # mathematical bold look-alikes
])
def test_only_digits_the_number_reader_reads_route_to_pop(arg: str) -> None:
    assert not looks_like_a_number(arg)
    assert route([arg]) == ("gui", [arg])


@pytest.mark.parametrize("arg", ["\u202a+91 83023 90884\u202c", "\u200e08302390884",
                                 "\u0660\u0668\u0663\u0660", "\uff10\uff18\uff13"])
def test_numbers_the_reader_reads_route_to_pop(arg: str) -> None:
    assert looks_like_a_number(arg)
