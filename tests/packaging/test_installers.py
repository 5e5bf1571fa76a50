"""The installers and the macOS signing: what they promise IT, read from the files themselves.

Inno Setup, codesign and notarytool do not run here; the Windows and macOS release jobs run them.
So the .iss is read as Inno Setup reads it (sections, parameters, ISPP defines and line
spanning), the plist with plistlib, and the shell scripts run for real: with an empty
environment, and with stand-ins for Apple's tools that record each call.
"""

from __future__ import annotations

import os
import plistlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sources.processes import REPO

ISS = REPO / "packaging" / "windows" / "screenpop.iss"
ENTITLEMENTS = REPO / "packaging" / "macos" / "entitlements.plist"
SIGN = REPO / "packaging" / "macos" / "sign-and-notarize.sh"
ARCHIVE = REPO / "packaging" / "macos" / "make-archive.sh"
README = (REPO / "README.md").read_text(encoding="utf-8")
SHELL_SCRIPTS = sorted((REPO / "packaging").rglob("*.sh"))
BASH = shutil.which("bash") or "/bin/bash"  # absolute: some runs below have no usable PATH

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell scripts (macOS/Linux)")


# --- Inno Setup, read as Inno Setup reads it ---------------------------------------------------

def iss_lines() -> list[str]:
    # ISPP joins a line ending in " \" with the next one.
    text = re.sub(r"[ \t]\\\n[ \t]*", " ", ISS.read_text(encoding="utf-8"))
    return [line.strip() for line in text.splitlines()]


def iss_defines() -> dict[str, str]:
    found = (re.fullmatch(r'#define (\w+) "([^"]*)"', line) for line in iss_lines())
    return {match[1]: match[2] for match in found if match}


def expand(value: str) -> str:
    for name, text in iss_defines().items():
        value = value.replace("{#" + name + "}", text)
    return value


def section(name: str) -> list[str]:
    body: list[str] = []
    current = None
    for line in iss_lines():
        if re.fullmatch(r"\[\w+\]", line):
            current = line[1:-1]
        elif current == name and line and not line.startswith((";", "#")):
            body.append(line)
    return body


def setup() -> dict[str, str]:
    return {key: expand(value) for key, _, value in
            (line.partition("=") for line in section("Setup"))}


def unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('""', '"')
    return value


def entries(name: str) -> list[dict[str, str]]:
    """Each line of an entry section as {parameter: value}; ';' inside quotes does not split."""
    parsed = []
    for line in section(name):
        params = re.findall(r'(\w+):\s*((?:"(?:[^"]|"")*"|[^;])*)', line)
        parsed.append({key: expand(unquote(value)) for key, value in params})
    return parsed


def pascal(name: str) -> str:
    """The body of the [Code] function ``name``, from its header to its closing ``end;``."""
    code = ISS.read_text(encoding="utf-8").split("\n[Code]\n", 1)[1]
    found = re.search(rf"^function {name}\(.*?^end;$", code, re.M | re.S)
    assert found, f"no function {name} in [Code]"
    return found[0]


def flags(entry: dict[str, str]) -> set[str]:
    return set(entry.get("Flags", "").split())


def registry() -> list[dict[str, str]]:
    return entries("Registry")


def values() -> dict[tuple[str, str], str]:
    return {(e["Subkey"], e["ValueName"]): e["ValueData"]
            for e in registry() if "ValueName" in e}


def test_installs_per_user_without_administrator_rights() -> None:
    options = setup()
    assert options["PrivilegesRequired"] == "lowest"
    assert "PrivilegesRequiredOverridesAllowed" not in options  # never offers to elevate
    assert options["DefaultDirName"] == r"{localappdata}\Programs\DeepCall Screen-Pop"
    assert {e["Root"] for e in registry()} == {"HKCU"}


def test_the_version_comes_from_the_build_and_is_required() -> None:
    text = ISS.read_text(encoding="utf-8")
    guard = re.search(r"#ifndef MyAppVersion\s*\n\s*#error [^\n]*/DMyAppVersion=", text)
    assert guard, "compiling without /DMyAppVersion= must fail, not ship a made-up version"
    options = setup()
    assert options["AppVersion"] == "{#MyAppVersion}"
    assert "{#MyAppVersion}" in options["OutputBaseFilename"]


def test_it_installs_the_whole_onedir_bundle_with_both_executables() -> None:
    text = ISS.read_text(encoding="utf-8")
    assert r'#define BundleDir AddBackslash(SourcePath) + "..\..\dist\screenpop"' in text
    assert '!FileExists(BundleDir + "\\screenpop.exe")' in text
    assert '!FileExists(BundleDir + "\\screenpop.com")' in text
    bundle = next(e for e in entries("Files") if e["Source"] == r"{#BundleDir}\*")
    assert bundle["DestDir"] == "{app}"
    assert {"recursesubdirs", "createallsubdirs"} <= flags(bundle)
    # An update replaces the bundle's internals whole instead of leaving stale plug-ins.
    assert {"Type": "filesandordirs", "Name": r"{app}\_internal"} in entries("InstallDelete")


def test_a_start_menu_entry_starts_the_windowed_app() -> None:
    (icon,) = entries("Icons")
    assert icon["Name"] == r"{userprograms}\DeepCall Screen-Pop"
    assert icon["Filename"] == r"{app}\screenpop.exe"


def test_tel_and_callto_links_run_the_windowed_exe_and_show_in_default_apps() -> None:
    found = values()
    prog_id = found[(r"Software\DeepCall\ScreenPop\Capabilities\URLAssociations", "tel")]
    assert found[(r"Software\DeepCall\ScreenPop\Capabilities\URLAssociations", "callto")] == prog_id
    classes = rf"Software\Classes\{prog_id}"
    assert found[(rf"{classes}\shell\open\command", "")] == r'"{app}\screenpop.exe" "%1"'
    assert (classes, "URL Protocol") in found
    capabilities = r"Software\DeepCall\ScreenPop\Capabilities"
    assert found[(capabilities, "ApplicationName")] == "DeepCall Screen-Pop"
    assert found[(capabilities, "ApplicationDescription")]
    assert found[(r"Software\RegisteredApplications", "DeepCall Screen-Pop")] == capabilities


@pytest.mark.parametrize("scheme", ["tel", "callto"])
def test_a_scheme_nobody_handles_yet_is_registered_a_taken_one_never(scheme: str) -> None:
    root = rf"Software\Classes\{scheme}"
    own = [e for e in registry() if e["Subkey"] == root or e["Subkey"].startswith(root + "\\")]
    assert {e["Check"] for e in own} == {f"SchemeIsFree('{scheme}')"}  # every entry, or none
    found = {(e["Subkey"], e["ValueName"]): e["ValueData"] for e in own}
    assert found[(root, "")] == f"URL:{scheme}"
    assert found[(root, "URL Protocol")] == ""
    assert found[(rf"{root}\shell\open\command", "")] == r'"{app}\screenpop.exe" "%1"'
    (key,) = [e for e in own if "uninsdeletekey" in flags(e)]
    assert key["Subkey"] == root  # the uninstaller takes back what it wrote
    # "Free" is decided once, before [Registry] runs: HKCR (the user's and the machine's
    # classes) has no such key, or the handler there is this app (an update).
    assert "Result := not RegKeyExists(HKCR, Scheme);" in pascal("NoHandlerOrOurs")
    setup_code = pascal("InitializeSetup")
    assert f"{scheme.capitalize()}IsFree := NoHandlerOrOurs('{scheme}');" in setup_code
    assert setup_code.index("IsFree :=") < setup_code.index("Result := False")


def test_an_update_starts_the_app_again_when_it_was_running_silent_installs_too() -> None:
    options = setup()
    assert options["CloseApplications"] == "yes"  # the Restart Manager closes it for the update
    assert options["RestartApplications"] == "no"  # [Run] starts it, once
    again = next(e for e in entries("Run") if e.get("Check") == "StartAgain")
    assert again["Filename"] == r"{app}\screenpop.exe"
    assert "nowait" in flags(again)
    assert not {"skipifsilent", "postinstall", "skipifnotsilent"} & flags(again)
    offer = next(e for e in entries("Run") if "postinstall" in flags(e))
    assert offer["Check"] == "OfferStart"  # never both: the app would start twice
    assert "Result := AppWasRunning;" in pascal("StartAgain")
    assert "Result := not AppWasRunning;" in pascal("OfferStart")
    # Recorded before the Restart Manager closes it: PrepareToInstall runs before that.
    assert "AppWasRunning := AppIsRunning();" in pascal("PrepareToInstall")
    running = pascal("AppIsRunning")
    assert "ExpandConstant('{app}\\{#MyAppExe}')" in running
    assert "FROM Win32_Process WHERE ExecutablePath = " in running


def test_it_refuses_to_install_as_system_and_says_whom_to_deploy_as() -> None:
    code = pascal("InitializeSetup")
    check = code.index(
        "if Pos('\\systemprofile\\', Lowercase(ExpandConstant('{localappdata}'))) > 0")
    refusal = code[check:code.index("exit;", check)]
    assert "Log(Refusal);" in refusal  # /SUPPRESSMSGBOXES hides the box, the log keeps it
    assert "Result := False;" in refusal  # InitializeSetup False: exit code 1
    assert "logged-on user''s context" in code
    flat = " ".join(README.split())
    assert "refuses to run as SYSTEM (exit code `1`" in flat


def test_the_uninstaller_removes_every_registration_and_nothing_shared() -> None:
    owned_keys = {e["Subkey"] for e in registry() if "uninsdeletekey" in flags(e)}
    shared = {"Software", r"Software\Classes", r"Software\RegisteredApplications"}
    assert not owned_keys & shared
    for entry in registry():
        if "ValueName" not in entry:
            continue
        subkey = entry["Subkey"]
        removed = {"uninsdeletekey", "uninsdeletevalue"} & flags(entry) or any(
            subkey == key or subkey.startswith(key + "\\") for key in owned_keys)
        assert removed, f"{subkey} {entry['ValueName']!r} would outlive the uninstaller"
    registered = next(e for e in registry() if e["Subkey"] == r"Software\RegisteredApplications")
    assert flags(registered) == {"uninsdeletevalue"}  # the key is shared: only our value goes


def test_an_optional_preset_goes_to_the_machine_wide_place_and_stays() -> None:
    preset = next(e for e in entries("Files") if e["Source"] == "{param:PRESET}")
    assert preset["DestDir"] == r"{commonappdata}\DeepCall Screen-Pop"
    assert preset["DestName"] == "preset.ini"
    assert {"external", "uninsneveruninstall"} <= flags(preset)
    assert preset["Check"] == "PresetGiven"


def test_readme_gives_it_the_silent_install_and_the_preset_place() -> None:
    flat = " ".join(README.split())
    assert "/VERYSILENT /SUPPRESSMSGBOXES /NORESTART" in flat
    assert "/DIR=" in flat
    assert r"%ProgramData%\DeepCall Screen-Pop\preset.ini" in flat
    assert r"%LOCALAPPDATA%\Programs\DeepCall Screen-Pop" in flat
    assert "packaging/preset.example.ini" in flat


# --- macOS entitlements ----------------------------------------------------------------------

def test_each_entitlement_is_on_and_has_its_reason_just_above_it() -> None:
    entitlements = plistlib.loads(ENTITLEMENTS.read_bytes())
    assert isinstance(entitlements, dict)
    assert all(value is True for value in entitlements.values())  # Apple: omit, never false
    text = ENTITLEMENTS.read_text(encoding="utf-8")
    for key in entitlements:
        assert re.search(rf"-->\s*<key>{re.escape(key)}</key>", text), f"{key} has no reason"
    # What the app does not need stays out, each named with why in the file's comment; the
    # signed app's self-test in the release job is what proves none is needed.
    for absent in ("com.apple.security.cs.allow-unsigned-executable-memory",
                   "com.apple.security.cs.allow-jit",
                   "com.apple.security.cs.disable-library-validation",
                   "com.apple.security.cs.allow-dyld-environment-variables"):
        assert absent not in entitlements
        assert f"- {absent}:" in text


# --- shell scripts ---------------------------------------------------------------------------

@posix_only
@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_shell_scripts_parse_and_stop_on_the_first_error(script: Path) -> None:
    assert subprocess.run([BASH, "-n", str(script)], capture_output=True).returncode == 0
    assert re.search(r"^set -euo pipefail$", script.read_text(encoding="utf-8"), re.M)


@posix_only
def test_sign_script_refuses_to_run_without_its_environment(tmp_path: Path) -> None:
    result = subprocess.run([BASH, str(SIGN), str(tmp_path / "X.app"), str(tmp_path / "x.zip")],
                            env={}, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stdout == ""
    for name in ("MACOS_SIGN_IDENTITY", "MACOS_TEAM_ID", "MACOS_NOTARY_PROFILE"):
        assert name in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.zip").exists()


# Stand-ins for Apple's tools: each records its arguments, one line per call, tab-separated.
STUB = r"""#!/usr/bin/env bash
set -euo pipefail
{ printf '%s' "$(basename "$0")"; printf '\t%s' "$@"; printf '\n'; } >>"$STUB_LOG"
case "$(basename "$0") ${1:-}" in
    "codesign --display") echo "TeamIdentifier=${STUB_TEAM:-TEAM123456}" >&2 ;;
    "xcrun notarytool")
        [ "$2" = submit ] && echo "{\"id\":\"req-1\",\"status\":\"${STUB_NOTARY:-Accepted}\"}" ;;
    "ditto -c")  # ditto -c -k --keepParent SRC DST: an archive that keeps links, as ditto's
        src=$4; dst=$5
        tar ${STUB_DEREFERENCE:+-h} -C "$(dirname "$src")" -cf "$dst" "$(basename "$src")" ;;
    "ditto -x") mkdir -p "$4"; tar -xf "$3" -C "$4" ;;
esac
"""

MACH_O = bytes.fromhex("cffaedfe") + b"\0" * 60


def fake_app(root: Path) -> Path:
    """A PyInstaller-shaped .app: Mach-O files, a versioned framework with its links, data."""
    app = root / "DeepCall Screen-Pop.app"
    contents = app / "Contents"
    (contents / "MacOS").mkdir(parents=True)
    (contents / "MacOS" / "screenpop").write_bytes(MACH_O)
    frameworks = contents / "Frameworks"
    (frameworks / "PySide6").mkdir(parents=True)
    (frameworks / "PySide6" / "QtCore.abi3.so").write_bytes(MACH_O)
    (frameworks / "libpython3.11.dylib").write_bytes(MACH_O)
    qtcore = frameworks / "PySide6" / "Qt" / "lib" / "QtCore.framework"
    (qtcore / "Versions" / "A" / "Resources").mkdir(parents=True)
    (qtcore / "Versions" / "A" / "QtCore").write_bytes(MACH_O)
    (qtcore / "Versions" / "A" / "Resources" / "Info.plist").write_bytes(b"<plist/>")
    (qtcore / "Versions" / "Current").symlink_to("A")
    (qtcore / "QtCore").symlink_to("Versions/Current/QtCore")
    (contents / "Resources").mkdir()
    (contents / "Resources" / "field_mapping.json").write_text("{}")
    (contents / "Resources" / "PySide6").symlink_to("../Frameworks/PySide6")
    return app


class AppleTools:
    def __init__(self, tmp_path: Path) -> None:
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        for tool in ("codesign", "xcrun", "ditto", "spctl"):
            (self.bin / tool).write_text(STUB)
            (self.bin / tool).chmod(0o755)
        self.log = tmp_path / "calls.log"
        self.log.touch()

    def env(self, **extra: str) -> dict[str, str]:
        return {"PATH": f"{self.bin}{os.pathsep}/usr/bin{os.pathsep}/bin",
                "STUB_LOG": str(self.log), **extra}

    def calls(self) -> list[list[str]]:
        return [line.split("\t") for line in self.log.read_text().splitlines()]

    def signed(self) -> list[list[str]]:
        return [c for c in self.calls() if c[0] == "codesign" and "--sign" in c]


SIGNING_ENV = {"MACOS_SIGN_IDENTITY": "Developer ID Application: DeepCall (TEAM123456)",
               "MACOS_TEAM_ID": "TEAM123456", "MACOS_NOTARY_PROFILE": "screenpop-notary"}


def run_sign(tools: AppleTools, app: Path, archive: Path,
             **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BASH, str(SIGN), str(app), str(archive)],
                          env=tools.env(**SIGNING_ENV, **extra), capture_output=True, text=True,
                          timeout=60)


@posix_only
def test_sign_script_without_apples_tools_says_it_needs_macos(tmp_path: Path) -> None:
    app = fake_app(tmp_path)
    result = subprocess.run([BASH, str(SIGN), str(app), str(tmp_path / "x.zip")],
                            env={"PATH": "/nonexistent", **SIGNING_ENV}, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 2
    assert "needs macOS's codesign" in result.stderr


@posix_only
@pytest.mark.skipif(shutil.which("tar") is None, reason="the ditto stand-in needs tar")
def test_sign_script_signs_inside_out_notarizes_staples_and_archives(tmp_path: Path) -> None:
    tools = AppleTools(tmp_path)
    app = fake_app(tmp_path)
    archive = tmp_path / "screenpop-0.1.0-macos-arm64.zip"
    result = run_sign(tools, app, archive)
    assert result.returncode == 0, result.stderr

    signed = tools.signed()
    targets = [Path(call[-1]) for call in signed]
    contents = app / "Contents"
    framework = contents / "Frameworks/PySide6/Qt/lib/QtCore.framework"
    assert targets[-1] == app  # the app last, after everything in it
    assert targets.index(framework / "Versions/A/QtCore") < targets.index(framework / "Versions/A")
    assert {contents / "Frameworks/PySide6/QtCore.abi3.so",
            contents / "Frameworks/libpython3.11.dylib"} <= set(targets)
    # Links, data files, Versions/Current and the main executable (signed with the app) are not
    # signed on their own.
    for never in (framework / "QtCore", framework / "Versions/Current",
                  contents / "Resources/field_mapping.json", contents / "Resources/PySide6",
                  contents / "MacOS/screenpop", framework / "Versions/A/Resources/Info.plist"):
        assert never not in targets, never
    for call in signed:
        assert {"--options", "runtime", "--timestamp", "--force"} <= set(call)
        assert call[call.index("--sign") + 1] == SIGNING_ENV["MACOS_SIGN_IDENTITY"]
    with_entitlements = [call for call in signed if "--entitlements" in call]
    assert with_entitlements == [signed[-1]]
    assert Path(signed[-1][signed[-1].index("--entitlements") + 1]) == ENTITLEMENTS

    calls = tools.calls()
    submit = next(c for c in calls if c[:3] == ["xcrun", "notarytool", "submit"])
    assert submit[submit.index("--keychain-profile") + 1] == "screenpop-notary"
    assert "--wait" in submit
    assert not {"--password", "--apple-id", "--key", "--issuer"} & set(submit)
    staple = calls.index(["xcrun", "stapler", "staple", str(app)])
    assert calls.index(submit) < staple < calls.index(["xcrun", "stapler", "validate", str(app)])
    final = ["ditto", "-c", "-k", "--keepParent", str(app), str(archive)]
    assert staple < calls.index(final)  # the archive holds the stapled app
    assert archive.exists()
    assert "symbolic links kept" in result.stdout


@posix_only
def test_sign_script_stops_on_a_signature_for_another_team(tmp_path: Path) -> None:
    tools = AppleTools(tmp_path)
    app = fake_app(tmp_path)
    result = run_sign(tools, app, tmp_path / "x.zip", STUB_TEAM="OTHERTEAM1")
    assert result.returncode == 1
    assert "signed for team 'OTHERTEAM1', not MACOS_TEAM_ID 'TEAM123456'" in result.stderr
    assert not any(c[:2] == ["xcrun", "notarytool"] for c in tools.calls())


@posix_only
def test_sign_script_stops_when_apple_refuses_the_app(tmp_path: Path) -> None:
    tools = AppleTools(tmp_path)
    app = fake_app(tmp_path)
    result = run_sign(tools, app, tmp_path / "x.zip", STUB_NOTARY="Invalid")
    assert result.returncode == 1
    assert "notarization ended with status 'Invalid'" in result.stderr
    calls = tools.calls()
    log = ["xcrun", "notarytool", "log", "req-1", "--keychain-profile", "screenpop-notary"]
    assert log in calls
    assert not any(c[:2] == ["xcrun", "stapler"] for c in calls)
    assert not (tmp_path / "x.zip").exists()


@posix_only
@pytest.mark.skipif(shutil.which("tar") is None, reason="the ditto stand-in needs tar")
def test_archive_step_refuses_an_archive_that_lost_the_links(tmp_path: Path) -> None:
    tools = AppleTools(tmp_path)
    app = fake_app(tmp_path)
    kept = subprocess.run([BASH, str(ARCHIVE), str(app), str(tmp_path / "kept.zip")],
                          env=tools.env(), capture_output=True, text=True, timeout=30)
    assert kept.returncode == 0, kept.stderr
    assert "(3 symbolic links kept)" in kept.stdout
    lost = subprocess.run([BASH, str(ARCHIVE), str(app), str(tmp_path / "lost.zip")],
                          env=tools.env(STUB_DEREFERENCE="1"), capture_output=True, text=True,
                          timeout=30)
    assert lost.returncode == 1
    assert "holds 0 symbolic links, the bundle 3" in lost.stderr


# --- README: what the self-test prints ---------------------------------------------------------

SELF_TEST_CHECKS = ("qt-platform", "keyring", "tls", "deepcall-sandbox", "local-socket",
                    "field-mapping", "icons")  # the contract's order (SPEC12: part FROZEN)


def test_readme_lists_the_self_test_checks_in_the_order_they_print() -> None:
    start = README.index("### The self-test")
    text = README[start:README.index("\n## ", start)]
    flat = " ".join(text.split())
    assert "`PASS name: detail` or `FAIL name: detail`" in flat
    assert "exits `0` only when every check passed (`1` otherwise)" in flat
    rows = re.findall(r"^\| `([\w-]+)` \|", text, re.M)
    assert tuple(rows) == SELF_TEST_CHECKS


def test_readme_first_screen_still_shows_the_demo_and_the_tests() -> None:
    first_screen = "\n".join(README.splitlines()[:20])
    assert "uv run screenpop --demo" in first_screen
    assert "uv run pytest" in first_screen
