// What setting and reading the options does on every OS: the OS files supply
// only the option table (kSockopts) and what has no common form.
#include "keepalive.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

namespace tcp_keepalive_addon {

int SetOptions(int fd, const int values[kOptionCount], bool restore,
               Option* failed) {
  // An option this OS lacks is refused before the first syscall, so such a
  // call changes nothing; with `restore`, the values to put back are read.
  int previous[kOptionCount];
  for (int option = 0; option < kOptionCount; option++) {
    previous[option] = -1;
    if (values[option] < 0) continue;
    const Sockopt& opt = kSockopts[option];
    if (opt.level < 0) {
      *failed = static_cast<Option>(option);
      return -ENOTSUP;
    }
    if (!restore) continue;
    socklen_t length = sizeof(previous[option]);
    // An option that cannot be read cannot be put back; it is still set.
    if (getsockopt(fd, opt.level, opt.name, &previous[option], &length) != 0)
      previous[option] = -1;
  }
  for (int option = 0; option < kOptionCount; option++) {
    if (values[option] < 0) continue;
    const Sockopt& opt = kSockopts[option];
    if (setsockopt(fd, opt.level, opt.name, &values[option],
                   sizeof(values[option])) != 0) {
      int error = errno;
      *failed = static_cast<Option>(option);
      // Only where a read came first (restore) is previous[] >= 0.
      for (int done = 0; done < option; done++) {
        if (values[done] < 0 || previous[done] < 0) continue;
        setsockopt(fd, kSockopts[done].level, kSockopts[done].name,
                   &previous[done], sizeof(previous[done]));
      }
      return -error;
    }
  }
  return 0;
}

int GetOptions(int fd, int values[kOptionCount], Option* failed) {
  for (int option = 0; option < kOptionCount; option++) {
    const Sockopt& opt = kSockopts[option];
    if (opt.level < 0) {
      values[option] = 0;  // no such option: the system's behaviour
      continue;
    }
    socklen_t length = sizeof(values[option]);
    if (getsockopt(fd, opt.level, opt.name, &values[option], &length) != 0) {
      *failed = static_cast<Option>(option);
      return -errno;
    }
  }
  // Some systems (macOS) read SO_KEEPALIVE back as the option's flag bit.
  values[kEnabled] = values[kEnabled] != 0;
  return 0;
}

namespace {

void ToEndpoint(const sockaddr_storage& address, Endpoint* endpoint) {
  memset(endpoint, 0, sizeof(*endpoint));
  if (address.ss_family == AF_INET) {
    const sockaddr_in& in4 = reinterpret_cast<const sockaddr_in&>(address);
    endpoint->family = 4;
    endpoint->port = ntohs(in4.sin_port);
    memcpy(endpoint->address, &in4.sin_addr, 4);
  } else if (address.ss_family == AF_INET6) {
    const sockaddr_in6& in6 = reinterpret_cast<const sockaddr_in6&>(address);
    endpoint->family = 6;
    endpoint->port = ntohs(in6.sin6_port);
    memcpy(endpoint->address, &in6.sin6_addr, 16);
  }
}

}  // namespace

int GetEndpoints(int fd, Endpoint* local, Endpoint* remote) {
  sockaddr_storage address = {};
  socklen_t length = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return -errno;
  ToEndpoint(address, local);
  sockaddr_storage peer = {};
  int error = ReadPeerAddress(fd, &peer, &length);
  if (error != 0) return error;
  ToEndpoint(peer, remote);
  return 0;
}

}  // namespace tcp_keepalive_addon
