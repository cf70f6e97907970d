#!/usr/bin/env bash
# Installs the Debian packages the project needs (libzbar0 for pyzbar) when it can,
# and says plainly what is missing when it cannot (not root, no apt).
set -euo pipefail

missing=()
ldconfig -p 2>/dev/null | grep -q 'libzbar\.so\.0' || missing+=(libzbar0)

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
