"""The GitHub workflows, read as YAML: they cannot run here, so what they promise is checked.

CI covers the three desktop systems, its Linux half is .ci/run itself, and the release job of
each system builds with the shared scripts, proves the frozen app, packages, prints the size
and uploads. Actions are pinned by major version and secrets reach scripts only through env.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.sources.processes import REPO

WORKFLOWS = REPO / ".github" / "workflows"
COMPOSITE = REPO / ".github" / "actions" / "pinned-environment" / "action.yml"
YAML_FILES = [WORKFLOWS / "ci.yml", WORKFLOWS / "release.yml", COMPOSITE]


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 (pyyaml) reads the key `on` as the boolean True; GitHub reads it as "on".
    on = workflow.get("on", workflow.get(True))
    assert isinstance(on, dict)
    return on


def jobs(name: str) -> dict[str, dict[str, Any]]:
    return load(WORKFLOWS / name)["jobs"]


def runs_on(job: dict[str, Any]) -> list[str]:
    target = job["runs-on"]
    if target == "${{ matrix.os }}":
        return list(job["strategy"]["matrix"]["os"])
    return [target]


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job["steps"])


def scripts(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in steps(job))


def uses(job: dict[str, Any]) -> list[str]:
    return [step["uses"] for step in steps(job) if "uses" in step]


def all_steps() -> list[dict[str, Any]]:
    found = [step for name in ("ci.yml", "release.yml") for job in jobs(name).values()
             for step in steps(job)]
    return found + load(COMPOSITE)["runs"]["steps"]


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.name)
def test_workflows_are_yaml(path: Path) -> None:
    assert load(path)


def test_ci_runs_on_the_three_desktop_systems() -> None:
    systems = {os for job in jobs("ci.yml").values() for os in runs_on(job)}
    assert systems == {"ubuntu-latest", "windows-latest", "macos-14"}
    on = triggers(load(WORKFLOWS / "ci.yml"))
    assert "pull_request" in on
    assert on["push"]["branches"] == ["main"]


def test_ci_linux_half_is_exactly_ci_run_as_root_on_this_projects_debian() -> None:
    (linux,) = [job for job in jobs("ci.yml").values() if runs_on(job) == ["ubuntu-latest"]]
    runs = [step["run"] for step in steps(linux) if "run" in step]
    assert runs[-1] == "bash .ci/run"
    assert git_before_checkout(linux)
    # .ci/run installs apt packages as root, as on the project's machines (Debian 12, root).
    assert linux["container"] == "debian:12"
    assert linux["env"]["CI"] == "true"


def test_ci_windows_and_macos_install_the_hashed_lock_and_run_the_suite_offscreen() -> None:
    (desktop,) = [job for job in jobs("ci.yml").values()
                  if set(runs_on(job)) == {"windows-latest", "macos-14"}]
    assert desktop["env"]["QT_QPA_PLATFORM"] == "offscreen"
    assert "./.github/actions/pinned-environment" in uses(desktop)
    assert re.search(r"^uv run pytest$", scripts(desktop), re.M)
    install = load(COMPOSITE)["runs"]["steps"][-1]["run"]
    assert "uv pip sync --require-hashes requirements.lock" in install
    assert "uv pip install --no-deps -e ." in install
    assert "UV_NO_SYNC=1" in install


def git_before_checkout(job: dict[str, Any]) -> bool:
    """debian:12 has no git: installed before actions/checkout, or the checkout has no history
    (make-tarball.sh's mtime is the commit's). That step, then .ci/run, are the only scripts."""
    names = [step.get("uses", step.get("run", "")) for step in steps(job)]
    checkout = names.index("actions/checkout@v6")
    (install,) = [step["run"] for step in steps(job)[:checkout] if "run" in step]
    scripts_after = [step["run"] for step in steps(job)[checkout:] if "run" in step]
    return bool(re.fullmatch(r"apt-get update -qq && apt-get install -y -qq "
                             r"--no-install-recommends git ca-certificates", install)
                ) and scripts_after[0] == "bash .ci/run"


def release_job(os: str) -> dict[str, Any]:
    """The build job of ``os`` (publish, which also runs on ubuntu-latest, builds nothing)."""
    (job,) = [job for name, job in jobs("release.yml").items()
              if name != "publish" and runs_on(job) == [os]]
    return job


def test_release_runs_on_a_version_tag_for_each_system() -> None:
    on = triggers(load(WORKFLOWS / "release.yml"))
    assert on["push"]["tags"] == ["v*"]
    assert {os for job in jobs("release.yml").values() for os in runs_on(job)} == {
        "ubuntu-latest", "windows-latest", "macos-14"}


@pytest.mark.parametrize("os", ["windows-latest", "macos-14"])
def test_release_builds_with_the_shared_script_and_proves_the_frozen_app(os: str) -> None:
    text = scripts(release_job(os))
    build = text.index("bash packaging/build-bundle.sh")
    check = text.index("bash packaging/check-frozen.sh")  # --self-test and a pop into the app
    assert build < check


def test_release_linux_is_ci_run_which_builds_checks_and_packs() -> None:
    job = release_job("ubuntu-latest")
    assert job["container"] == "debian:12"
    assert re.search(r"^bash \.ci/run$", scripts(job), re.M)
    assert git_before_checkout(job)
    ci_run = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "build-bundle.sh" in ci_run
    assert "check-frozen.sh" in ci_run
    assert "make-tarball.sh" in ci_run


def test_release_packages_each_bundle_the_documented_way() -> None:
    windows = scripts(release_job("windows-latest"))
    assert '"/DMyAppVersion=$env:VERSION" packaging\\windows\\screenpop.iss' in windows
    assert "'/VERYSILENT', '/SUPPRESSMSGBOXES', '/NORESTART'" in windows  # installer tried too
    macos = scripts(release_job("macos-14"))
    assert 'packaging/macos/sign-and-notarize.sh "$APP" "$PACKAGE"' in macos
    assert 'packaging/macos/make-archive.sh "$APP" "$PACKAGE"' in macos
    linux = release_job("ubuntu-latest")
    assert any(str(step.get("with", {}).get("path", "")).endswith("-linux-x86_64.tar.xz")
               for step in steps(linux))


@pytest.mark.parametrize("os", ["ubuntu-latest", "windows-latest", "macos-14"])
def test_release_prints_and_uploads_each_package_with_its_size(os: str) -> None:
    job = release_job(os)
    assert 'size=$(wc -c <"$PACKAGE")' in scripts(job)
    assert 'echo "$PACKAGE: $size bytes"' in scripts(job)
    assert "GITHUB_STEP_SUMMARY" in scripts(job)
    (upload,) = [step for step in steps(job) if step.get("uses", "").startswith(
        "actions/upload-artifact@")]
    assert upload["with"]["if-no-files-found"] == "error"


@pytest.mark.parametrize("os", ["ubuntu-latest", "windows-latest", "macos-14"])
def test_release_refuses_a_tag_that_is_not_the_bundles_version(os: str) -> None:
    text = scripts(release_job(os))
    assert '[ "$GITHUB_REF_NAME" != "v$version" ]' in text


def test_actions_are_pinned_by_major_version() -> None:
    for step in all_steps():
        action = step.get("uses")
        if action and not action.startswith("./"):
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", action), action


def test_secrets_reach_scripts_only_through_the_environment() -> None:
    """A secret pasted into a script is in the script's text (and its logs); env is masked."""
    for step in all_steps():
        for field in ("run", "if", "with"):
            assert "secrets." not in str(step.get(field, "")), step.get("name", step)
    release = (WORKFLOWS / "release.yml").read_text(encoding="utf-8")
    for line in release.splitlines():
        if "secrets." in line:
            assert re.fullmatch(r"\s+\w+: \$\{\{ secrets\.\w+( != '' && secrets\.\w+ != '')? \}\}",
                                line), line


def test_signing_identity_goes_to_the_sign_script_through_its_environment() -> None:
    job = release_job("macos-14")
    sign = next(step for step in steps(job)
                if step.get("run", "").startswith("packaging/macos/sign-and-notarize.sh"))
    assert set(sign["env"]) >= {"MACOS_SIGN_IDENTITY", "MACOS_TEAM_ID", "MACOS_NOTARY_PROFILE"}
    assert sign["if"] == "env.SIGNING == 'true'"
    cleanup = steps(job)[-1]
    assert cleanup["if"].startswith("always()")
    assert "security delete-keychain" in cleanup["run"]


def test_ci_run_installs_what_a_bare_debian_lacks() -> None:
    """debian:12 has no CA store (truststore: "no trust anchors", the frozen self-test's tls
    FAIL) and no git (make-tarball.sh's mtime); .ci/run's apt list brings both."""
    ci_run = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    listed = re.search(r"^APT_PACKAGES=\((.*?)^\)", ci_run, re.M | re.S)
    assert listed
    packages = {word for line in listed[1].splitlines()
                for word in line.split("#", 1)[0].split()}
    assert {"ca-certificates", "git", "xz-utils", "gnome-keyring"} <= packages


def test_the_p12_password_on_a_command_line_is_the_one_documented_exception() -> None:
    lines = (WORKFLOWS / "release.yml").read_text(encoding="utf-8").splitlines()
    uses = [i for i, line in enumerate(lines) if "$MACOS_CERTIFICATE_PASSWORD" in line]
    assert len(uses) == 1  # only `security import -P`, which has no other way to take it
    (at,) = uses
    assert lines[at].strip().startswith('-P "$MACOS_CERTIFICATE_PASSWORD"')
    comment = "\n".join(lines[at - 6:at])
    assert "The one documented exception" in comment
    assert "ephemeral" in comment


def test_a_tag_publishes_the_three_packages_with_their_sizes() -> None:
    workflow = jobs("release.yml")
    publish = workflow["publish"]
    assert publish["if"] == "github.ref_type == 'tag'"  # a dry run on a branch publishes nothing
    builds = {name for name in workflow if name != "publish"}
    assert set(publish["needs"]) == builds == {"linux", "windows", "macos"}
    assert publish["permissions"] == {"contents": "write"}  # only here: the workflow reads
    assert load(WORKFLOWS / "release.yml")["permissions"] == {"contents": "read"}
    (download,) = [step for step in steps(publish)
                   if step.get("uses", "").startswith("actions/download-artifact@")]
    assert download["with"] == {"path": "packages", "merge-multiple": True}
    text = scripts(publish)
    assert 'gh release create "$GITHUB_REF_NAME" --verify-tag' in text
    assert "--notes-file notes.md packages/*" in " ".join(text.split())
    assert 'wc -c <"$file"' in text  # each package's size in the notes
    release = next(step for step in steps(publish) if "gh release create" in step.get("run", ""))
    assert release["env"]["GH_TOKEN"] == "${{ github.token }}"


def test_every_pull_request_compiles_the_inno_setup_script() -> None:
    (desktop,) = [job for job in jobs("ci.yml").values()
                  if set(runs_on(job)) == {"windows-latest", "macos-14"}]
    compile_step = next(step for step in steps(desktop) if "iscc" in step.get("run", ""))
    assert compile_step["if"] == "runner.os == 'Windows'"
    text = compile_step["run"]
    # A stand-in bundle: the two executables the script's #if requires, and _internal.
    assert '"$bundle\\_internal"' in text
    assert '"$bundle\\screenpop.exe", "$bundle\\screenpop.com"' in text
    assert ('& $iscc /O- /DMyAppVersion=0.0.0 "/DBundleDir=$bundle" '
            'packaging\\windows\\screenpop.iss') in text
    assert "if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }" in text.splitlines()[-1]
    ci = load(WORKFLOWS / "ci.yml")
    assert "pull_request" in triggers(ci)
    # Before the slow test run: a broken script fails the job within a minute.
    assert steps(desktop).index(compile_step) < next(
        i for i, step in enumerate(steps(desktop)) if step.get("run") == "uv run pytest")
