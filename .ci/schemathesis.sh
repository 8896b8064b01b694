#!/usr/bin/env bash
# schemathesis against the RevDesk mock: every check, positive and negative data, bounded
# (--max-examples, and a hard 240 s limit on the run). Installs the pinned schemathesis into a
# venv under target/ when absent, builds the mock in release, starts it on a free port of
# 127.0.0.1, runs, stops the mock (trap) and exits non-zero on any failure.
# Extra arguments go to `schemathesis run` (e.g. --seed N to replay a run).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
venv=$target/schemathesis-venv
req=.ci/requirements-schemathesis.txt
want=$(sed -n 's/^schemathesis==//p' "$req")
st=$venv/bin/schemathesis

if ! "$st" --version 2>/dev/null | grep -qx "schemathesis, version $want"; then
  echo "== installing schemathesis $want into $venv (pip install -r $req)"
  python3 -m venv "$venv"
  timeout 600 "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
fi

echo "== cargo build --release -p revdesk-mock"
cargo build --release -p revdesk-mock

log=$(mktemp)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -f "$log"
}
trap cleanup EXIT
# Port 0: the kernel picks a free port; the mock prints the address it bound.
"$target/release/revdesk-mock" --listen 127.0.0.1:0 --token test >"$log" 2>&1 &
pid=$!
addr=
for _ in $(seq 1 100); do
  addr=$(sed -n 's|^revdesk-mock listening on http://\(127\.0\.0\.1:[0-9]*\)$|\1|p' "$log")
  [ -n "$addr" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "error: the mock exited"; exit 1; }
  sleep 0.1
done
[ -n "$addr" ] || { cat "$log"; echo "error: the mock printed no address within 10 s"; exit 1; }
echo "== revdesk-mock (pid $pid) on http://$addr"

echo "== schemathesis run (all checks, positive and negative data)"
mkdir -p "$target/schemathesis"
# Hypothesis keeps its own files (unicode tables, constants) out of the work tree too.
export HYPOTHESIS_STORAGE_DIRECTORY=$target/schemathesis/hypothesis
timeout 240 "$st" --config-file .ci/schemathesis.toml run spec/openapi.json \
  --url "http://$addr" \
  --header 'Authorization: Bearer test' \
  --checks all \
  --mode all \
  --max-examples 2000 \
  --continue-on-failure \
  --generation-database none \
  --report junit \
  --report-junit-path "$target/schemathesis/junit.xml" \
  --no-color \
  "$@"
