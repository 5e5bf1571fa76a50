#!/usr/bin/env bash
# The frozen bundle's proof: what a built bundle must do on the machine it was built for.
#   packaging/check-frozen.sh dist/screenpop/screenpop      (Windows: dist/screenpop/screenpop.com)
# On Linux run it inside tests/tools/with-desktop.sh: the app then gets the private Xvfb
# (QT_QPA_PLATFORM=xcb, so the bundled xcb plugin and its libraries are what is proved, which
# offscreen would not) and the unlocked gnome-keyring the self-test's keyring check needs.
#
# Steps, each reported as PASS/FAIL (all run; exit 1 if any failed):
#   version    EXECUTABLE --version prints "screenpop <version of pyproject.toml>"
#   self-test  EXECUTABLE --self-test: the seven checks in order, all PASS, exit 0
#   commands   every command word of app/cli.py, and the app, answer --help (all collected)
#   pop        EXECUTABLE pop --demo --profile TMP 9876543210 starts the frozen app (embedded
#              sandbox, throw-away profile) and pops the number into it from this process
#   state      EXECUTABLE state --profile TMP until the caller is found (Aarav Mehta)
#   qt-free    pop and state into the running app load no QtCore (glibc's LD_DEBUG), while
#              the app itself has it mapped. Linux only: elsewhere it prints SKIP with the
#              reason (no PASS it has not proved) and does not fail the run
#   quit       the app ends on SIGTERM through its own quit path (Windows: taskkill /F), and
#              state then finds no app for the profile
#   child-env  what the frozen app starts gets the user's environment: a real (non-demo)
#              profile whose brand URL is a sandbox started from EXECUTABLE (`sandbox`), the
#              demo token in DEEPCALL_TOKEN (never on a command line), and a program run on
#              ringing that writes its environment to a file; `EXECUTABLE event ringing` starts
#              the app with LD_LIBRARY_PATH and QT_PLUGIN_PATH set as a softphone agent might,
#              and the program must get exactly those, no _PYI_*/_MEIPASS2, nothing pointing
#              into the bundle, no DeepCall token. Linux only (SKIP with the reason elsewhere)
# Timings (ms) are printed for BENCHMARKS.md. Nothing here reads or prints a secret.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 EXECUTABLE" >&2
    exit 2
fi
exe=$1
[ -x "$exe" ] || { echo "check-frozen: $exe is not an executable" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)

case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=macos ;;
    MINGW* | MSYS* | CYGWIN*) os=windows ;;
    *) os=other ;;
esac

profile=$(mktemp -d)
app_pid=""
sandbox_pid=""
env_profile=$profile/child-env/profile  # the child-env step's (Linux only: POSIX PIDs)
event_pid=""
cleanup() {
    if [ -n "$app_pid" ]; then stop_app || true; fi
    # Its app, even when the run was stopped before the step read the lock: once `event`
    # (which starts it) has returned, the app holds its lock.
    local env_app_pid
    if [ -n "$event_pid" ]; then wait "$event_pid" 2>/dev/null || true; fi
    env_app_pid=$(head -n 1 "$env_profile/screenpop.lock" 2>/dev/null || true)
    if [ -n "$env_app_pid" ]; then kill -KILL "$env_app_pid" 2>/dev/null || true; fi
    if [ -n "$sandbox_pid" ]; then kill -TERM "$sandbox_pid" 2>/dev/null || true; fi
    rm -rf "$profile"
}
trap cleanup EXIT

# A machine-wide preset must not change what is checked; an empty value means "no preset".
export SCREENPOP_PRESET=""
if [ -n "${SCREENPOP_TEST_DISPLAY:-}" ]; then
    export DISPLAY=$SCREENPOP_TEST_DISPLAY QT_QPA_PLATFORM=xcb
fi

failed=()
pass() { echo "PASS $1: $2"; }
fail() { echo "FAIL $1: $2"; failed+=("$1"); }
if [ "$(date +%3N)" != 3N ]; then now_ms() { date +%s%3N; }
else now_ms() { perl -MTime::HiRes=time -e 'printf "%d\n", time * 1000'; }; fi  # BSD date

expected_version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$repo/pyproject.toml" | head -n 1)

# --- version
# tr -d '\r': a Windows console program ends its lines with CR LF.
if out=$("$exe" --version 2>&1 | tr -d '\r') && [ "$out" = "screenpop $expected_version" ]; then
    pass version "$out"
else
    fail version "expected 'screenpop $expected_version', got: ${out:-nothing}"
fi

# --- self-test
names=(qt-platform keyring tls deepcall-sandbox local-socket field-mapping icons)
if out=$("$exe" --self-test 2>&1); then rc=0; else rc=$?; fi
out=$(printf '%s\n' "$out" | tr -d '\r')
echo "$out" | sed 's/^/    /'
got_names=$(echo "$out" | sed -n 's/^\(PASS\|FAIL\) \([a-z-]*\):.*/\2/p' | tr '\n' ' ')
if [ "$rc" -eq 0 ] && [ "$got_names" = "${names[*]} " ] \
        && [ "$(echo "$out" | grep -c '^PASS ')" -eq "${#names[@]}" ]; then
    pass self-test "all ${#names[@]} checks pass"
else
    fail self-test "exit $rc, checks seen: ${got_names:-none}"
fi

# --- commands: the words app/cli.py routes (its COMMANDS table) and the app itself
words=$(sed -n '/^COMMANDS = {/,/^}/s/^ *"\([a-z-]*\)":.*/\1/p' "$repo/app/cli.py")
missing=()
for word in "" $words; do
    # shellcheck disable=SC2086 # the empty word is the app (gui) itself
    "$exe" $word --help >/dev/null 2>&1 || missing+=("${word:-gui}")
done
if [ "${#missing[@]}" -eq 0 ]; then
    pass commands "every command answers --help"
else
    fail commands "no help from: ${missing[*]}"
fi

# --- pop (cold: starts the frozen app) and state until found
app_pid_from_lock() { head -n 1 "$profile/screenpop.lock" 2>/dev/null | tr -d '\r' || true; }
# The lock holds the app's own PID (a Windows PID on Windows, which Git Bash's kill cannot
# address: tasklist/taskkill can).
is_running() {
    if [ "$os" = windows ]; then tasklist //FI "PID eq $1" //NH 2>/dev/null | grep -qw "$1"
    else kill -0 "$1" 2>/dev/null; fi
}
stop_app() {
    if [ "$os" = windows ]; then
        # No SIGTERM there, and closing its window only hides it in the tray: end it.
        taskkill //F //T //PID "$app_pid" >/dev/null 2>&1 || true
    else
        kill -TERM "$app_pid" 2>/dev/null || true  # the app's quit path (outbox, store, HTTP)
    fi
    for _ in $(seq 100); do  # up to 10 s
        is_running "$app_pid" || { app_pid=""; return 0; }
        sleep 0.1
    done
    return 1
}
state_status() {
    "$exe" state --profile "$profile" --timeout 5 2>/dev/null \
        | tr -d '\r' | sed -n 's/^  "status": *"\([a-z]*\)".*/\1/p'  # top level (indent 2)
}

start=$(now_ms)
if out=$("$exe" pop --demo --profile "$profile" --source check-frozen 9876543210 2>&1); then
    popped=$(now_ms)
    pass pop "$out"
else
    fail pop "exit $?: $out"
fi
status=""
for _ in $(seq 200); do   # up to 20 s: a cold start on a loaded CI machine
    status=$(state_status)
    case "$status" in found | unknown | error) break ;; esac
    sleep 0.1
done
first_state=$(now_ms)
# Read whole, then searched: `state | grep -q` under pipefail fails when grep stops reading
# before state has written all of its JSON (SIGPIPE, or a BrokenPipeError in the app).
if [ "$status" = found ] && grep -q "Aarav" <<<"$("$exe" state --profile "$profile")"; then
    pass state "found Aarav Mehta; start to found $((first_state - start)) ms"
else
    fail state "status ${status:-none} (launch log: $(tail -n 3 "$profile/logs/launch.log" 2>/dev/null))"
fi
app_pid=$(app_pid_from_lock)

# --- timings of the warm commands, and the Qt-free proof
time_ms() {  # the median of 9 runs of a command, in ms
    local runs=() t
    for _ in 1 2 3 4 5 6 7 8 9; do
        t=$(now_ms); "$@" >/dev/null 2>&1 || true; runs+=($(( $(now_ms) - t )))
    done
    printf '%s\n' "${runs[@]}" | sort -n | sed -n 5p
}
if [ -n "$app_pid" ]; then
    echo "TIME cold-pop-to-found: $((first_state - start)) ms (pop returned after $((${popped:-$start} - start)) ms)"
    echo "TIME warm-pop: $(time_ms "$exe" pop --profile "$profile" --no-start 9876543210) ms"
    echo "TIME state: $(time_ms "$exe" state --profile "$profile") ms"
fi

loaded_libraries() {  # the shared libraries a command loads, one per line (glibc)
    LD_DEBUG=libs "$@" 2>&1 >/dev/null | sed -n 's/.*calling init: //p'
}
if [ "$os" != linux ]; then
    # macOS ignores DYLD_PRINT_LIBRARIES for a signed hardened-runtime app (an empty trace
    # would "prove" anything); Windows has no loader trace. The same spec is proved on Linux.
    echo "SKIP qt-free: no loader trace to prove it with on $os (proved on Linux)"
elif [ -z "$app_pid" ]; then
    fail qt-free "no running app to pop into"
else
    pop_libraries=$(loaded_libraries "$exe" pop --profile "$profile" --no-start 9876543210)
    state_libraries=$(loaded_libraries "$exe" state --profile "$profile")
    qt_in_pop=$(grep -ci qtcore <<<"$pop_libraries" || true)
    qt_in_state=$(grep -ci qtcore <<<"$state_libraries" || true)
    app_has_qt=yes
    grep -qi qt6core "/proc/$app_pid/maps" || app_has_qt=no
    if [ -z "$pop_libraries" ] || [ -z "$state_libraries" ]; then
        fail qt-free "LD_DEBUG traced no library: nothing proved"
    elif [ "$qt_in_pop" -eq 0 ] && [ "$qt_in_state" -eq 0 ] && [ "$app_has_qt" = yes ]; then
        pass qt-free "pop and state load no QtCore (the app does)"
    else
        fail qt-free "QtCore loaded by pop: $qt_in_pop, by state: $qt_in_state; app has it: $app_has_qt"
    fi
fi

# --- quit
if [ -z "$app_pid" ]; then
    fail quit "no app was started"
elif stop_app; then
    if "$exe" state --profile "$profile" >/dev/null 2>&1; then rc=0; else rc=$?; fi
    if [ "$rc" -eq 3 ]; then pass quit "the app ended; state says not running"
    else fail quit "state exit $rc after the app ended"; fi
else
    fail quit "the app did not end within 10 s of SIGTERM"
fi

# --- child-env: a real profile (no demo) popped by `event ringing`; its program's environment
child_env_check() {
    local real="$profile/child-env" env_app_pid rc bundle token user_id url="" out dump began
    local problems=()
    began=$(now_ms)
    bundle=$(cd "$(dirname "$exe")" && pwd -P)
    mkdir -p "$env_profile" "$real/out"
    # The demo account's published token (valid only against the sandbox): read, never shown.
    token=$(sed -n 's/^DEMO_TOKEN = "\(.*\)"$/\1/p' "$repo/app/sandbox/accounts.py")
    user_id=$(sed -n 's/^DEMO_USER_ID = "\(.*\)"$/\1/p' "$repo/app/sandbox/accounts.py")
    if [ -z "$token" ] || [ -z "$user_id" ]; then
        fail child-env "no demo account found in app/sandbox/accounts.py"; return
    fi
    "$exe" sandbox --port 0 </dev/null >"$real/sandbox.out" 2>&1 &
    sandbox_pid=$!
    for _ in $(seq 100); do  # up to 10 s
        url=$(sed -n 's/^DeepCall sandbox listening on \(http[^ ]*\)$/\1/p' "$real/sandbox.out")
        [ -n "$url" ] && break
        kill -0 "$sandbox_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$url" ]; then
        fail child-env "the frozen sandbox did not start: $(tail -n 2 "$real/sandbox.out")"; return
    fi
    printf '#!/bin/sh\nenv >"%s/env.part" && mv "%s/env.part" "%s/env"\n' \
        "$real/out" "$real/out" "$real/out" >"$real/dump-env"
    chmod +x "$real/dump-env"
    printf '[General]\nbrand_url=%s\nauth_mode=token\nuser_id=%s\nrun_program=%s\n%s\n' \
        "$url" "$user_id" "$real/dump-env" "run_program_on=ringing" >"$env_profile/settings.ini"
    # What a user's softphone agent might have set: the program must get exactly these back.
    # In the background, so an interrupted run's trap can wait for it (see cleanup).
    DEEPCALL_TOKEN=$token LD_LIBRARY_PATH=/opt/agent-libs QT_PLUGIN_PATH=/opt/agent-plugins \
        "$exe" event ringing --call-id c1 --number 9876543210 --source check-frozen \
        --profile "$env_profile" </dev/null >"$real/event.out" 2>&1 &
    event_pid=$!
    if wait "$event_pid"; then rc=0; else rc=$?; fi
    event_pid=""
    out=$(cat "$real/event.out")
    if [ "$rc" -ne 0 ]; then
        fail child-env "event ringing failed (exit $rc): $out"; return
    fi
    dump="$real/out/env"
    for _ in $(seq 100); do  # up to 10 s
        [ -f "$dump" ] && break
        sleep 0.1
    done
    env_app_pid=$(head -n 1 "$env_profile/screenpop.lock" 2>/dev/null || true)
    if [ -n "$env_app_pid" ]; then  # its own quit path, as for the demo app above
        kill -TERM "$env_app_pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$env_app_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$env_app_pid" 2>/dev/null || true
    fi
    rm -rf "$env_profile"  # its lock names a PID that is no longer the app's
    kill -TERM "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
    sandbox_pid=""
    if [ ! -f "$dump" ]; then
        fail child-env "the program on ringing never ran (was event's reply: $out)"
        return
    fi
    grep -q '^_PYI_\|^_MEIPASS2=' "$dump" && problems+=("PyInstaller's private variables")
    [ "$(grep '^LD_LIBRARY_PATH=' "$dump")" = "LD_LIBRARY_PATH=/opt/agent-libs" ] \
        || problems+=("an LD_LIBRARY_PATH not the caller's")
    [ "$(grep '^QT_PLUGIN_PATH=' "$dump")" = "QT_PLUGIN_PATH=/opt/agent-plugins" ] \
        || problems+=("a QT_PLUGIN_PATH not the caller's")
    grep -q '^[A-Z_]*_ORIG=' "$dump" && problems+=("a *_ORIG copy")
    # Not `_`: bash exports it to every command it runs as that command's own path (here
    # this script's `event` line); the app has it from its starter, not from the bundle.
    grep -v '^_=' "$dump" | grep -qF "$bundle" && problems+=("a path into the bundle")
    { grep -q '^DEEPCALL_' "$dump" || grep -qF -- "$token" "$dump"; } \
        && problems+=("the DeepCall token")
    if [ "${#problems[@]}" -eq 0 ]; then
        pass child-env "the program run on ringing got the caller's LD_LIBRARY_PATH and"\
" QT_PLUGIN_PATH, nothing of the bundle, no token ($(( $(now_ms) - began )) ms)"
    else
        local joined
        joined=$(printf '%s; ' "${problems[@]}")
        fail child-env "the program run on ringing got ${joined%; }"
    fi
}
if [ "$os" != linux ]; then
    echo "SKIP child-env: the loader variables checked are Linux's (child_env's rules for $os are unit-tested)"
else
    child_env_check
fi

if [ "${#failed[@]}" -gt 0 ]; then
    echo "check-frozen: FAILED: ${failed[*]}"
    exit 1
fi
echo "check-frozen: all passed"
