#include "infra/crypto/random.hpp"

#include <sodium.h>

#include "core/error.hpp"
#include "infra/crypto/encoding.hpp"

namespace nn::crypto {

void EnsureSodium() {
    // A function-local static is initialised exactly once even under concurrent first calls.
    static const bool ready = sodium_init() >= 0;
    if (!ready)
        throw Error(ErrorKind::kInternal, "crypto.sodium_init_failed", "libsodium failed to initialise");
}

std::string RandomBytes(std::size_t n) {
    EnsureSodium();
    std::string out(n, '\0');
    if (n > 0) randombytes_buf(out.data(), n);
    return out;
}

std::string RandomToken(std::size_t bytes) {
    return Base64UrlEncode(RandomBytes(bytes));
}

}  // namespace nn::crypto
