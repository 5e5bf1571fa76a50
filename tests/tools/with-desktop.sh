#!/usr/bin/env bash
# Runs a command inside the desktop the tests need: a private D-Bus session bus with
# gnome-keyring's Secret Service unlocked, and an Xvfb display for child processes.
# Usage: tests/tools/with-desktop.sh uv run pytest
set -euo pipefail

if [ -z "${SCREENPOP_IN_DESKTOP:-}" ]; then
    export SCREENPOP_IN_DESKTOP=1
    exec dbus-run-session -- "$0" "$@"
fi

# A throw-away keyring home, so tests never touch the developer's own keyring.
keyring_home=$(mktemp -d)
export XDG_DATA_HOME="$keyring_home/data" XDG_RUNTIME_DIR="$keyring_home/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
eval "$(printf 'test-keyring-password' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL

# Xvfb picks a free display number itself and reports it on a pipe.
exec {display_fd}<> <(:)
Xvfb -displayfd "$display_fd" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
read -r -t 20 -u "$display_fd" display_number
export SCREENPOP_TEST_DISPLAY=":$display_number"
trap 'kill "$xvfb_pid" 2>/dev/null || true; rm -rf "$keyring_home"' EXIT

"$@"
