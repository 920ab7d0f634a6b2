#!/usr/bin/env bash
# Builds the TLS floor server (tls-floor-echo.c, OpenSSL 3 from libssl-dev) with -O2 and prints
# its path: ${TLS_FLOOR:-/tmp/eventloop-tls-floor-echo}.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${TLS_FLOOR:-/tmp/eventloop-tls-floor-echo}"
cc -O2 -Wall -Wextra -Werror -o "$out" "$here/tls-floor-echo.c" $(pkg-config --cflags --libs openssl)
echo "$out"
