# Auth: login throughput as a ratio to the raw argon2id rate (bench/auth_bench.cpp); the
# authenticated reads are bench/reads.cmake.
# Needs the test servers (NEXANEST_TEST_PG_URL, NEXANEST_TEST_REDIS_URL, NEXANEST_DB_SERVICE_PASSWORD).
if(TARGET nn_auth AND TARGET nn_test_support)
  add_executable(nn_bench_auth ${CMAKE_CURRENT_LIST_DIR}/auth_bench.cpp)
  target_link_libraries(nn_bench_auth PRIVATE nn_auth nn_test_support nn_migrate nn_options Threads::Threads)
endif()
