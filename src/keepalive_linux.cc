// Linux implementation of the platform layer: plain setsockopt/getsockopt with
// the constants from the system headers.
#include "keepalive.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace tcp_keepalive {

namespace {

struct Sockopt {
  int level;
  int name;
};

// Indexed by Option.
constexpr Sockopt kSockopts[kOptionCount] = {
    {IPPROTO_TCP, TCP_KEEPIDLE},
    {IPPROTO_TCP, TCP_KEEPINTVL},
    {IPPROTO_TCP, TCP_KEEPCNT},
    {IPPROTO_TCP, TCP_USER_TIMEOUT},
    {SOL_SOCKET, SO_KEEPALIVE},
};

}  // namespace

const char* const kOptionNames[kOptionCount] = {
    "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT", "TCP_USER_TIMEOUT",
    "SO_KEEPALIVE",
};

int SetOptions(int fd, const int values[kOptionCount], Option* failed) {
  for (int option = 0; option < kOptionCount; option++) {
    if (values[option] < 0) continue;
    const Sockopt& opt = kSockopts[option];
    if (setsockopt(fd, opt.level, opt.name, &values[option],
                   sizeof(values[option])) != 0) {
      *failed = static_cast<Option>(option);
      return -errno;
    }
  }
  return 0;
}

int GetOptions(int fd, int values[kOptionCount], Option* failed) {
  for (int option = 0; option < kOptionCount; option++) {
    const Sockopt& opt = kSockopts[option];
    socklen_t length = sizeof(values[option]);
    if (getsockopt(fd, opt.level, opt.name, &values[option], &length) != 0) {
      *failed = static_cast<Option>(option);
      return -errno;
    }
  }
  return 0;
}

}  // namespace tcp_keepalive
