# HTTP: a trivial route through the full middleware chain of nn::http::Server against a bare Beast
# coroutine server in the same process, all driven by wrk at the same load, and the access log on
# against off (bench/http_bench.cpp).
add_executable(nn_bench_http ${CMAKE_CURRENT_LIST_DIR}/http_bench.cpp)
target_link_libraries(nn_bench_http PRIVATE nn_http nn_runtime nn_options)
target_include_directories(nn_bench_http PRIVATE ${PROJECT_SOURCE_DIR})
