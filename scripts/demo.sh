#!/usr/bin/env bash
# Runs the product on this machine: sets up, then starts the tool, a render node, the reference LTI
# platform and the DingTalk simulator, submits the sample lesson through the API and follows it live;
# everything keeps running (admin pages, API, both simulators) until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

export VT_DATABASE_URL=${VT_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/virtual_tutor}
export VT_TOOL_PORT=${VT_TOOL_PORT:-3000}
export VT_PUBLIC_URL=${VT_PUBLIC_URL:-http://127.0.0.1:$VT_TOOL_PORT}
export VT_MEDIA_DIR=${VT_MEDIA_DIR:-$(pwd)/data/media}
# DingTalk is the DingTalk API simulator here (DingTalk itself cannot be reached from a demo machine).
export VT_DEMO_DINGTALK_PORT=${VT_DEMO_DINGTALK_PORT:-4100}
dingtalk=http://127.0.0.1:$VT_DEMO_DINGTALK_PORT
export VT_DINGTALK_OAPI_URL=$dingtalk VT_DINGTALK_API_URL=$dingtalk VT_DINGTALK_LOGIN_URL=$dingtalk
export VT_DINGTALK_JSAPI_URL=$dingtalk/jsapi/dingtalk.open.js
db=${VT_DATABASE_URL##*/}
psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 ||
  psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE \"$db\""

# An administrator for the admin pages: the password is made here once and kept in data/.
mkdir -p data out/demo
[ -s data/admin-password ] || (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >data/admin-password)
VT_ADMIN_PASSWORD=$(cat data/admin-password) node dist/lti-tool/src/cli/vt-tool.js admin admin >/dev/null
echo "admin pages: $VT_PUBLIC_URL/admin  (user admin, password in data/admin-password)"

espeak-ng -v en-us -s 150 -w out/demo/voice.wav -f samples/lesson-en.txt
node scripts/demo-farm.mjs out/demo/voice.wav samples/trainer-portrait.jpg
