# Crypto: raw Argon2id hash rate with the production parameters on 1 and 2 threads, and our
# password functions as a ratio to it (bench/argon2_bench.cpp). The auth login benchmark compares
# its throughput with the raw figure.
add_executable(nn_bench_argon2 ${CMAKE_CURRENT_LIST_DIR}/argon2_bench.cpp)
target_link_libraries(nn_bench_argon2 PRIVATE nn_crypto nn_options Threads::Threads)
target_include_directories(nn_bench_argon2 PRIVATE ${PROJECT_SOURCE_DIR})
