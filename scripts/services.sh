#!/usr/bin/env bash
# Starts the services the tests use if they are not running (PostgreSQL, MariaDB; the
# cluster tests start private redis-servers of their own, so only the binary must be
# installed), and sweeps what crashed test runs left behind. `make test` and CI run it.
set -euo pipefail

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432
# Each store test makes its own schema, each cluster test its own database, and drops it;
# sweep what crashed runs left behind.
psql -q -h 127.0.0.1 -U postgres -d test -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
DO $$ DECLARE s text; BEGIN
  FOR s IN SELECT nspname FROM pg_namespace WHERE nspname LIKE 'parley\_t\_%' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
END $$;
SQL
psql -h 127.0.0.1 -U postgres -d postgres -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'parley\_t\_%'" \
  | while read -r db; do psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE \"$db\" WITH (FORCE)"; done

if ! mysqladmin -h 127.0.0.1 -u root ping >/dev/null 2>&1; then
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 30); do mysqladmin -h 127.0.0.1 -u root ping >/dev/null 2>&1 && break; sleep 1; done
fi
mysqladmin -h 127.0.0.1 -u root ping
# Likewise each MySQL store test makes its own database.
mysql -h 127.0.0.1 -u root -N -e "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'parley\\_t\\_%'" \
  | while read -r db; do mysql -h 127.0.0.1 -u root -e "DROP DATABASE \`$db\`"; done

command -v redis-server >/dev/null || {
  echo "redis-server is missing (the cluster tests start their own): apt-get install redis-server" >&2
  exit 1
}
