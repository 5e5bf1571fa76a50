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

# Reproducible: sorted names, numeric owner 0, modes normalised (the build's umask and a
# group-writable checkout must not leak in), one timestamp: the last commit's. No silent
# "now": an archive made outside a git checkout must be given SOURCE_DATE_EPOCH.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git -c safe.directory="$PWD" log -1 --format=%ct 2>/dev/null) || true
fi
case ${SOURCE_DATE_EPOCH:-} in
    "" | *[!0-9]*)
        echo "make-tarball: no commit time from git here; set SOURCE_DATE_EPOCH" >&2
        exit 1 ;;
esac
# xz -9 -T1 against -9e -T1 (BENCHMARKS.md): the extreme preset took far longer for a few
# hundred kB, so the plain -9 stays; single-threaded, since threads split the stream.
tar --sort=name --owner=0 --group=0 --numeric-owner --mode='u+rwX,go+rX,go-w' \
    --mtime="@$SOURCE_DATE_EPOCH" \
    -C "$staging" -cf - screenpop screenpop.desktop install.sh \
    | xz -9 -T1 > "$archive.tmp"
mv "$archive.tmp" "$archive"
echo "$(pwd)/$archive"
