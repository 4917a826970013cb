#!/usr/bin/env bash
# Start the local PostgreSQL 15 cluster and make a `tienphong` role that may create databases.
# Usage: scripts/postgres.sh start|stop|url      (url prints the DATABASE_URL template for the dev run)
set -euo pipefail
PGUSER_NAME=${TIENPHONG_PG_USER:-tienphong}
PGPASS=${TIENPHONG_PG_PASSWORD:-tienphong}
PGPORT=${TIENPHONG_PG_PORT:-5432}

start() {
  if ! command -v pg_ctlcluster >/dev/null; then
    echo "postgres.sh: installing PostgreSQL 15 from Debian's packages" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
  fi
  if ! pg_lsclusters -h 2>/dev/null | awk '$1=="15" && $2=="main"' | grep -q .; then
    pg_createcluster 15 main >/dev/null
  fi
  if ! pg_lsclusters -h | awk '$1=="15" && $2=="main" {print $4}' | grep -q online; then
    pg_ctlcluster 15 main start
  fi
  for _ in $(seq 1 50); do
    su postgres -c "psql -p $PGPORT -tAc 'select 1'" >/dev/null 2>&1 && break
    sleep 0.2
  done
  su postgres -c "psql -p $PGPORT -v ON_ERROR_STOP=1 -q" <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PGUSER_NAME') THEN
    CREATE ROLE $PGUSER_NAME LOGIN CREATEDB PASSWORD '$PGPASS';
  END IF;
END \$\$;
SQL
  for service in registration support reporting access; do
    if ! su postgres -c "psql -p $PGPORT -tAc \"select 1 from pg_database where datname='tienphong_$service'\"" | grep -q 1; then
      su postgres -c "createdb -p $PGPORT -O $PGUSER_NAME tienphong_$service"
    fi
  done
  echo "postgres: ready on 127.0.0.1:$PGPORT (role $PGUSER_NAME)"
}

case "${1:-}" in
  start) start ;;
  stop) pg_ctlcluster 15 main stop || true ;;
  # Loopback, so no TLS: Debian's cluster offers it (a snakeoil certificate) and libpq's default takes it,
  # encrypting every row for nobody (~1.3 % of the machine's CPU in a projection run, perf); compose's
  # postgres has none either.
  url) echo "postgresql+psycopg://$PGUSER_NAME:$PGPASS@127.0.0.1:$PGPORT/tienphong_{service}?sslmode=disable" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
