#!/usr/bin/env bash
# The audit log at scale (issue 11): 1,000,000 access rows and their on-chain index, generated
# straight into a throwaway PostgreSQL with the gateway's own migrations, then the page queries
# the gateway issues (AuditFilter+SQL.swift: one per side, keyset after a cursor, LIMIT 101),
# timed by pgbench one client at a time: p50/p99 per 100-entry page, first and deep, by staff,
# by patient and by time range, and each plan from EXPLAIN ANALYZE.
#
# Called by `deploy/dev bench-audit` with PG_BIN, PG_PORT and a work directory; ROWS overrides
# the row count. A page here is the database's part of an answer (both sides' queries); the
# HTTP, signature and JSON costs are the same for every page and are left out.
set -euo pipefail
dir="$1"
rows="${ROWS:-1000000}"
staff_count=2000
patient_count=5000
start=1790000000          # the first access's Unix time; one access every 3 s after it
seconds="${BENCH_SECONDS:-10}"
psql=("$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U mdrs -d mdrs -v ON_ERROR_STOP=1 -q)

for file in sql/*.sql; do "${psql[@]}" -f "$file" >/dev/null; done

# Deterministic values from the row number: 32-byte ids from two md5s, 20-byte addresses.
"${psql[@]}" <<SQL
CREATE FUNCTION b32(t text) RETURNS bytea IMMUTABLE LANGUAGE sql AS \$\$ SELECT decode(md5(t) || md5(t || '.'), 'hex') \$\$;
CREATE FUNCTION b20(t text) RETURNS bytea IMMUTABLE LANGUAGE sql AS \$\$ SELECT substring(b32(t) FROM 1 FOR 20) \$\$;
\timing on
INSERT INTO access_log (request_id, token, record_id, staff, patient, purpose, outcome, reason, accessed_at, signature_hash,
    commitment, chain_state, tx_hash, block_number, log_index)
SELECT b32('r' || i), b32('g' || i), b32('rec' || (i % $patient_count) || '.' || (i % 3)), b20('s' || (i % $staff_count)),
    b20('p' || (i % $patient_count)), 1, CASE WHEN i % 10 = 0 THEN 4 ELSE 1 END,
    CASE WHEN i % 10 = 0 THEN 'not_grantee' ELSE 'served' END, $start + 3 * i, b32('h' || i), b32('c' || i), 'confirmed',
    b32('tx' || (i / 50)), i / 50, i % 50
FROM generate_series(0, $rows - 1) AS i;
INSERT INTO chain_accesses (request_id, token, record_id, staff, patient, purpose, outcome, accessed_at, commitment, block_number,
    block_hash, log_index, tx_hash)
SELECT request_id, token, record_id, staff, patient, purpose, outcome, accessed_at, commitment, block_number, b32('b' || block_number),
    log_index, tx_hash FROM access_log;
VACUUM ANALYZE access_log;
VACUUM ANALYZE chain_accesses;
SQL

cols_local="request_id, token, record_id, staff, patient, purpose, outcome, reason, accessed_at, range_start, range_end, signature_hash, commitment, chain_state, block_number"
cols_chain="request_id, token, record_id, staff, patient, purpose, outcome, accessed_at, commitment, block_number, block_hash, log_index, tx_hash"

# scenario NAME SETUP FILTER: FILTER may use pgbench variables set in SETUP.
scenario() {
  local name="$1" setup="$2" filter="$3"
  local script="$dir/$name.sql"
  {
    printf '%s\n' "$setup"
    printf 'SELECT %s FROM access_log WHERE true %s ORDER BY accessed_at, request_id LIMIT 101;\n' "$cols_local" "$filter"
    printf 'SELECT %s FROM chain_accesses WHERE true %s ORDER BY accessed_at, request_id LIMIT 101;\n' "$cols_chain" "$filter"
  } >"$script"
  rm -f "$dir"/pgbench_log.*
  (cd "$dir" && pg_run_bench -n -M simple -c 1 -j 1 -T "$seconds" -f "$script" -l >/dev/null 2>"$dir/pgbench.err") \
    || { cat "$dir/pgbench.err" >&2; exit 1; }
  python3 - "$name" "$dir"/pgbench_log.* <<'PY'
import sys
name, files = sys.argv[1], sys.argv[2:]
lat = sorted(int(line.split()[2]) for f in files for line in open(f))
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] / 1000
print(f"{name:<22} {len(lat):>7} pages   p50 {p(0.50):7.2f} ms   p99 {p(0.99):7.2f} ms   max {lat[-1] / 1000:7.2f} ms")
PY
}

pg_run_bench() { "$PG_BIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U mdrs "$@" mdrs; }

# The k-th access of staff s is row s + 2000k; of patient p, row p + 5000k.
staff_deep='\set s random(0, 1999)
\set k random(300, 450)'
staff_first='\set s random(0, 1999)'
patient_first='\set p random(0, 4999)'
patient_deep='\set p random(0, 4999)
\set k random(100, 150)'
time_first='\set t random(0, 999000)'
time_deep='\set t random(0, 900000)'
staff="AND staff = b20('s' || :s)"
patient="AND patient = b20('p' || :p)"

printf '%s rows a side; one client; %s s a scenario; each page is 2 queries of LIMIT 101\n' "$rows" "$seconds"
scenario staff-first-page "$staff_first" "$staff"
scenario staff-deep-page "$staff_deep" "$staff AND (accessed_at, request_id) > ($start + 3 * (:s + 2000 * :k), b32('r' || (:s + 2000 * :k)))"
scenario patient-first-page "$patient_first" "$patient"
scenario patient-deep-page "$patient_deep" "$patient AND (accessed_at, request_id) > ($start + 3 * (:p + 5000 * :k), b32('r' || (:p + 5000 * :k)))"
scenario time-first-page "$time_first" "AND accessed_at >= $start + 3 * :t AND accessed_at <= $start + 3 * (:t + 28800)"
scenario time-deep-page "$time_deep" "AND accessed_at >= $start + 3 * :t AND accessed_at <= $start + 3 * (:t + 100000) AND (accessed_at, request_id) > ($start + 3 * (:t + 50000), b32('r' || (:t + 50000)))"

explain() {
  local name="$1" filter="$2"
  printf '\n-- %s\n' "$name"
  "${psql[@]}" -At -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT $cols_chain FROM chain_accesses WHERE true $filter ORDER BY accessed_at, request_id LIMIT 101"
}
printf '\nPlans (chain_accesses side; access_log uses its own index of the same shape)\n'
explain "staff, deep page" "AND staff = b20('s7') AND (accessed_at, request_id) > ($start + 3 * (7 + 2000 * 400), b32('r' || (7 + 2000 * 400)))"
explain "patient, deep page" "AND patient = b20('p7') AND (accessed_at, request_id) > ($start + 3 * (7 + 5000 * 150), b32('r' || (7 + 5000 * 150)))"
explain "time range, deep page" "AND accessed_at >= $start + 3 * 400000 AND accessed_at <= $start + 3 * 500000 AND (accessed_at, request_id) > ($start + 3 * 450000, b32('r450000'))"
