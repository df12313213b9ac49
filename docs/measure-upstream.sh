#!/usr/bin/env bash
# Measures how PDUDaemon (Debian's `pdudaemon` package, /usr/sbin/pdudaemon) and pdud answer the
# same requests, side by side, on loopback only. Each daemon gets the same JSON config: local
# command PDUs that append "<seconds since the request> <pdu> <outlet> <on|off>" to a file, one
# PDU whose command fails, and one Tasmota PDU whose device refuses every connection.
#
#   apt-get install -y pdudaemon curl    # the upstream daemon this compares with
#   docs/measure-upstream.sh             # from the repository root; about 3 minutes
#
# Every request is bounded (curl --max-time, timeout), both daemons are stopped on exit, and
# nothing listens beyond 127.0.0.1. The output is the table quoted in docs/upstream-differences.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
UPSTREAM=${UPSTREAM:-/usr/sbin/pdudaemon}
DENO=${DENO:-deno}
[ -x "$UPSTREAM" ] || {
  echo "needs $UPSTREAM (apt-get install pdudaemon)" >&2
  exit 2
}

WORK=$(mktemp -d /tmp/pdud-measure.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
now() { date +%s.%N; }

# A closed port for the Tasmota PDU: bound and released, so connections to it are refused.
DEAD=$(free_port)

# What the local PDUs run: "rec FILE OUTLET on|off" appends "<seconds since the request> cmd
# OUTLET on|off" to FILE (a script, since upstream formats cmd_on with Python's %).
cat >"$WORK/rec" <<'REC'
#!/bin/sh
echo "$(echo "$(date +%s.%N) - $(cat "$(dirname "$0")/t0")" | bc) cmd $2 $3" >>"$1"
REC
chmod +x "$WORK/rec"

# $1 = config file, $2 = port, $3 = listener, $4 = the file the commands append to.
write_config() {
  cat >"$1" <<EOF
{
  "daemon": {"hostname": "127.0.0.1", "port": $2, "listener": "$3", "logging_level": "DEBUG"},
  "pdus": {
    "cmd": {
      "driver": "localcmdline",
      "cmd_on": "$WORK/rec $4 %s on",
      "cmd_off": "$WORK/rec $4 %s off"
    },
    "failcmd": {"driver": "localcmdline", "cmd_on": "exit 3", "cmd_off": "exit 3"},
    "127.0.0.1:$DEAD": {"driver": "sonoff_s20_tasmota"}
  },
  "aliases": {}
}
EOF
}

wait_port() {
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$1" >&2
  return 1
}

# Starts a daemon: $1 = name (upstream|pdud), $2 = listener. Sets PORT and LOG.
start() {
  PORT=$(free_port)
  LOG=$WORK/$1-$2.pdu
  : >"$LOG"
  write_config "$WORK/$1-$2.conf" "$PORT" "$2" "$LOG"
  if [ "$1" = upstream ]; then
    "$UPSTREAM" --conf "$WORK/$1-$2.conf" >"$WORK/$1-$2.log" 2>&1 &
  else
    (cd "$ROOT" && exec "$DENO" run -A main.ts --conf "$WORK/$1-$2.conf") \
      >"$WORK/$1-$2.log" 2>&1 &
  fi
  PIDS+=($!)
  DAEMON_PID=$!
  wait_port "$PORT"
  # The connection wait_port opened is a request to upstream's TCP listener; let it pass.
  sleep 0.5
}

stop() {
  kill "$DAEMON_PID" 2>/dev/null || true
  wait "$DAEMON_PID" 2>/dev/null || true
}

# One HTTP request: prints "status, seconds, body" and what the commands did, in seconds since
# the request was sent.
http() {
  : >"$LOG"
  now >"$WORK/t0"
  local out
  out=$(curl -s --max-time 60 -o "$WORK/body" -w '%{http_code} %{time_total}' "$@" || true)
  sleep "${SETTLE:-0.2}"
  printf '%s | %-4s %5.1fs %-60.60s | %s\n' "$NAME" "${out% *}" "${out#* }" \
    "$(tr '\n' ' ' <"$WORK/body")" "$(awk '{printf "%s@%.1fs ", $4, $1}' "$LOG")"
}

scenarios() {
  local base="http://127.0.0.1:$PORT/power/control"
  echo "-- on, no delay"
  http "$base/on?hostname=cmd&port=1"
  echo "-- on, delay=2"
  http "$base/on?hostname=cmd&port=1&delay=2"
  echo "-- reboot, no delay"
  http "$base/reboot?hostname=cmd&port=1"
  echo "-- reboot, delay=0"
  http "$base/reboot?hostname=cmd&port=1&delay=0"
  echo "-- reboot, delay= (empty)"
  http "$base/reboot?hostname=cmd&port=1&delay="
  echo "-- reboot, delay=abc"
  http "$base/reboot?hostname=cmd&port=1&delay=abc"
  echo "-- on, port=abc"
  http "$base/on?hostname=cmd&port=abc"
  echo "-- on, unknown PDU"
  http "$base/on?hostname=nosuchpdu&port=1"
  echo "-- on, the command exits 3"
  http "$base/on?hostname=failcmd&port=1"
  echo "-- on, the device refuses every connection (default retries)"
  http "$base/on?hostname=127.0.0.1:$DEAD&port=1"
  echo "-- HEAD /power/control/off"
  http -I "$base/off?hostname=cmd&port=1"
  echo "-- reboot delay=2, then off 0.5 s later, same outlet"
  : >"$LOG"
  now >"$WORK/t0"
  curl -s --max-time 30 -o /dev/null "$base/reboot?hostname=cmd&port=1&delay=2" &
  local reboot=$!
  sleep 0.5
  curl -s --max-time 30 -o /dev/null "$base/off?hostname=cmd&port=1"
  wait "$reboot" || true
  sleep 0.3
  printf '%s | %s\n' "$NAME" "$(awk '{printf "%s@%.1fs ", $4, $1}' "$LOG")"
}

# One legacy line: prints the reply, when it came, and what the commands did.
legacy() {
  : >"$LOG"
  now >"$WORK/t0"
  local reply
  reply=$(timeout 60 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; printf '%s' '$1' >&3; cat <&3" |
    tr '\n' ' ' || true)
  local took
  took=$(echo "$(now) - $(cat "$WORK/t0")" | bc)
  sleep 0.2
  printf '%s | %-10s %5.1fs | %s\n' "$NAME" "$reply" "$took" \
    "$(awk '{printf "%s@%.1fs ", $4, $1}' "$LOG")"
}

legacy_scenarios() {
  echo "-- legacy: cmd 1 reboot 2"
  legacy "cmd 1 reboot 2"
  echo "-- legacy: failcmd 1 on"
  legacy "failcmd 1 on"
  echo "-- legacy: the device refuses every connection"
  legacy "127.0.0.1:$DEAD 1 on"
}

drive() {
  : >"$LOG"
  now >"$WORK/t0"
  local code=0
  if [ "$NAME" = upstream ]; then
    timeout 60 "$UPSTREAM" --conf "$WORK/upstream-http.conf" --drive --hostname cmd --port 1 \
      --request reboot >/dev/null 2>&1 || code=$?
  else
    (cd "$ROOT" && timeout 60 "$DENO" run -A main.ts --conf "$WORK/pdud-http.conf" --drive \
      --hostname cmd --port 1 --request reboot) >/dev/null 2>&1 || code=$?
  fi
  printf '%s | exit %s | %s\n' "$NAME" "$code" "$(awk '{printf "%s@%.1fs ", $4, $1}' "$LOG")"
}

echo "upstream: $(dpkg-query -W -f '${Package} ${Version}' pdudaemon 2>/dev/null || echo "$UPSTREAM")"
echo "pdud:     $(cd "$ROOT" && "$DENO" run -A main.ts --version)"
echo "columns: who | status, answered after, body | commands run (seconds after the request)"
for NAME in upstream pdud; do
  echo "== $NAME, HTTP"
  start "$NAME" http
  scenarios
  echo "-- drive mode: --drive --request reboot (no --delay)"
  LOG=$WORK/$NAME-http.pdu
  drive
  stop
  echo "== $NAME, legacy TCP (listener tcp)"
  start "$NAME" tcp
  legacy_scenarios
  stop
done
