// Asio's SSL layer under BOOST_ASIO_SEPARATE_COMPILATION: src/infra/asio compiles the core of
// Asio only, and mail is the one user of asio::ssl, so its implementation is compiled here
// (with OpenSSL linked by this library). Should a second library need asio::ssl, this include
// moves to src/infra/asio/asio_impl.cpp, whose library then links OpenSSL.
#include <boost/asio/ssl/impl/src.hpp>
