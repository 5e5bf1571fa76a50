"""packaging/linux/install.sh, run for real in throw-away homes: the versioned layout that
keeps a running app's files, the Desktop Entry quoting (read back by GLib's own launcher),
the tel:/callto: registration with and without xdg-mime, and the uninstall."""

from __future__ import annotations

import configparser
import os
import shutil
import signal
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.packaging.spec_loading import REPO
from tests.platforms import only_on

# install.sh and make-tarball.sh are the Linux bundle's; the tests read /proc and run them.
pytestmark = only_on("linux", "the Linux bundle's install and tarball scripts")

LINUX = REPO / "packaging" / "linux"
APP_SVG = REPO / "resources" / "icons" / "app.svg"
VERSION = "0.1.0"
# Records its arguments where $RECORD says, as the real app would receive them.
STAND_IN = '#!/bin/sh\necho frozen "$@"\n[ -z "$RECORD" ] || printf "%s\\n" "$0" "$@" > "$RECORD"\n'


def make_unpacked(folder: Path, executable: bytes = STAND_IN.encode()) -> Path:
    """An unpacked tarball with a stand-in bundle, as make-tarball.sh lays it out."""
    bundle = folder / "screenpop"
    internal = bundle / "_internal"
    (internal / "resources" / "icons").mkdir(parents=True)
    (internal / f"deepcall_screenpop-{VERSION}.dist-info").mkdir()
    (internal / "base_library.zip").write_bytes(b"what a running app reopens by name")
    (bundle / "screenpop").write_bytes(executable)
    (bundle / "screenpop").chmod(0o755)
    (internal / "resources" / "icons" / "app.svg").write_bytes(APP_SVG.read_bytes())
    for name in ("screenpop.desktop", "install.sh"):
        (folder / name).write_bytes((LINUX / name).read_bytes())
    (folder / "install.sh").chmod(0o755)
    return folder


@pytest.fixture
def unpacked(tmp_path: Path) -> Path:
    return make_unpacked(tmp_path / "unpacked")


@pytest.fixture
def running_kind(tmp_path: Path) -> Path:
    """A bundle whose executable is a real program (a copy of sleep), so a started one shows
    in /proc/PID/exe the way the frozen app does."""
    sleep = shutil.which("sleep")
    assert sleep
    return make_unpacked(tmp_path / "unpacked-elf", Path(sleep).read_bytes())


def install(unpacked: Path, home: Path, *args: str, with_xdg_mime: bool = True,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    tools = home.parent / "tools"
    tools.mkdir(exist_ok=True)
    recorder = tools / "xdg-mime"
    if with_xdg_mime:  # records how it was called, as xdg-utils' would be
        recorder.write_text(f'#!/bin/sh\necho "$@" >> "{home.parent}/xdg-mime.calls"\n')
        recorder.chmod(recorder.stat().st_mode | stat.S_IEXEC)
    elif recorder.exists():
        recorder.unlink()
    result = subprocess.run([str(unpacked / "install.sh"), *args], capture_output=True,
                            text=True, check=False,
                            env={"HOME": str(home), "PATH": f"{tools}:/usr/bin:/bin",
                                 **(env or {})})
    assert "Traceback" not in result.stderr
    return result


def desktop_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def root_of(home: Path) -> Path:
    return home / ".local" / "share" / "deepcall-screenpop"


def versions(home: Path) -> list[str]:
    return sorted(p.name for p in (root_of(home) / "versions").iterdir())


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        process.kill()
        process.wait()


def test_install_sh_installs_a_version_behind_current_and_registers_tel_and_callto(
        unpacked: Path, tmp_path: Path) -> None:
    home = tmp_path / "home of agent"  # a space: Exec must quote the path
    home.mkdir()
    result = install(unpacked, home)
    assert result.returncode == 0, result.stderr
    exe = root_of(home) / "current" / "screenpop"
    (first,) = versions(home)
    assert first.startswith(f"{VERSION}-")
    assert os.readlink(root_of(home) / "current") == f"versions/{first}"
    entry = desktop_entry(home / ".local" / "share" / "applications" / "screenpop.desktop")
    assert entry["Exec"] == f'"{exe}" %u'
    assert entry["TryExec"] == str(exe)
    assert entry["MimeType"] == "x-scheme-handler/tel;x-scheme-handler/callto;"
    assert (tmp_path / "xdg-mime.calls").read_text().split() == [
        "default", "screenpop.desktop", "x-scheme-handler/tel", "x-scheme-handler/callto"]
    link = home / ".local" / "bin" / "screenpop"
    assert os.readlink(link) == str(exe)
    assert subprocess.run([str(link), "tel:+1"], capture_output=True, text=True,
                          check=True).stdout == "frozen tel:+1\n"
    assert (home / ".local/share/icons/hicolor/scalable/apps/deepcall-screenpop.svg").exists()

    again = install(unpacked, home)  # an update: a new version, the unused old one goes
    assert again.returncode == 0, again.stderr
    (second,) = versions(home)
    assert second != first
    assert os.readlink(root_of(home) / "current") == f"versions/{second}"

    removed = install(unpacked, home, "--uninstall")
    assert removed.returncode == 0, removed.stderr
    assert not root_of(home).exists()
    assert not link.exists()
    assert not (home / ".local" / "share" / "applications" / "screenpop.desktop").exists()


def test_a_reinstall_keeps_the_version_a_running_app_came_from_until_it_ends(
        running_kind: Path, tmp_path: Path, started: list[subprocess.Popen[bytes]]) -> None:
    """A running bundle reopens its own files by name (PYZ, base_library.zip): an update must
    not delete them under it. The frozen app itself: see the report's reinstall run."""
    home = tmp_path / "home"
    home.mkdir()
    assert install(running_kind, home).returncode == 0
    (first,) = versions(home)
    app = subprocess.Popen([str(root_of(home) / "current" / "screenpop"), "600"])
    started.append(app)
    old = root_of(home) / "versions" / first
    assert Path(os.readlink(f"/proc/{app.pid}/exe")) == (old / "screenpop").resolve()

    update = install(running_kind, home)
    assert update.returncode == 0, update.stderr
    assert f"kept {old}" in update.stdout
    assert len(versions(home)) == 2
    assert (old / "_internal" / "base_library.zip").read_bytes()  # the app can still read it
    assert not os.readlink(f"/proc/{app.pid}/exe").endswith("(deleted)")
    assert os.readlink(root_of(home) / "current") != f"versions/{first}"

    app.send_signal(signal.SIGTERM)
    app.wait()
    assert install(running_kind, home).returncode == 0  # the next install removes it
    assert first not in versions(home)
    assert len(versions(home)) == 1


def test_an_install_of_the_layout_before_versions_is_taken_over(
        running_kind: Path, tmp_path: Path, started: list[subprocess.Popen[bytes]]) -> None:
    home = tmp_path / "home"
    old = root_of(home)
    shutil.copytree(running_kind / "screenpop", old)  # the bundle straight in the folder
    (home / ".local" / "bin").mkdir(parents=True)
    (home / ".local" / "bin" / "screenpop").symlink_to(old / "screenpop")
    app = subprocess.Popen([str(old / "screenpop"), "600"])
    started.append(app)

    result = install(running_kind, home)
    assert result.returncode == 0, result.stderr
    assert "kept the previous install" in result.stdout
    assert (old / "screenpop").exists()
    assert (old / "_internal" / "base_library.zip").exists()
    assert os.readlink(home / ".local" / "bin" / "screenpop") == str(old / "current" / "screenpop")

    app.send_signal(signal.SIGTERM)
    app.wait()
    assert install(running_kind, home).returncode == 0
    assert sorted(p.name for p in old.iterdir()) == ["current", "versions"]


# Not "100%": GLib 2.74 looks for the program named in Exec before it turns the spec's %%
# back into %, so it refuses such an entry whatever install.sh writes (the spec's form is
# checked below).
HOMES = ["R&D", "a\\b", "cost$x", "two words", 'say "hi"', "back`tick`"]


def wait_for(path: Path, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text().endswith("\n"):
        assert time.monotonic() < deadline, f"{path} was not written"
        time.sleep(0.05)
    return path.read_text()


@pytest.mark.parametrize("name", HOMES)
def test_exec_survives_any_home_folder_name_as_glib_reads_it(
        unpacked: Path, tmp_path: Path, name: str) -> None:
    """GLib's own launcher (gio launch) parses Exec and TryExec the way GNOME and the
    file-open dialogs do, and starts the program with the link."""
    gio = shutil.which("gio")
    if gio is None:
        pytest.skip("gio (libglib2.0-bin) is not installed: nothing reads the entry back")
    home = tmp_path / f"h-{name}"
    home.mkdir()
    assert install(unpacked, home).returncode == 0
    desktop = home / ".local" / "share" / "applications" / "screenpop.desktop"
    record = tmp_path / "argv"
    subprocess.run([gio, "launch", str(desktop), "tel:+4930123"], check=True, timeout=30,
                   env={**os.environ, "RECORD": str(record), "HOME": str(home)})
    assert wait_for(record).splitlines() == [
        str(root_of(home) / "current" / "screenpop"), "tel:+4930123"]


@pytest.mark.parametrize(("name", "written"), [
    ("R&D", "R&D"), ("a\\b", "a\\\\\\\\b"), ("cost$x", "cost\\\\$x"), ("100%", "100%%"),
    ('say "hi"', 'say \\\\"hi\\\\"')])
def test_exec_escapes_as_the_desktop_entry_spec_says(
        unpacked: Path, tmp_path: Path, name: str, written: str) -> None:
    home = tmp_path / f"h-{name}"
    home.mkdir()
    assert install(unpacked, home).returncode == 0
    desktop = home / ".local" / "share" / "applications" / "screenpop.desktop"
    lines = desktop.read_text(encoding="utf-8").splitlines()
    (exec_line,) = [line for line in lines if line.startswith("Exec=")]
    assert exec_line == (f'Exec="{tmp_path}/h-{written}/.local/share/deepcall-screenpop'
                         '/current/screenpop" %u')


MIMEAPPS_BEFORE = """[Added Associations]
x-scheme-handler/tel=other.desktop;

[Default Applications]
text/html=firefox.desktop
x-scheme-handler/tel=softphone.desktop
"""


def test_without_xdg_mime_it_writes_mimeapps_list_and_the_uninstall_takes_it_back(
        unpacked: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    config = tmp_path / "config"
    config.mkdir(parents=True)
    (config / "mimeapps.list").write_text(MIMEAPPS_BEFORE)
    env = {"XDG_CONFIG_HOME": str(config)}
    home.mkdir()
    result = install(unpacked, home, with_xdg_mime=False, env=env)
    assert result.returncode == 0, result.stderr
    assert (config / "mimeapps.list").read_text() == """[Added Associations]
x-scheme-handler/tel=other.desktop;

[Default Applications]
x-scheme-handler/tel=screenpop.desktop
x-scheme-handler/callto=screenpop.desktop
text/html=firefox.desktop
"""
    gio = shutil.which("gio")
    if gio:  # GLib, as GNOME asks: which program opens tel: links now?
        shown = subprocess.run([gio, "mime", "x-scheme-handler/tel"], capture_output=True,
                               text=True, check=True, env={
                                   **os.environ, "HOME": str(home), **env,
                                   "XDG_DATA_HOME": str(home / ".local" / "share")}).stdout
        assert shown.splitlines()[0].endswith("screenpop.desktop")

    # The user gives callto: to another program afterwards: the uninstall leaves that alone.
    text = (config / "mimeapps.list").read_text()
    (config / "mimeapps.list").write_text(text.replace(
        "callto=screenpop.desktop", "callto=other.desktop;screenpop.desktop;"))
    assert install(unpacked, home, "--uninstall", env=env).returncode == 0
    assert (config / "mimeapps.list").read_text() == """[Added Associations]
x-scheme-handler/tel=other.desktop;

[Default Applications]
x-scheme-handler/callto=other.desktop;
text/html=firefox.desktop
"""


def test_without_xdg_mime_and_without_mimeapps_list_it_makes_one(
        unpacked: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    assert install(unpacked, home, with_xdg_mime=False).returncode == 0
    assert (home / ".config" / "mimeapps.list").read_text() == (
        "[Default Applications]\nx-scheme-handler/tel=screenpop.desktop\n"
        "x-scheme-handler/callto=screenpop.desktop\n")


def test_install_sh_refuses_to_run_without_a_bundle_beside_it(tmp_path: Path) -> None:
    (tmp_path / "install.sh").write_bytes((LINUX / "install.sh").read_bytes())
    result = subprocess.run(["bash", str(tmp_path / "install.sh")], capture_output=True,
                            text=True, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
                            check=False)
    assert result.returncode == 1
    assert "no bundle at" in result.stderr


def make_tarball_in(repo: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    return subprocess.run([str(repo / "packaging" / "linux" / "make-tarball.sh")],
                          capture_output=True, text=True, check=False, env=env)


@pytest.fixture
def tarball_repo(tmp_path: Path) -> Path:
    """A checkout with a stand-in bundle built under a loose umask (group-writable)."""
    repo = tmp_path / "repo"
    (repo / "packaging" / "linux").mkdir(parents=True)
    for name in ("make-tarball.sh", "install.sh", "screenpop.desktop"):
        shutil.copy2(LINUX / name, repo / "packaging" / "linux" / name)
    (repo / "pyproject.toml").write_text(f'[project]\nversion = "{VERSION}"\n')
    make_unpacked(repo / "dist")
    for path in (repo / "dist" / "screenpop").rglob("*"):
        path.chmod(0o775 if path.is_dir() or path.name == "screenpop" else 0o664)
    return repo


def test_make_tarball_refuses_without_a_commit_time(tarball_repo: Path) -> None:
    result = make_tarball_in(tarball_repo)
    assert result.returncode == 1
    assert "set SOURCE_DATE_EPOCH" in result.stderr
    assert not list((tarball_repo / "dist").glob("*.tar.xz"))


def test_make_tarball_is_reproducible_with_the_commit_time_owner_0_and_no_group_write(
        tarball_repo: Path) -> None:
    import tarfile

    git = ["git", "-C", str(tarball_repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "pyproject.toml"], check=True)
    subprocess.run([*git, "commit", "-qm", "x", "--date=@1700000000"], check=True,
                   env={**os.environ, "GIT_COMMITTER_DATE": "@1700000000"})
    if os.geteuid() == 0:  # a checkout owned by someone else: git's safe.directory check
        for path in [tarball_repo, *tarball_repo.rglob("*")]:
            os.lchown(path, 4321, 4321)
    first = make_tarball_in(tarball_repo)
    assert first.returncode == 0, first.stderr
    archive = Path(first.stdout.strip())
    data = archive.read_bytes()
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
    assert {m.mtime for m in members} == {1700000000}
    assert {(m.uid, m.gid) for m in members} == {(0, 0)}
    modes = {m.name: m.mode for m in members}
    assert modes["screenpop/screenpop"] == 0o755
    assert modes["screenpop/_internal/base_library.zip"] == 0o644
    assert modes["screenpop/_internal"] == 0o755
    assert modes["install.sh"] == 0o755
    assert make_tarball_in(tarball_repo).returncode == 0
    assert archive.read_bytes() == data


CI_RUN = REPO / ".ci" / "run"


def test_ci_installs_the_shared_libpython_pyinstaller_needs() -> None:
    text = CI_RUN.read_text(encoding="utf-8")
    packages = text[text.index("APT_PACKAGES=("):text.index("\n)\n")]
    assert "libpython3.11" in packages.split()


def test_ci_installs_uv_on_a_fresh_debian_without_pip(tmp_path: Path) -> None:
    """The uv step of .ci/run, run with stand-ins: no uv, a python3 without pip (PEP 668
    Debian), an apt-get that records; pip must come from apt and uv go past PEP 668."""
    text = CI_RUN.read_text(encoding="utf-8")
    start = text.index("if ! command -v uv")
    step = text[start:text.index("\nfi\n", start) + 4]
    calls = tmp_path / "calls"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in {
        "apt-get": f'echo "apt-get $*" >> {calls}; [ "$1" != install ] || : > {tmp_path}/pip',
        "python3": f'echo "python3 $*" >> {calls}; [ "$3" != --version ] || [ -e {tmp_path}/pip ]',
    }.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    subprocess.run(["/bin/bash", "-euo", "pipefail", "-c", step], check=True,
                   env={"PATH": f"{bin_dir}:/usr/bin/env-none"})
    assert calls.read_text().splitlines() == [
        "python3 -m pip --version",
        "apt-get update -qq",
        "apt-get install -y -qq --no-install-recommends python3-pip",
        "python3 -m pip install --quiet --break-system-packages uv",
    ]


def path_without(tmp_path: Path, missing: str) -> str:
    """A PATH with every program of /usr/bin and /bin but ``missing`` (linked one by one, so
    the test means the same on a machine that has it installed)."""
    farm = tmp_path / "bin-without"
    farm.mkdir()
    for folder in (Path("/bin"), Path("/usr/bin")):
        for program in folder.iterdir():
            if program.name != missing and not (farm / program.name).exists():
                (farm / program.name).symlink_to(program)
    return str(farm)


@pytest.mark.parametrize("installed", [True, False], ids=["with", "without"])
def test_without_update_desktop_database_it_says_menus_refresh_at_the_next_login(
        unpacked: Path, tmp_path: Path, installed: bool) -> None:
    home = tmp_path / "home"
    home.mkdir()
    tools = tmp_path / "tools"
    tools.mkdir()
    if installed:  # records how it was called
        recorder = tools / "update-desktop-database"
        recorder.write_text(f'#!/bin/sh\necho "$@" >> "{tmp_path}/udd.calls"\n')
        recorder.chmod(0o755)
    env = {"PATH": f"{tools}:{path_without(tmp_path, 'update-desktop-database')}"}
    result = install(unpacked, home, env=env)
    assert result.returncode == 0, result.stderr
    removed = install(unpacked, home, "--uninstall", env=env)
    assert removed.returncode == 0, removed.stderr
    applications = home / ".local" / "share" / "applications"
    if installed:
        assert (tmp_path / "udd.calls").read_text().splitlines() == [f"-q {applications}"] * 2
        assert "update-desktop-database" not in result.stdout + removed.stdout
        return
    assert ("(update-desktop-database is not installed: the menus show Screen-Pop from your "
            "next login; tel: and callto: links open it already)") in result.stdout
    assert (tmp_path / "xdg-mime.calls").exists()  # the links were registered all the same
    assert ("(update-desktop-database is not installed: the menus drop Screen-Pop at your "
            "next login)") in removed.stdout
