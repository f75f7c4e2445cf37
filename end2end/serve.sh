#!/bin/sh
# Started by Playwright (see playwright.config.ts): a fresh SQLite database with the demo
# township, served on the test port by the release binary, or by MINQING_E2E_BIN (`./x test`
# runs the binary its Rust test stage built, with the release build's hash.txt beside it),
# from target/site or MINQING_E2E_SITE; its data in .data or MINQING_E2E_DATA (a second run
# beside another).
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/.."
data="${MINQING_E2E_DATA:-$here/.data}"
rm -rf "$data"
mkdir -p "$data"
export DATABASE_URL="sqlite://$data/e2e.db"
bin="${MINQING_E2E_BIN:-$root/target/release/minqing}"
"$bin" seed-demo
# The log is also kept for no-panics.ts, which fails the run if the server panicked.
"$bin" serve --addr "127.0.0.1:${E2E_PORT:-3100}" --site-root "${MINQING_E2E_SITE:-$root/target/site}" 2>&1 | tee "$data/server.log"
