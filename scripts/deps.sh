#!/usr/bin/env bash
# Install the Debian packages given as arguments that are not installed yet (needs root), and
# Node.js for the end-to-end tests when `node` is missing.
set -euo pipefail
missing=()
for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
if ((${#missing[@]})); then
    echo "deps: installing ${missing[*]}" >&2
    if [[ $(id -u) -ne 0 ]]; then
        echo "deps: run as root, or install: ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
