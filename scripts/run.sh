#!/usr/bin/env bash
# One command to run Telesono on embedded defaults: installs what is missing,
# builds, and starts the relay on https://127.0.0.1:8443 with a self-signed
# certificate and a generated secret in ./telesono-data. Extra arguments go
# to telesono-relay (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh release
exec build/release/telesono-relay --data-dir ./telesono-data "$@"
