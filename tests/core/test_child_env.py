"""The environment for what the app starts, from fake environs of each OS's bundle layout."""

from __future__ import annotations

from app.core.child_env import RESET_VARIABLE, app_environment, child_environment

LINUX_BUNDLE = "/opt/screenpop/_internal"
WINDOWS_BUNDLE = r"C:\Users\agent\AppData\Local\Programs\Screen-Pop\_internal"
MAC_BUNDLE = "/Applications/DeepCall Screen-Pop.app/Contents/Frameworks"


def test_linux_gets_its_library_path_back_and_loses_the_bundles() -> None:
    frozen = {
        "HOME": "/home/agent",
        "LD_LIBRARY_PATH": LINUX_BUNDLE, "LD_LIBRARY_PATH_ORIG": "/opt/crm/lib",
        "QT_PLUGIN_PATH": f"{LINUX_BUNDLE}/PySide6/Qt/plugins",
        "QML2_IMPORT_PATH": f"{LINUX_BUNDLE}/PySide6/Qt/qml",
        "_PYI_APPLICATION_HOME_DIR": LINUX_BUNDLE, "_PYI_PARENT_PROCESS_LEVEL": "1",
        "_MEIPASS2": LINUX_BUNDLE, "PATH": "/usr/bin:/bin", "DEEPCALL_TOKEN": "kept-for-pop",
    }
    assert child_environment(frozen, LINUX_BUNDLE, "linux") == {
        "HOME": "/home/agent", "LD_LIBRARY_PATH": "/opt/crm/lib", "PATH": "/usr/bin:/bin",
        "DEEPCALL_TOKEN": "kept-for-pop"}


def test_linux_without_a_library_path_of_its_own_gets_none() -> None:
    frozen = {"LD_LIBRARY_PATH": LINUX_BUNDLE, "PATH": "/usr/bin"}
    assert child_environment(frozen, LINUX_BUNDLE, "linux") == {"PATH": "/usr/bin"}


def test_windows_path_loses_only_the_bundle_entries_whatever_their_case() -> None:
    frozen = {
        "Path": rf"{WINDOWS_BUNDLE.lower()};C:\Windows\system32;{WINDOWS_BUNDLE}\PySide6;"
                r"C:\Users\agent\AppData\Local\Programs\Screen-Pop",
        "QT_PLUGIN_PATH": rf"{WINDOWS_BUNDLE}\PySide6\plugins",
        "_PYI_ARCHIVE_FILE": rf"{WINDOWS_BUNDLE}\..\screenpop.exe",
        "USERPROFILE": r"C:\Users\agent",
    }
    # The app's own folder (the user's PATH entry to type `screenpop`) is not inside it.
    assert child_environment(frozen, WINDOWS_BUNDLE, "win32") == {
        "Path": r"C:\Windows\system32;C:\Users\agent\AppData\Local\Programs\Screen-Pop",
        "USERPROFILE": r"C:\Users\agent"}


def test_macos_dyld_paths_come_back_or_lose_the_bundle() -> None:
    frozen = {
        "DYLD_LIBRARY_PATH": f"{MAC_BUNDLE}:/opt/homebrew/lib",
        "DYLD_FRAMEWORK_PATH": MAC_BUNDLE, "DYLD_FRAMEWORK_PATH_ORIG": "/Library/Frameworks",
        "QT_PLUGIN_PATH": f"{MAC_BUNDLE}/PySide6/Qt/plugins",
        "SSL_CERT_FILE": f"{MAC_BUNDLE}/certifi/cacert.pem",
        "PATH": "/usr/bin:/bin",
    }
    assert child_environment(frozen, MAC_BUNDLE, "darwin") == {
        "DYLD_LIBRARY_PATH": "/opt/homebrew/lib", "DYLD_FRAMEWORK_PATH": "/Library/Frameworks",
        "PATH": "/usr/bin:/bin"}


def test_a_folder_that_only_starts_like_the_bundle_is_not_inside_it() -> None:
    frozen = {"QT_PLUGIN_PATH": f"{LINUX_BUNDLE}-plugins:{LINUX_BUNDLE}/x"}
    assert child_environment(frozen, LINUX_BUNDLE, "linux") == {
        "QT_PLUGIN_PATH": f"{LINUX_BUNDLE}-plugins"}


def test_from_source_only_pyinstallers_private_variables_go() -> None:
    source = {"LD_LIBRARY_PATH": "/opt/mine", "QT_PLUGIN_PATH": "/opt/qt/plugins",
              "_PYI_PARENT_PROCESS_LEVEL": "0"}
    assert child_environment(source, None, "linux") == {
        "LD_LIBRARY_PATH": "/opt/mine", "QT_PLUGIN_PATH": "/opt/qt/plugins"}


def test_the_app_started_from_a_bundle_is_a_new_top_level_instance() -> None:
    frozen = {"_PYI_APPLICATION_HOME_DIR": LINUX_BUNDLE, "LD_LIBRARY_PATH": LINUX_BUNDLE}
    assert app_environment(frozen, LINUX_BUNDLE, "linux") == {RESET_VARIABLE: "1"}
    assert RESET_VARIABLE not in app_environment({}, None, "linux")


def test_an_environment_given_back_once_stays_as_it_is() -> None:
    # The gui restores os.environ at start; the call actions compute a child's from it again.
    frozen = {"LD_LIBRARY_PATH": LINUX_BUNDLE, "LD_LIBRARY_PATH_ORIG": "/opt/crm/lib",
              "PATH": f"{LINUX_BUNDLE}:/usr/bin"}
    once = child_environment(frozen, LINUX_BUNDLE, "linux")
    assert child_environment(once, LINUX_BUNDLE, "linux") == once == {
        "LD_LIBRARY_PATH": "/opt/crm/lib", "PATH": "/usr/bin"}
