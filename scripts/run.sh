#!/usr/bin/env bash
# One command to run Telesono on embedded defaults: installs what is missing,
# builds, and starts the relay on https://127.0.0.1:8443 with a self-signed
# certificate and a generated secret in ./telesono-data. Extra arguments go
# to telesono-relay (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh release
cat >&2 <<'HINT'
run.sh: starting telesono-relay. Mint tokens (the secret appears on first start) with
  build/release/telesono-token --secret-file ./telesono-data/secret --room demo \
      --role capture|clinician|observer --sub NAME --ttl 3600
then publish with WHIP to https://127.0.0.1:8443/whip/demo and play with WHEP from
https://127.0.0.1:8443/whep/demo (Authorization: Bearer <token>). Ctrl-C stops it.
HINT
exec build/release/telesono-relay --data-dir ./telesono-data "$@"
