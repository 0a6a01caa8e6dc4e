#!/usr/bin/env bash
# Regenerates data/external_functions.tsv (Moodle 4.5, database `moodle`) or, given `5.0`,
# data/external_functions-5.0.tsv (database `moodle5`) from a real, freshly installed Moodle's
# database (the ones ../shared/real-moodle/install.sh builds), before the project's plugins are
# installed there. Not used by builds or tests: the TSVs are committed. Columns: function name, component, component version, and the function's
# position in the official mobile service (moodle_mobile_app), or - when it is not in it.
# Rows are in external_functions.id order, the order Moodle registered them at install.
set -euo pipefail
case "${1:-4.5}" in
  4.5) name=external_functions.tsv; db=moodle ;;
  5.0) name=external_functions-5.0.tsv; db=moodle5 ;;
  *) echo "usage: $0 [4.5|5.0]" >&2; exit 2 ;;
esac
: "${PGHOST:=127.0.0.1}" "${PGUSER:=moodleuser}" "${PGDATABASE:=$db}" "${PGPASSWORD:=moodlepass}"
export PGHOST PGUSER PGDATABASE PGPASSWORD
out="$(dirname "$0")/../data/$name"
psql -Atc "
  SELECT f.name, f.component,
         CASE WHEN f.component IN ('moodle', 'core') THEN (SELECT value FROM mdl_config WHERE name = 'version')
              ELSE (SELECT value FROM mdl_config_plugins WHERE plugin = f.component AND name = 'version') END,
         COALESCE((SELECT rank::text FROM (
             SELECT sf.functionname, row_number() OVER (ORDER BY sf.id) AS rank
               FROM mdl_external_services_functions sf
               JOIN mdl_external_services s ON s.id = sf.externalserviceid
              WHERE s.shortname = 'moodle_mobile_app') m WHERE m.functionname = f.name), '-')
    FROM mdl_external_functions f ORDER BY f.id" -F $'\t' > "$out"
echo "wrote $(wc -l < "$out") functions to $out"
