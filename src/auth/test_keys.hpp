#pragma once

// Fresh auth secrets for an App configuration built by hand (tests and benchmarks; a deployment
// sets NEXANEST_JWT_KEYS, NEXANEST_API_KEY_PEPPER and NEXANEST_FIELD_KEYS).

#include "auth/module.hpp"
#include "infra/crypto/key_ring.hpp"
#include "infra/crypto/random.hpp"

namespace nn::auth::testing {

// JWT key k1, a 32-character pepper, field key f1: random each call.
inline Keys TestKeys() {
    return {Secret(crypto::NewKeyEntry("k1", 32)), Secret(crypto::RandomToken(32)),
            Secret(crypto::NewKeyEntry("f1", 32))};
}

inline void PutTestKeys(runtime::Config& config) {
    PutKeys(config, TestKeys());
}

}  // namespace nn::auth::testing
