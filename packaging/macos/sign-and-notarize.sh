#!/usr/bin/env bash
# Signs the macOS app with the company's Developer ID (hardened runtime, secure timestamp),
# inside out, has Apple notarize it, staples the ticket and packs it with make-archive.sh.
#
#   packaging/macos/sign-and-notarize.sh "dist/DeepCall Screen-Pop.app" dist/screenpop-VERSION-macos-arm64.zip
#
# Everything secret or account-bound comes from the environment, never from arguments:
#   MACOS_SIGN_IDENTITY   the signing identity, "Developer ID Application: Company (TEAMID)"
#                         (or its SHA-1), in the login keychain or in MACOS_KEYCHAIN
#   MACOS_TEAM_ID         the Apple team id the signature must carry (checked after signing)
#   MACOS_NOTARY_PROFILE  a notarytool keychain profile, made once with
#                         `xcrun notarytool store-credentials PROFILE --key ... --key-id ... --issuer ...`
#                         (notarytool reads the credentials from the keychain itself: no
#                         password or key ever appears on a command line)
#   MACOS_KEYCHAIN        optional: the keychain file holding both (CI uses a temporary one)
#
# Always the same identity and bundle id: macOS's Keychain grants the app access to the
# agent's stored token by its code signature, so a stable signature is what keeps it from
# asking again after every update.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

missing=()
for name in MACOS_SIGN_IDENTITY MACOS_TEAM_ID MACOS_NOTARY_PROFILE; do
    [ -n "${!name:-}" ] || missing+=("$name")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "error: $0 takes its signing identity from the environment; not set: ${missing[*]}" >&2
    echo "(see the comment at the top of $0; for an unsigned build use make-archive.sh)" >&2
    exit 2
fi
if [ "$#" -ne 2 ]; then
    echo "usage: $0 APP_BUNDLE ARCHIVE.zip" >&2
    exit 2
fi
for tool in codesign xcrun ditto spctl; do
    if ! command -v "$tool" >/dev/null; then
        echo "error: $0 needs macOS's $tool (run it on macOS with Xcode's command line tools)" >&2
        exit 2
    fi
done
app=${1%/}
archive=$2
if [ ! -d "$app/Contents/MacOS" ]; then
    echo "error: $app is not an app bundle (no Contents/MacOS)" >&2
    exit 2
fi

# Written ${a[@]+"${a[@]}"} below: macOS's own bash 3.2 calls an empty array unbound under set -u.
# codesign and notarytool both take --keychain FILE.
keychain=()
if [ -n "${MACOS_KEYCHAIN:-}" ]; then
    keychain=(--keychain "$MACOS_KEYCHAIN")
fi

sign() {
    codesign --force --timestamp --options runtime --sign "$MACOS_SIGN_IDENTITY" \
        ${keychain[@]+"${keychain[@]}"} "$@"
}

# Deepest paths first: a container is signed after everything in it.
deepest_first() {
    awk -F/ '{ print NF "\t" $0 }' | sort -rn -k1,1 | cut -f2-
}

is_mach_o() {
    case $(od -An -tx1 -N4 "$1" 2>/dev/null | tr -d ' \n') in
        cffaedfe | cefaedfe | feedfacf | feedface | cafebabe | bebafeca | cafebabf) return 0 ;;
        *) return 1 ;;
    esac
}

echo "== signing the nested code (libraries, extension modules, helpers)"
main_executable="$app/Contents/MacOS"
count=0
while IFS= read -r file; do
    case $file in "$main_executable"/*) continue ;; esac
    if is_mach_o "$file"; then
        sign "$file"
        count=$((count + 1))
    fi
done < <(find "$app/Contents" -type f | deepest_first)
echo "signed $count files"

echo "== signing the nested frameworks"
while IFS= read -r framework; do
    signed_version=false
    for version in "$framework"/Versions/*; do
        # Versions/Current is a link to the real version: sign each real version once.
        if [ -d "$version" ] && [ ! -L "$version" ]; then
            sign "$version"
            signed_version=true
        fi
    done
    $signed_version || sign "$framework"
done < <(find "$app/Contents" -type d -name '*.framework' | deepest_first)

echo "== signing the app (entitlements on its main executable only)"
sign --entitlements "$here/entitlements.plist" "$app"
codesign --verify --strict --deep --verbose=2 "$app"
team=$(codesign --display --verbose=2 "$app" 2>&1 | sed -n 's/^TeamIdentifier=//p')
if [ "$team" != "$MACOS_TEAM_ID" ]; then
    echo "error: the app is signed for team '$team', not MACOS_TEAM_ID '$MACOS_TEAM_ID'" >&2
    exit 1
fi

echo "== notarizing (this waits for Apple's answer, usually a few minutes)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ditto -c -k --keepParent "$app" "$work/upload.zip"
set +e
xcrun notarytool submit "$work/upload.zip" --keychain-profile "$MACOS_NOTARY_PROFILE" \
    ${keychain[@]+"${keychain[@]}"} --wait --output-format json >"$work/result.json"
submitted=$?
set -e
cat "$work/result.json"
echo
status=$(sed -n 's/.*"status" *: *"\([^"]*\)".*/\1/p' "$work/result.json")
if [ "$submitted" -ne 0 ] || [ "$status" != "Accepted" ]; then
    id=$(sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p' "$work/result.json")
    echo "error: notarization ended with status '${status:-unknown}'" >&2
    if [ -n "$id" ]; then
        xcrun notarytool log "$id" --keychain-profile "$MACOS_NOTARY_PROFILE" \
            ${keychain[@]+"${keychain[@]}"} >&2 || true
    fi
    exit 1
fi

echo "== stapling the ticket (Gatekeeper then accepts the app offline)"
xcrun stapler staple "$app"
xcrun stapler validate "$app"
spctl --assess --type execute --verbose=2 "$app"

"$here/make-archive.sh" "$app" "$archive"
