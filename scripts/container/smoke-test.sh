#!/usr/bin/env bash
# Container smoke test of the gateway's image, run on demand (not part of npm test):
#
#   scripts/container/smoke-test.sh          (from the repository; needs root, docker, debootstrap)
#
# With no registry reachable, it builds the base image locally (base-image.sh), builds the image
# with `docker build --network host`, starts the project's emulator on the host's loopback and
# runs everything with `--network host` only (never a bridge). It checks, in order:
#   1. the image runs as numeric 1000:1000, has a HEALTHCHECK and SHUTDOWN_DEADLINE_MS < 10 s;
#   2. with no Event Hubs setting the image exits 1 with one JSON line naming the variables;
#   3. the keys CLI runs in the image (`node dist/src/tools/keys.js`), refuses an unknown event
#      type and a key without sensors, and writes a key file the container's user can read;
#   4. the gateway with HOST=::1 turns healthy (the health check follows HOST and PORT), answers a
#      reading with 200 and a receipt, and logs JSON lines;
#   5. live keys: a key created while it runs works, a revoked key gets 401, both within 5 s;
#   6. `docker stop` with the default 10 s grace while devices keep sending: exit code 0,
#      "gateway stopped" logged, and every reading answered 200 is in the hub.
# Last line: `container smoke: PASS` (exit 0) or `container smoke: FAIL <reason>` (exit 1).
#
# Environment (optional): NODE_IMAGE (local/node:20-bookworm-slim), IMAGE (ingest-gateway:smoke),
# WORK_DIR (/tmp/gateway-container), KEEP_WORK=1 keeps the logs after a pass (always kept on FAIL).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT="$(cd "$HERE/../.." && pwd)"
NODE_IMAGE="${NODE_IMAGE:-local/node:20-bookworm-slim}"
IMAGE="${IMAGE:-ingest-gateway:smoke}"
WORK_DIR="${WORK_DIR:-/tmp/gateway-container}"
RESULT="" CID="" EMU_PID="" RUN="" SENDERS=()

log() { printf '[smoke] %s\n' "$*" >&2; }
fail() { RESULT="FAIL $*"; exit 1; }

# Ends only what this script started: its container (by id), its senders and the emulator's
# process group (started with setsid, so its group id is its PID).
cleanup() {
  local status=$?
  set +e
  for pid in "${SENDERS[@]}"; do kill "$pid" 2>/dev/null; done
  if [ -n "$CID" ]; then
    docker logs "$CID" >"$RUN/gateway.stdout" 2>"$RUN/gateway.stderr"
    docker rm -f "$CID" >/dev/null 2>&1
  fi
  if [ -n "$EMU_PID" ] && kill -0 "$EMU_PID" 2>/dev/null; then
    kill -TERM -- "-$EMU_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 -- "-$EMU_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$EMU_PID" 2>/dev/null
  fi
  [ -n "$RESULT" ] || { [ "$status" = 0 ] && RESULT=PASS || RESULT="FAIL unexpected error (exit $status; logs in $RUN)"; }
  if [ -n "$RUN" ]; then
    if [ "$RESULT" = PASS ] && [ "${KEEP_WORK:-0}" != 1 ]; then rm -rf "$RUN"; else log "logs kept in $RUN"; fi
  fi
  echo "container smoke: $RESULT"
  [ "$RESULT" = PASS ]
}
trap cleanup EXIT
trap 'RESULT="FAIL interrupted"; exit 1' INT TERM

for tool in docker node npm curl timeout setsid; do command -v "$tool" >/dev/null || fail "$tool not found"; done
docker info >/dev/null 2>&1 || fail "docker daemon not reachable (dockerd --bridge=none --iptables=false)"
mkdir -p "$WORK_DIR"
RUN="$(mktemp -d "$WORK_DIR/smoke.XXXXXX")"

free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}
EMULATOR_PORT="$(free_port)"
GATEWAY_PORT="$(free_port)"
[ "$EMULATOR_PORT" != "$GATEWAY_PORT" ] || fail "no two free ports"

# Images.
BASE_IMAGE="$NODE_IMAGE" WORK_DIR="$WORK_DIR" "$HERE/base-image.sh" >"$RUN/base.log" 2>&1 \
  || { tail -n 20 "$RUN/base.log" >&2; fail "base image $NODE_IMAGE could not be built"; }
log "docker build (log: $RUN/build.log)"
start=$SECONDS
timeout 1200 docker build --force-rm --network host --build-arg "NODE_IMAGE=$NODE_IMAGE" -t "$IMAGE" "$PROJECT" \
  >"$RUN/build.log" 2>&1 || { tail -n 30 "$RUN/build.log" >&2; fail "docker build failed"; }
log "built in $((SECONDS - start)) s"

# 1. Image settings.
user="$(docker image inspect -f '{{.Config.User}}' "$IMAGE")"
[ "$user" = "1000:1000" ] || fail "image USER is '$user', not 1000:1000"
[ -n "$(docker image inspect -f '{{if .Config.Healthcheck}}yes{{end}}' "$IMAGE")" ] || fail "no HEALTHCHECK"
deadline="$(docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE" | sed -n 's/^SHUTDOWN_DEADLINE_MS=//p')"
[ -n "$deadline" ] && [ "$deadline" -lt 10000 ] || fail "SHUTDOWN_DEADLINE_MS '$deadline' is not below docker stop's 10 s"

# 2. Fail closed: production with no target.
set +e
docker run --rm --network host -e PORT="$GATEWAY_PORT" "$IMAGE" >"$RUN/closed.stdout" 2>"$RUN/closed.stderr"
code=$?
set -e
[ "$code" = 1 ] || fail "with no Event Hubs setting the image exited $code, not 1"
[ "$(grep -c . "$RUN/closed.stderr")" = 1 ] || fail "not one line on stderr: $(head -c 300 "$RUN/closed.stderr")"
grep -q '"settings":\["EVENTHUB_CONNECTION_STRING","EVENTHUB_FULLY_QUALIFIED_NAMESPACE"' "$RUN/closed.stderr" \
  || fail "the failure line does not name the target variables: $(cat "$RUN/closed.stderr")"
log "fails closed: $(cut -c1-120 "$RUN/closed.stderr")…"

# Emulator on the host.
(cd "$PROJECT" && EMULATOR_PORT="$EMULATOR_PORT" exec setsid npm run -s emulator) \
  >"$RUN/emulator.stdout" 2>"$RUN/emulator.stderr" </dev/null &
EMU_PID=$!
CONNECTION_STRING=""
for _ in $(seq 1 120); do
  CONNECTION_STRING="$(grep -m1 '^Endpoint=sb://' "$RUN/emulator.stdout" || true)"
  [ -n "$CONNECTION_STRING" ] && break
  kill -0 "$EMU_PID" 2>/dev/null || fail "emulator exited: $(tail -n 3 "$RUN/emulator.stderr" | tr '\n' ' ')"
  sleep 0.5
done
[ -n "$CONNECTION_STRING" ] || fail "emulator printed no connection string"

# 3. The keys CLI in the image, as the container's user, into a folder that user owns.
KEYS="$RUN/keys"
mkdir -p "$KEYS" && chown 1000:1000 "$KEYS" && chmod 0700 "$KEYS"
keys() { docker run --rm --network host --user 1000:1000 -v "$KEYS:/keys" "$IMAGE" node dist/src/tools/keys.js "$@"; }
keys create --id typo --scopes events:write --types telemtry --sensors '*' --file /keys/keys.json >"$RUN/typo.out" 2>&1 \
  && fail "the keys CLI accepted the unknown event type telemtry"
grep -q 'no event type telemtry' "$RUN/typo.out" || fail "unexpected refusal: $(cat "$RUN/typo.out")"
keys create --id nosensors --scopes events:write --types telemetry --file /keys/keys.json >"$RUN/nos.out" 2>&1 \
  && fail "the keys CLI accepted a key without sensors"
keys create --id smoke --scopes events:write --types telemetry --sensors 'smoke-*' --file /keys/keys.json \
  >"$RUN/key.out" 2>&1 || fail "keys create failed in the image: $(cat "$RUN/key.out")"
KEY1="$(tail -n 1 "$RUN/key.out")"
[ "$(stat -c '%u %a' "$KEYS/keys.json")" = "1000 600" ] || fail "key file is $(stat -c '%u %a' "$KEYS/keys.json"), not 1000 600"
log "keys CLI runs in the image; refuses typos and keys without sensors"

# 4. The gateway, on the IPv6 loopback so the health check must follow HOST.
CID="$(docker run -d --network host --name "gw-smoke-$$" -e HOST=::1 -e PORT="$GATEWAY_PORT" \
  -e EVENTHUB_CONNECTION_STRING="$CONNECTION_STRING" -e API_KEYS_FILE=/keys/keys.json -v "$KEYS:/keys:ro" "$IMAGE")" \
  || fail "docker run failed"
URL="http://[::1]:$GATEWAY_PORT"
health=""
for _ in $(seq 1 90); do
  state="$(docker inspect -f '{{.State.Status}} {{.State.Health.Status}}' "$CID")"
  health="${state#* }"
  case "$state" in
    "running healthy") break ;;
    exited* | dead*) fail "container exited: $(docker logs "$CID" 2>&1 | tail -n 2)" ;;
  esac
  [ "$health" = unhealthy ] && fail "unhealthy: $(docker inspect -f '{{range .State.Health.Log}}{{.Output}}{{end}}' "$CID")"
  sleep 1
done
[ "$health" = healthy ] || fail "not healthy within 90 s ($health)"
[ "$(docker exec "$CID" id -u)" = 1000 ] || fail "the gateway does not run as uid 1000"
post() { # key sensor -> http status; body in $RUN/post.body
  curl -sS -m 15 -o "$RUN/post.body" -w '%{http_code}' "$URL/v1/events/telemetry" -H "Authorization: Bearer $1" \
    -H 'Content-Type: application/json' -d "{\"sensor_id\":\"$2\",\"timestamp\":\"2026-12-01T10:00:00Z\",\"temperature\":21.5}" \
    || echo 000
}
code="$(post "$KEY1" smoke-1)"
[ "$code" = 200 ] && grep -q '"partitionId"' "$RUN/post.body" || fail "POST answered $code: $(head -c 300 "$RUN/post.body")"
docker logs "$CID" 2>/dev/null | node -e 'const lines = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean);
  process.exit(lines.length > 0 && lines.every((l) => { try { JSON.parse(l); return true; } catch { return false; } }) ? 0 : 1)' \
  || fail "stdout log lines are not all JSON"
log "healthy on [::1]:$GATEWAY_PORT as uid 1000; POST 200 $(cat "$RUN/post.body")"

# 5. Live keys.
keys create --id smoke-2 --scopes events:write --types telemetry --sensors 'smoke-*' --file /keys/keys.json \
  >"$RUN/key2.out" 2>&1 || fail "second keys create failed"
KEY2="$(tail -n 1 "$RUN/key2.out")"
keys revoke --id smoke --file /keys/keys.json >/dev/null 2>&1 || fail "keys revoke failed"
start_ms=$(date +%s%3N)
until [ "$(post "$KEY2" smoke-2)" = 200 ] && [ "$(post "$KEY1" smoke-1)" = 401 ]; do
  [ $(($(date +%s%3N) - start_ms)) -lt 5000 ] || fail "new key not accepted / revoked key not refused within 5 s"
  sleep 0.1
done
log "live keys: new key 200, revoked key 401 after $(($(date +%s%3N) - start_ms)) ms, no restart"

# 6. docker stop (default grace) while four devices keep sending.
for device in 1 2 3 4; do
  (
    i=0
    while :; do
      i=$((i + 1))
      echo "smoke-stop-$device-$i $(post "$KEY2" "smoke-stop-$device-$i")"
    done
  ) >"$RUN/sender.$device" 2>/dev/null &
  SENDERS+=($!)
done
sleep 2
stop_start=$SECONDS
timeout 40 docker stop "$CID" >/dev/null || fail "docker stop failed"
stop_took=$((SECONDS - stop_start))
sleep 0.5
for pid in "${SENDERS[@]}"; do kill "$pid" 2>/dev/null || true; done
SENDERS=()
exit_code="$(docker inspect -f '{{.State.ExitCode}}' "$CID")"
docker logs "$CID" >"$RUN/gateway.stdout" 2>"$RUN/gateway.stderr"
[ "$exit_code" = 0 ] || fail "exit code $exit_code after docker stop (137 = killed after the grace)"
grep -q '"msg":"gateway stopped"' "$RUN/gateway.stdout" || fail "no 'gateway stopped' after docker stop"
cat "$RUN"/sender.* | awk '$2 == 200 { print $1 }' | sort -u >"$RUN/acknowledged"
acknowledged=$(wc -l <"$RUN/acknowledged")
[ "$acknowledged" -gt 0 ] || fail "no reading was acknowledged while sending"
(cd "$PROJECT" && EVENTHUB_CONNECTION_STRING="$CONNECTION_STRING" timeout 20 node --import tsx src/tools/consume.ts --from-start) \
  >"$RUN/consumed" 2>"$RUN/consume.stderr" || true
grep -o 'smoke-stop-[0-9]*-[0-9]*' "$RUN/consumed" | sort -u >"$RUN/landed"
lost=$(comm -23 "$RUN/acknowledged" "$RUN/landed" | wc -l)
[ "$lost" = 0 ] || fail "$lost of $acknowledged acknowledged readings are not in the hub (first: $(comm -23 "$RUN/acknowledged" "$RUN/landed" | head -n1))"
log "docker stop: exit 0 in ${stop_took} s; $acknowledged readings acknowledged while stopping, all in the hub"
