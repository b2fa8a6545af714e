# Services for the tests, on 127.0.0.1 only: sourced by .ci/run, or on its own from the repo root
# (`source .ci/services.sh`) to run the service tests locally. Idempotent: re-sourcing it while the
# servers are up keeps them and exports the same settings.
#
# - redis-server, for tests/test_celery.py (the test starts its own server on a free port; only
#   the binary is needed);
# - chromium, for tests/test_ui.py (headless, driven by Playwright; only the binary is needed);
# - PostgreSQL, for tests/test_postgres.py: a cluster of its own (data in $DAGSTER_KEDRO_PG_DATA,
#   port $DAGSTER_KEDRO_PG_PORT), listening on 127.0.0.1 only, with a role that may create
#   databases (each test creates its own). Exports DAGSTER_KEDRO_TEST_POSTGRES_URL.
#
# Exports DAGSTER_KEDRO_REQUIRE_SERVICES=1: a service test whose service is missing then fails
# instead of skipping. Needs Debian's apt-get only when a binary is missing; as root, PostgreSQL runs
# as the `postgres` user (it refuses to run as root).

DAGSTER_KEDRO_PG_PORT="${DAGSTER_KEDRO_PG_PORT:-54329}"
DAGSTER_KEDRO_PG_DATA="${DAGSTER_KEDRO_PG_DATA:-/var/tmp/dagster-kedro-postgres-$DAGSTER_KEDRO_PG_PORT}"
_dk_pg_user=dagster_kedro _dk_pg_password=dagster_kedro

_dk_pg_bin() {  # the folder of initdb: on PATH (e.g. /usr/local/bin links), else Debian's newest
  local found
  if found="$(command -v initdb 2>/dev/null)"; then dirname "$(readlink -f "$found")"; return; fi
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$found" ] && [ -x "$found/initdb" ] && echo "$found"
}

_dk_install_missing() {
  local packages=()
  command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
  command -v chromium >/dev/null 2>&1 || packages+=(chromium)
  { _dk_pg_bin >/dev/null && [ -x "$(_dk_pg_bin)/psql" ]; } || packages+=(postgresql)
  [ ${#packages[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || { echo "services: ${packages[*]} missing and no apt-get" >&2; return 1; }
  # one update for all; Debian's postinst may also create its own `main` cluster: unused here
  apt-get update -qq || return 1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null || return 1
}

_dk_as_pg() {  # run a command as the cluster's owner: the `postgres` user when we are root
  if [ "$(id -u)" -ne 0 ]; then "$@"; return; fi
  id postgres >/dev/null 2>&1 || useradd --system --user-group --home-dir /var/lib/postgresql postgres || return 1
  runuser -u postgres -- "$@"
}

_dk_pg_sql() {  # one statement as the superuser, over the cluster's socket; prints the rows
  _dk_as_pg "$(_dk_pg_bin)/psql" -X -q -v ON_ERROR_STOP=1 -h "$DAGSTER_KEDRO_PG_DATA" -p "$DAGSTER_KEDRO_PG_PORT" \
    -U postgres -d postgres -tA -c "$1"
}

_dk_start_postgres() {
  local bin data="$DAGSTER_KEDRO_PG_DATA" port="$DAGSTER_KEDRO_PG_PORT"
  bin="$(_dk_pg_bin)" || { echo "services: no PostgreSQL binaries (initdb)" >&2; return 1; }
  if [ ! -s "$data/PG_VERSION" ]; then
    _dk_as_pg true || return 1  # creates the postgres user if needed
    mkdir -p "$data" && chmod 700 "$data" || return 1
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$data" || return 1; fi
    # the superuser over the cluster's own Unix socket only; the test role by password over TCP
    _dk_as_pg "$bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 >/dev/null \
      || { echo "services: initdb -D $data failed" >&2; return 1; }
  fi
  if ! _dk_as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    _dk_as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off -c max_connections=200" >/dev/null \
      || { echo "services: PostgreSQL did not start, see $data/server.log" >&2; return 1; }
  fi
  [ "$(_dk_pg_sql "SELECT 1 FROM pg_roles WHERE rolname = '$_dk_pg_user'")" = 1 ] \
    || _dk_pg_sql "CREATE ROLE $_dk_pg_user LOGIN CREATEDB PASSWORD '$_dk_pg_password'" || return 1
  [ "$(_dk_pg_sql "SELECT 1 FROM pg_database WHERE datname = '$_dk_pg_user'")" = 1 ] \
    || _dk_pg_sql "CREATE DATABASE $_dk_pg_user OWNER $_dk_pg_user" || return 1
  export DAGSTER_KEDRO_TEST_POSTGRES_URL="postgresql://$_dk_pg_user:$_dk_pg_password@127.0.0.1:$port/$_dk_pg_user"
}

_dk_install_missing || return 1
_dk_start_postgres || return 1
export DAGSTER_KEDRO_REQUIRE_SERVICES=1
