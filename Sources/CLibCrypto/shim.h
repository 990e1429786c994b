// OpenSSL's libcrypto (Debian's libssl-dev): AES-256-GCM through EVP, for opening a record's
// chunks straight from PostgreSQL's buffer into the response's.
#include <openssl/evp.h>
#include <openssl/err.h>
