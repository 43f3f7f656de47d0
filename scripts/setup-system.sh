#!/usr/bin/env bash
# Installs the Debian packages kinerja needs, only when something is missing, so a second
# `make setup` is quick and changes nothing.
set -euo pipefail
# chromium: the review page is tested in a real headless browser. gcc and python3-dev: mypyc
# compiles the repair's hot modules (lexicon/compiled.py).
APT_PACKAGES=(tesseract-ocr tesseract-ocr-ind tesseract-ocr-eng poppler-utils chromium python3-venv
  gcc python3-dev)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# python3-venv only matters for Debian's own python3; a python3 that already has venv is enough.
if python3 -c 'import venv, ensurepip' 2>/dev/null; then
  missing=("${missing[@]/python3-venv}")
fi
# Likewise python3-dev: a python3 with its C headers (pyenv's, a venv's) needs no package, nor
# does a machine with a C compiler other than Debian's gcc package.
if python3 -c 'import os, sysconfig; os.stat(sysconfig.get_paths()["include"] + "/Python.h")' 2>/dev/null; then
  missing=("${missing[@]/python3-dev}")
fi
if command -v cc >/dev/null; then
  missing=("${missing[@]/gcc}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "kinerja needs these Debian packages: ${missing[*]}" >&2
  echo "run as root, or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
