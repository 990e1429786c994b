#ifndef MDRS_CPKCS11_SHIM_H
#define MDRS_CPKCS11_SHIM_H
/* The PKCS#11 interface as Debian's p11-kit declares it (libp11-kit-dev). Only the header is
   used (pkg-config also links libp11-kit, which nothing calls): modules are opened with dlopen,
   by the path the configuration names. */
#include <p11-kit/pkcs11.h>
#endif
