#!/usr/bin/env bash
# Packs the built bundle as dist/screenpop-<version>-linux-x86_64.tar.xz holding screenpop/
# (the onedir), screenpop.desktop and install.sh; prints the archive's path.
# Usage: packaging/linux/make-tarball.sh   (after packaging/build-bundle.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."

bundle=dist/screenpop
[ -x "$bundle/screenpop" ] || { echo "make-tarball: build the bundle first ($bundle)" >&2; exit 1; }
version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' pyproject.toml | head -n 1)
archive=dist/screenpop-$version-linux-$(uname -m).tar.xz

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
cp -a "$bundle" "$staging/screenpop"
cp packaging/linux/screenpop.desktop packaging/linux/install.sh "$staging/"
chmod 755 "$staging/install.sh"

# Reproducible: sorted names, no owner, one timestamp (the last commit's, else now).
mtime=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
# -9e single-threaded: the smallest archive (threads split the stream into blocks).
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" \
    -C "$staging" -cf - screenpop screenpop.desktop install.sh \
    | xz -9e -T1 > "$archive.tmp"
mv "$archive.tmp" "$archive"
echo "$(pwd)/$archive"
