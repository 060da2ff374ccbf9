#!/usr/bin/env bash
# The whole test suite: lint, typecheck, unit, integration against the embedded ClickHouse, and browser end-to-end in
# Chromium. Installs what the tests need first (Debian's chromium; Playwright cannot download its own
# browser here), so `npm install && npm test` works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium for the browser tests..."
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

echo "== build and pack the instrumentation package"
npm run pack:instrumentation

echo "== lint (layers: imports point down the data path)"
npm run lint

echo "== typecheck"
npx tsc --noEmit

echo "== unit and integration tests (vitest)"
npx vitest run

echo "== browser end-to-end tests (playwright, chromium)"
npx playwright test -c e2e/playwright.config.ts
