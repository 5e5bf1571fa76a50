"""What the IT preset sets, checked once when it is read, without Qt: one answer for the
window's ``Settings`` and for every command (``lookup``, ``pop``, ``event``).

A key that is no setting, a value the setting does not take (a bad ``auth_mode`` too), a call
action the rules refuse: each is dropped with a problem naming the preset, and the agent's
own setting (or the default) counts there instead, as for a bad settings.ini line. So a
preset mistake never locks a field with a value nobody can use, nor blocks the agent's Save.

The program and its arguments are one command: a preset half is checked alone (its own
rules) and with the other half, the preset's or else the agent's from settings.ini. The
"arguments but no program" mistake is the arguments' (the preset's, when it set them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from app.core.caller_actions import ActionSetupError, ProgramCommand, UrlTemplate, parse_events
from app.services.preset import Preset
from app.services.setting_declarations import DeclaredSettings
from app.services.settings_file import SettingsFile

PROGRAM: Final = "run_program"
ARGUMENTS: Final = "run_program_args"
# The call actions' own rules, beyond the declared type (issue 11's ``CallActions`` checks
# them again where they are used).
_ACTION_RULES: Final[dict[str, Callable[[str], object]]] = {
    "open_url_template": UrlTemplate.parse,
    "run_program_on": parse_events,
    PROGRAM: lambda program: ProgramCommand.parse(program, ""),
    ARGUMENTS: lambda arguments: ProgramCommand.parse("program", arguments),
}


@dataclass(frozen=True)
class CheckedPreset:
    """``values``: the preset's usable values by setting name, typed as declared;
    ``problems``: what was wrong with it (each naming the preset), what was dropped."""

    values: dict[str, object]
    problems: tuple[str, ...]


def check_preset(preset: Preset, agents: SettingsFile) -> CheckedPreset:
    """``preset`` checked against the declarations and, for the program's pair, against the
    agent's settings.ini (``agents``)."""
    label = preset.label
    problems = list(preset.warnings)
    values: dict[str, object] = {}
    for name, raw in preset.values.items():
        declared = DeclaredSettings.declaration(name)
        if declared is None:
            problems.append(f"{label}: there is no setting {name[:60]!r}; it is ignored.")
            continue
        try:
            value = declared.coerce(raw)
            rule = _ACTION_RULES.get(name)
            if rule is not None:
                rule(str(value))
        except (ValueError, TypeError, ActionSetupError) as exc:
            problems.append(f"{label}: ignoring bad {name} ({exc}); the agent's own setting "
                            "or the default is used.")
            continue
        values[name] = value
    arguments = values.get(ARGUMENTS)
    program = values.get(PROGRAM, agents.text(PROGRAM))
    if isinstance(arguments, str) and arguments.strip() and not str(program).strip():
        del values[ARGUMENTS]
        problems.append(f"{label}: ignoring {ARGUMENTS}: it gives the program's arguments "
                        f"but no program is set (neither {PROGRAM} in the preset nor in the "
                        "agent's settings); the agent's own setting or the default is used.")
    return CheckedPreset(values, tuple(problems))


def preset_problems(preset: Preset, agents: SettingsFile) -> tuple[str, ...]:
    """Everything wrong with ``preset`` (unknown keys, bad values, a bad ``auth_mode``,
    secrets dropped, a file that cannot be read), each naming the preset's path."""
    return check_preset(preset, agents).problems


def agents_half_problem(name: str, value: str) -> str | None:
    """What is wrong with the agent's own ``run_program`` or ``run_program_args`` alone
    (the other half being IT's, whose mistakes are not the agent's to fix); None if fine."""
    try:
        _ACTION_RULES[name](value)
    except ActionSetupError as exc:
        return str(exc)
    return None
