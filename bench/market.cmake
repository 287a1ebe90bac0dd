# Market data ingest (src/market): the end-to-end pipeline (staged binary COPY → raw → 1m/1h/1d
# rollups → latest prices → outbox/Redis/stream) against raw binary COPY of the same rows into a
# bare table, and the HTTP JSON batch path, in the same run (bench/market_ingest_bench.cpp).
add_executable(nn_bench_market_ingest ${CMAKE_CURRENT_LIST_DIR}/market_ingest_bench.cpp)
target_include_directories(nn_bench_market_ingest PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(nn_bench_market_ingest PRIVATE nn_market nn_migrate nn_options)
target_compile_definitions(nn_bench_market_ingest PRIVATE NN_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
