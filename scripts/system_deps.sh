#!/usr/bin/env bash
# Installs the Debian packages the project needs when it can, and says plainly
# what is missing when it cannot (not root, no apt):
#   libzbar0  the zbar library pyzbar loads (scanner image pipeline)
#   chromium  the browser the wallet's tests drive (never a downloaded one)
#   xvfb      a virtual screen for the till window's tests
#   faketime  libfaketime, for the suite at moved dates (make test-dates)
#   fonts-dejavu-core  the Unicode font embedded in shop statements (PDF)
set -euo pipefail

missing=()
ldconfig -p 2>/dev/null | grep 'libzbar\.so\.0' >/dev/null || missing+=(libzbar0)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v Xvfb >/dev/null || missing+=(xvfb)
compgen -G '/usr/lib/*/faketime/libfaketimeMT.so.1' >/dev/null || missing+=(faketime)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing system packages: ${missing[*]}" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
elif command -v sudo >/dev/null && command -v apt-get >/dev/null && sudo -n true 2>/dev/null; then
    echo "installing system packages with sudo: ${missing[*]}" >&2
    sudo apt-get update -qq >/dev/null
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "missing system packages: ${missing[*]}" >&2
    echo "install them with your package manager (Debian/Ubuntu: apt-get install ${missing[*]})," >&2
    echo "then run make again." >&2
    exit 1
fi
