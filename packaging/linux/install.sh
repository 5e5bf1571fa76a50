#!/usr/bin/env bash
# Installs DeepCall Screen-Pop for the current user (no root): the bundle beside this script
# is copied to ~/.local/share/deepcall-screenpop, `screenpop` is linked into ~/.local/bin,
# the menu entry and icon are installed and the app becomes the tel: and callto: handler.
#   ./install.sh              install or update (the running app is not stopped)
#   ./install.sh --uninstall  remove all of it (the profile with settings and history stays)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
target=$data_home/deepcall-screenpop
bin_dir=$HOME/.local/bin
desktop_file=$data_home/applications/screenpop.desktop
icon_file=$data_home/icons/hicolor/scalable/apps/deepcall-screenpop.svg
schemes=(x-scheme-handler/tel x-scheme-handler/callto)

refresh_menus() {
    if command -v update-desktop-database >/dev/null; then
        update-desktop-database -q "$data_home/applications" || true
    fi
}

if [ "${1:-}" = --uninstall ]; then
    rm -rf "$target" "$desktop_file" "$icon_file"
    if [ -L "$bin_dir/screenpop" ]; then rm -f "$bin_dir/screenpop"; fi
    refresh_menus
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

# Copy beside the old version, then swap: a half-copied bundle never replaces a working one.
mkdir -p "$data_home" "$bin_dir" "$(dirname "$desktop_file")" "$(dirname "$icon_file")"
rm -rf "$target.new"
cp -a "$here/screenpop" "$target.new"
rm -rf "$target.old"
if [ -e "$target" ]; then mv "$target" "$target.old"; fi
mv "$target.new" "$target"
rm -rf "$target.old"
exe=$target/screenpop

ln -sfn "$exe" "$bin_dir/screenpop"
cp "$target/_internal/resources/icons/app.svg" "$icon_file"

# Exec takes a quoted path (a home folder with a space); inside the quotes the Desktop Entry
# spec escapes " ` $ \ with a backslash, and the file's string syntax doubles each backslash.
quoted=$(printf '%s' "$exe" | sed -e 's/[\\"`$]/\\&/g' -e 's/\\/\\\\/g')
sed -e "s|^Exec=.*|Exec=\"${quoted//|/\\|}\" %u|" \
    -e "s|^TryExec=.*|TryExec=${exe//|/\\|}|" \
    "$here/screenpop.desktop" > "$desktop_file.tmp"
mv "$desktop_file.tmp" "$desktop_file"
refresh_menus

if command -v xdg-mime >/dev/null; then
    xdg-mime default screenpop.desktop "${schemes[@]}"
    echo "tel: and callto: links now open DeepCall Screen-Pop."
else
    echo "install.sh: xdg-mime not found (package xdg-utils): tel: links are not registered;" \
         "choose DeepCall Screen-Pop for them in your desktop's default-apps settings." >&2
fi
echo "Installed in $target; start it from the menu or with: screenpop"
case ":$PATH:" in *":$bin_dir:"*) ;; *) echo "(add $bin_dir to your PATH to type screenpop)";; esac
