#!/usr/bin/env bash
# Packs a macOS app bundle into a zip that keeps its symbolic links (the Qt frameworks are
# made of them: a zip that follows links doubles them in size and breaks their signature).
#   packaging/macos/make-archive.sh "dist/DeepCall Screen-Pop.app" dist/screenpop-0.1.0-macos-arm64.zip
# Used for the signed app (by sign-and-notarize.sh) and for an unsigned build alike.
set -euo pipefail

if [ "$#" -ne 2 ]; then
    echo "usage: $0 APP_BUNDLE ARCHIVE.zip" >&2
    exit 2
fi
app=$1
archive=$2
if ! command -v ditto >/dev/null; then
    echo "error: $0 needs macOS's ditto (run it on macOS)" >&2
    exit 2
fi
if [ ! -d "$app/Contents/MacOS" ]; then
    echo "error: $app is not an app bundle (no Contents/MacOS)" >&2
    exit 2
fi

rm -f "$archive"
# The form Apple's notarization guide uses: --keepParent puts the .app itself in the zip.
ditto -c -k --keepParent "$app" "$archive"

# Prove the links survived: unpack and count them against the bundle's.
check=$(mktemp -d)
trap 'rm -rf "$check"' EXIT
ditto -x -k "$archive" "$check"
unpacked="$check/$(basename "$app")"
want=$(find "$app" -type l | wc -l | tr -d ' ')
got=$(find "$unpacked" -type l | wc -l | tr -d ' ')
if [ "$want" != "$got" ]; then
    echo "error: $archive holds $got symbolic links, the bundle $want: the archive is not faithful" >&2
    exit 1
fi
size=$(wc -c <"$archive" | tr -d ' ')
echo "$archive: $size bytes ($want symbolic links kept)"
