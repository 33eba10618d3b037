#!/usr/bin/env bash
# The system programs CardioRAG uses beside its Python packages: Tesseract with English data
# (OCR of scanned PDF pages) and chromium (the app's browser test). Run by `make install`.
# What is missing is installed with apt-get when this runs as root where apt-get exists;
# elsewhere the exact command for this OS is printed and the install goes on without it (the
# tests that need a missing program are skipped, naming the same command).
set -uo pipefail

apt_packages=()
brew_commands=()
if ! command -v tesseract >/dev/null || ! tesseract --list-langs 2>/dev/null | grep -qx eng; then
  apt_packages+=(tesseract-ocr tesseract-ocr-eng)
  brew_commands+=("brew install tesseract")
fi
if ! command -v chromium >/dev/null && [ ! -x /usr/bin/chromium ]; then
  apt_packages+=(chromium)
  brew_commands+=("brew install --cask chromium")
fi
[ ${#apt_packages[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${apt_packages[*]}"
  # A new machine's package lists are empty or old: update them before installing.
  if apt-get update -q >/dev/null \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${apt_packages[@]}" >/dev/null; then
    exit 0
  fi
  echo "apt-get could not install ${apt_packages[*]}" >&2
fi

echo "missing system packages; the tests that need them are skipped. To install them:" >&2
if [ "$(uname -s)" = Darwin ]; then
  for command in "${brew_commands[@]}"; do echo "  $command" >&2; done
elif command -v apt-get >/dev/null; then
  echo "  sudo apt-get install ${apt_packages[*]}" >&2
else
  echo "  Tesseract (with its English data) and chromium from this system's packages" >&2
fi
exit 0
