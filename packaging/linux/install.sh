#!/usr/bin/env bash
# Installs DeepCall Screen-Pop for the current user (no root): the bundle beside this script
# is copied to ~/.local/share/deepcall-screenpop/versions/<version>-<time>, a `current` link
# is switched to it, `screenpop` is linked into ~/.local/bin, the menu entry and icon are
# installed and the app becomes the tel: and callto: handler.
#   ./install.sh              install or update (a running app is not stopped, and keeps working)
#   ./install.sh --uninstall  remove all of it (the profile with settings and history stays)
#
# Why versions: a running bundle reopens its own files by name on every lazy import, so an
# update must never delete or overwrite the folder a running app came from. Each install goes
# into a new folder, `current` is switched in one rename, and an older folder is deleted only
# once no process runs an executable inside it (a later install or --uninstall removes it).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
mimeapps=${XDG_CONFIG_HOME:-$HOME/.config}/mimeapps.list
root=$data_home/deepcall-screenpop
versions=$root/versions
current=$root/current
exe=$current/screenpop
bin_dir=$HOME/.local/bin
desktop_name=screenpop.desktop
desktop_file=$data_home/applications/$desktop_name
icon_file=$data_home/icons/hicolor/scalable/apps/deepcall-screenpop.svg
schemes=(x-scheme-handler/tel x-scheme-handler/callto)

# $1: what the user sees without the menu cache refreshed now (the desktop rebuilds it at the
# next login). Links do not wait for it: the tel:/callto: defaults are read from mimeapps.list.
refresh_menus() {
    if command -v update-desktop-database >/dev/null; then
        update-desktop-database -q "$data_home/applications" || true
    else
        echo "(update-desktop-database is not installed: $1)"
    fi
}

# The executables of all running processes this user may see (a deleted one ends " (deleted)").
running_executables() {
    find /proc -mindepth 2 -maxdepth 2 -name exe -printf '%l\n' 2>/dev/null || true
}

# True when a running process's executable is one of the paths given, or lies below one
# that is a folder.
in_use() {
    local path running real patterns=()
    for path in "$@"; do
        [ -e "$path" ] || continue
        real=$(cd "$(dirname "$path")" && pwd -P)/${path##*/}
        if [ -d "$path" ]; then patterns+=("$real/"); else patterns+=("$real"); fi
    done
    [ "${#patterns[@]}" -gt 0 ] || return 1
    while IFS= read -r running; do
        for path in "${patterns[@]}"; do
            case $path in
                */) case $running in "$path"*) return 0 ;; esac ;;
                *) case $running in "$path" | "$path (deleted)") return 0 ;; esac ;;
            esac
        done
    done <<< "$(running_executables)"
    return 1
}

# Removes every installed version but $1 (none when empty) that nothing runs from, and the
# bundle of the layout before versions (directly in $root; the .new/.old copies beside it).
remove_unused() {
    local keep=$1 folder
    for folder in "$versions"/*/ "$root.new/" "$root.old/"; do
        folder=${folder%/}
        [ -d "$folder" ] && [ "${folder##*/}" != "$keep" ] || continue
        if in_use "$folder"; then echo "kept $folder: an app started from it still runs"
        else rm -rf "$folder"; fi
    done
    if [ -e "$root/_internal" ] || [ -f "$root/screenpop" ]; then
        if in_use "$root/_internal" "$root/screenpop"; then
            echo "kept the previous install in $root: its app still runs"
        else
            rm -rf "$root/_internal" "$root/screenpop"
        fi
    fi
}

# The Desktop Entry's Exec value for one program path: in double quotes, with " ` $ \ escaped
# by a backslash, then every backslash doubled (the file's string escaping), % doubled.
exec_quoted() {
    local text=$1
    text=${text//\\/\\\\}
    text=${text//\"/\\\"}
    text=${text//\`/\\\`}
    text=${text//\$/\\\$}
    text=${text//\\/\\\\}
    text=${text//%/%%}
    printf '"%s"' "$text"
}

# mimeapps.list with our two schemes in [Default Applications]: on install set to our desktop
# file, on uninstall our desktop file taken out of them (a line left empty goes). Every other
# line and group stays as it was.
write_mimeapps() {
    local mode=$1 line group="" added=no key value rest entry entries
    local tmp=$mimeapps.tmp.$$
    mkdir -p "$(dirname "$mimeapps")"
    {
        if [ -f "$mimeapps" ]; then
            while IFS= read -r line || [ -n "$line" ]; do
                case $line in "["*"]") group=$line ;; esac
                key=${line%%=*}
                key=${key// /}
                if [ "$group" = "[Default Applications]" ] && [ "$line" != "$group" ] \
                        && [[ " ${schemes[*]} " == *" $key "* ]] && [[ $line == *=* ]]; then
                    [ "$mode" = install ] && continue
                    value=${line#*=}
                    value=${value// /}
                    if [[ ";$value;" == *";$desktop_name;"* ]]; then
                        rest=""
                        IFS=';' read -ra entries <<< "$value"
                        for entry in "${entries[@]}"; do
                            [ -z "$entry" ] || [ "$entry" = "$desktop_name" ] || rest+="$entry;"
                        done
                        [ -z "$rest" ] || printf '%s=%s\n' "$key" "$rest"
                        continue
                    fi
                fi
                printf '%s\n' "$line"
                if [ "$line" = "[Default Applications]" ] && [ "$mode" = install ]; then
                    for key in "${schemes[@]}"; do printf '%s=%s\n' "$key" "$desktop_name"; done
                    added=yes
                fi
            done < "$mimeapps"
        fi
        if [ "$mode" = install ] && [ "$added" = no ]; then
            printf '[Default Applications]\n'
            for key in "${schemes[@]}"; do printf '%s=%s\n' "$key" "$desktop_name"; done
        fi
    } > "$tmp"
    mv "$tmp" "$mimeapps"
}

if [ "${1:-}" = --uninstall ]; then
    rm -f "$desktop_file" "$icon_file"
    if [ -L "$bin_dir/screenpop" ]; then rm -f "$bin_dir/screenpop"; fi
    if [ -f "$mimeapps" ]; then write_mimeapps uninstall; fi
    refresh_menus "the menus drop Screen-Pop at your next login"
    rm -f "$current"
    remove_unused ""
    rmdir "$versions" "$root" 2>/dev/null || true
    echo "DeepCall Screen-Pop removed (your profile and settings are kept)."
    exit 0
elif [ $# -gt 0 ]; then
    echo "usage: $0 [--uninstall]" >&2
    exit 2
fi

[ -x "$here/screenpop/screenpop" ] || {
    echo "install.sh: no bundle at $here/screenpop (run it from the unpacked tarball)" >&2
    exit 1
}

# The version from the bundle's package metadata (PyInstaller copies the .dist-info).
version=unknown
for info in "$here"/screenpop/_internal/deepcall_screenpop-*.dist-info; do
    [ -d "$info" ] && version=${info##*/deepcall_screenpop-} && version=${version%.dist-info}
done

# Copied under a temporary name, then renamed: a half-copied bundle is never `current`.
mkdir -p "$versions" "$bin_dir" "$(dirname "$desktop_file")" "$(dirname "$icon_file")"
incoming=$(mktemp -d "$versions/.incoming.XXXXXX")
trap 'rm -rf "$incoming" "$root/.current.$$"' EXIT
cp -a "$here/screenpop/." "$incoming/"
name=$version-$(date +%Y%m%dT%H%M%S.%N)
mv -T "$incoming" "$versions/$name"
# A new link renamed over the old one: `current` is never missing, not even for a moment.
ln -sfn "versions/$name" "$root/.current.$$"
mv -T "$root/.current.$$" "$current"

ln -sfn "$exe" "$bin_dir/screenpop"
cp "$current/_internal/resources/icons/app.svg" "$icon_file"

while IFS= read -r line || [ -n "$line" ]; do
    case $line in
        Exec=*) printf 'Exec=%s %%u\n' "$(exec_quoted "$exe")" ;;
        TryExec=*) printf 'TryExec=%s\n' "${exe//\\/\\\\}" ;;  # a string: only \ is escaped
        *) printf '%s\n' "$line" ;;
    esac
done < "$here/screenpop.desktop" > "$desktop_file.tmp"
mv "$desktop_file.tmp" "$desktop_file"
refresh_menus "the menus show Screen-Pop from your next login;"\
" tel: and callto: links open it already"

if command -v xdg-mime >/dev/null; then
    xdg-mime default "$desktop_name" "${schemes[@]}"
else
    # What xdg-mime would do on a desktop it does not know: the user's mimeapps.list.
    write_mimeapps install
fi
echo "tel: and callto: links now open DeepCall Screen-Pop."

remove_unused "$name"
echo "Installed in $versions/$name; start it from the menu or with: screenpop"
case ":$PATH:" in *":$bin_dir:"*) ;; *) echo "(add $bin_dir to your PATH to type screenpop)";; esac
