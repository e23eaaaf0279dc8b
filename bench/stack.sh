# Sourced by the benchmarks. start_stack DATA_DIR [up options...] starts the local stack in the
# background on its own data directory (emptied first, so .devstack is never touched), waits until
# the services are ready and sets spec_service_url, kafka_bootstrap and token (team bench,
# submitter). The stack stops when the calling script exits.
start_stack() {
  local data="$1"
  shift
  rm -rf "$data"
  mkdir -p "$data"
  mkfifo "$data/stdin"
  java -jar deploy/devstack/target/byoos-devstack.jar up --data-dir "$data" --root . "$@" \
    --watch-stdin < "$data/stdin" > "$data/up.log" 2>&1 &
  local stack_pid=$!
  exec 3> "$data/stdin"   # holding the pipe open keeps the stack up; closing it stops the stack
  trap 'exec 3>&-; wait' EXIT
  # Up to 10 minutes: a machine busy with other work starts the stack slowly.
  for _ in $(seq 1 1200); do
    [ -f "$data/services.properties" ] || ! kill -0 "$stack_pid" 2> /dev/null && break
    sleep 0.5
  done
  spec_service_url=$(sed -n 's/^spec-service.url=//p' "$data/services.properties" 2> /dev/null)
  [ -n "$spec_service_url" ] || { echo "the services did not start; see $data/up.log" >&2; exit 1; }
  kafka_bootstrap=$(sed -n 's/^kafka.bootstrap.servers=//p' "$data/endpoints.properties")
  token=$(java -jar deploy/devstack/target/byoos-devstack.jar token --data-dir "$data" --team bench --role submitter)
}
