# Redis: our pipelined Client (GET/SET from many coroutines on one connection) against
# redis-benchmark at the same pipeline depth on one connection, run in the same process run
# (bench/redis_bench.cpp). Needs NEXANEST_REDIS_URL or NEXANEST_TEST_REDIS_URL.
add_executable(nn_bench_redis ${CMAKE_CURRENT_LIST_DIR}/redis_bench.cpp)
target_link_libraries(nn_bench_redis PRIVATE nn_redis nn_options)
