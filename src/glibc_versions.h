// Threads from pthread_create itself, at the symbol version every glibc has
// had: std::thread would make the addon need a newer libstdc++ than Node's
// own arm64 build carries (GLIBCXX_3.4.22 against 3.4.21), and glibc 2.34
// gave pthread_create, pthread_join and pthread_condattr_setclock a new symbol
// version, so the prebuilds ask for the old one
// (test/package/prebuild-arm64.test.ts). Included by each file that uses them.
#ifndef TCP_KEEPALIVE_ADDON_GLIBC_VERSIONS_H_
#define TCP_KEEPALIVE_ADDON_GLIBC_VERSIONS_H_

#include <pthread.h>

#if defined(__GLIBC__) && defined(__x86_64__)
__asm__(".symver pthread_create,pthread_create@GLIBC_2.2.5");
__asm__(".symver pthread_join,pthread_join@GLIBC_2.2.5");
__asm__(".symver pthread_condattr_setclock,pthread_condattr_setclock@GLIBC_2.3.3");
#elif defined(__GLIBC__) && defined(__aarch64__)
__asm__(".symver pthread_create,pthread_create@GLIBC_2.17");
__asm__(".symver pthread_join,pthread_join@GLIBC_2.17");
__asm__(".symver pthread_condattr_setclock,pthread_condattr_setclock@GLIBC_2.17");
#endif

#endif  // TCP_KEEPALIVE_ADDON_GLIBC_VERSIONS_H_
