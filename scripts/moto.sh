# moto, the S3-compatible server the storage tests and the upload benchmark talk to:
# installed from PyPI into .venv-moto/ on first use, started on a free 127.0.0.1
# port. Source this file, then `start_moto` (exports TEST_S3_ENDPOINT; returns
# non-zero when moto cannot be installed or started); it stops on exit.

MOTO_VENV=.venv-moto
moto_pid=""
moto_log=""
stop_moto() {
  if [[ -n "$moto_pid" ]]; then kill "$moto_pid" 2>/dev/null || true; fi
  if [[ -n "$moto_log" ]]; then rm -f "$moto_log"; fi
}
trap stop_moto EXIT

start_moto() {
  if [[ ! -x "$MOTO_VENV/bin/moto_server" ]]; then
    echo "installing moto[server] into $MOTO_VENV"
    python3 -m venv "$MOTO_VENV" || return 1
    "$MOTO_VENV/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.*' || return 1
  fi
  local port
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  moto_log="$(mktemp "${TMPDIR:-/tmp}/genworker-moto.XXXXXX")"
  "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$moto_log" 2>&1 &
  moto_pid=$!
  for _ in $(seq 1 100); do
    if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/', timeout=1)" 2>/dev/null; then
      export TEST_S3_ENDPOINT="http://127.0.0.1:$port"
      echo "moto S3 server at $TEST_S3_ENDPOINT"
      return 0
    fi
    kill -0 "$moto_pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "moto did not start; its log:" >&2
  cat "$moto_log" >&2
  return 1
}
