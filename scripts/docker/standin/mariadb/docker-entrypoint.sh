#!/bin/bash
# First start: a database and a user from MYSQL_DATABASE, MYSQL_USER and MYSQL_PASSWORD (the root
# account stays reachable only through the socket, as with MYSQL_RANDOM_ROOT_PASSWORD). Then the server.
set -euo pipefail
if [ "${1:0:1}" = - ]; then set -- mariadbd "$@"; fi
if [ "$1" != mariadbd ]; then exec "$@"; fi
shift
chown mysql:mysql /var/lib/mysql /run/mysqld
if [ ! -d /var/lib/mysql/mysql ]; then
  : "${MYSQL_DATABASE:?MYSQL_DATABASE must be set}" "${MYSQL_USER:?MYSQL_USER must be set}" "${MYSQL_PASSWORD:?MYSQL_PASSWORD must be set}"
  mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >/dev/null
  mariadbd --user=mysql --skip-networking --socket=/run/mysqld/init.sock &
  pid=$!
  for _ in $(seq 60); do mariadb --socket=/run/mysqld/init.sock -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.5; done
  mariadb --socket=/run/mysqld/init.sock <<SQL
CREATE DATABASE IF NOT EXISTS \`${MYSQL_DATABASE}\`;
CREATE USER '${MYSQL_USER}'@'%' IDENTIFIED BY '${MYSQL_PASSWORD}';
GRANT ALL ON \`${MYSQL_DATABASE}\`.* TO '${MYSQL_USER}'@'%';
SQL
  kill "$pid"
  wait "$pid" || true
  echo "database ${MYSQL_DATABASE} and user ${MYSQL_USER} created"
fi
exec mariadbd --user=mysql --bind-address=0.0.0.0 "$@"
