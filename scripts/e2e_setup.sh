#!/usr/bin/env bash
# Set-up for `make e2e`: Debian's Chromium and the Python playwright package.
#
# The browser tests drive /usr/bin/chromium (Debian's package) through Playwright for Python.
# No browser is downloaded: `playwright install` is never run; the tests launch Chromium with
# executable_path=/usr/bin/chromium. Chromium is installed with apt-get only when it is
# missing (needs root); the playwright package comes from requirements-dev.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM="${BEAT_E2E_CHROMIUM:-/usr/bin/chromium}"

if [ ! -x "$CHROMIUM" ]; then
  if [ "$CHROMIUM" != /usr/bin/chromium ]; then
    echo "e2e-setup: BEAT_E2E_CHROMIUM=$CHROMIUM is not an executable" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "e2e-setup: /usr/bin/chromium is missing and there is no apt-get to install it;" \
      "install Chromium and set BEAT_E2E_CHROMIUM to its path" >&2
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      SUDO="sudo -n"
    else
      echo "e2e-setup: installing Chromium needs root (apt-get install chromium)" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists only when apt does not know a chromium to install.
  # (Captured first: with pipefail, grep -q closing the pipe early would fail the test.)
  policy="$(apt-cache policy chromium 2>/dev/null || true)"
  if ! grep -q 'Candidate: [0-9]' <<<"$policy"; then
    echo "e2e-setup: apt-get update"
    $SUDO apt-get update -qq
  fi
  echo "e2e-setup: installing Debian's chromium with apt-get"
  $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
fi
echo "e2e-setup: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"

# requirements-dev.txt pins playwright; `make .venv/.installed-dev` installs it with the rest
# (`make e2e` has already run it; this is for running the script on its own).
if ! .venv/bin/python -c 'import playwright' 2>/dev/null; then
  make --no-print-directory .venv/.installed-dev
  .venv/bin/python -c 'import playwright' 2>/dev/null || .venv/bin/pip install --quiet -r requirements-dev.txt
fi
pw_version="$(.venv/bin/python -m pip show playwright 2>/dev/null | sed -n 's/^Version: //p')"
echo "e2e-setup: playwright ${pw_version:-?} (driving $CHROMIUM; no browser download)"
