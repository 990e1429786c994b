#ifndef MDRS_CSECP256K1_SHIM_H
#define MDRS_CSECP256K1_SHIM_H
#include <secp256k1.h>
#include <secp256k1_recovery.h>

/* Function-like macros do not import into Swift; these wrap the flags we use. */
static inline secp256k1_context *mdrs_secp256k1_context_create(void) {
    return secp256k1_context_create(SECP256K1_CONTEXT_NONE);
}

static inline unsigned int mdrs_secp256k1_ec_uncompressed(void) {
    return SECP256K1_EC_UNCOMPRESSED;
}

static inline unsigned int mdrs_secp256k1_ec_compressed(void) {
    return SECP256K1_EC_COMPRESSED;
}
#endif
