# Price flow latency (bench/price_flow_bench.cpp): tick accepted → holdings.current_price and →
# the PRICE_ALERT notification on an SSE client, under 10k ticks/s of background HTTP ingest,
# against a Redis XADD → XREADGROUP hop and a committed single-row UPDATE measured in the same run.
if(TARGET nn_market AND TARGET nn_portfolio AND TARGET nn_notify)
  add_executable(nn_bench_price_flow ${CMAKE_CURRENT_LIST_DIR}/price_flow_bench.cpp)
  target_include_directories(nn_bench_price_flow PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(nn_bench_price_flow PRIVATE nn_market nn_portfolio nn_notify nn_auth nn_migrate nn_options
                        Threads::Threads)
  target_compile_definitions(nn_bench_price_flow PRIVATE NN_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endif()
