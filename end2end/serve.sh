#!/bin/sh
# Started by Playwright (see playwright.config.ts): a fresh SQLite database with the demo
# township, served by the release binary on the test port.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/.."
data="$here/.data"
rm -rf "$data"
mkdir -p "$data"
export DATABASE_URL="sqlite://$data/e2e.db"
"$root/target/release/minqing" seed-demo
exec "$root/target/release/minqing" serve --addr "127.0.0.1:${E2E_PORT:-3100}" --site-root "$root/target/site"
