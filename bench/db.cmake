# PostgreSQL client (src/infra/db). Each prints ours, the physical limit measured in the same run,
# and the ratio. Server: NEXANEST_BENCH_PG_URL or NEXANEST_TEST_PG_URL.
# Pool round trip of SELECT 1 against pgbench -M prepared at the same client count
# (bench/pg_select1_bench.cpp).
add_executable(nn_bench_pg_select1 ${CMAKE_CURRENT_LIST_DIR}/pg_select1_bench.cpp)
target_link_libraries(nn_bench_pg_select1 PRIVATE nn_db nn_options)
# CopyIn (typed rows encoded on the fly) against raw PQputCopyData of the same pre-encoded rows
# (bench/copy_bench.cpp).
add_executable(nn_bench_copy ${CMAKE_CURRENT_LIST_DIR}/copy_bench.cpp)
target_link_libraries(nn_bench_copy PRIVATE nn_db nn_options)
