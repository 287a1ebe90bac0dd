// Boost.URL compiled here with the fuzz instrumentation (QueryParams::Parse runs on it), for the
// same reason as boost_json_src.cpp.
#include <boost/url/src.hpp>
