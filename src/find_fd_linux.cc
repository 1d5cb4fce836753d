// Runtimes that hide a socket's descriptor (Deno 2's node:net gives no fd on
// its handles): the descriptor of this process that holds the TCP socket with
// given addresses, found in /proc/self/fd by asking each socket its own
// addresses (getsockname, getpeername), and the inode that names it, so that
// a later call can confirm the number still holds the same socket.
#include "keepalive.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/stat.h>  // struct statx, which not every libc declares (musl)
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

namespace tcp_keepalive_addon {
namespace {

// An address as 16 bytes and a port, IPv4 as IPv4-mapped IPv6 (a dual-stack
// socket reports ::ffff:a.b.c.d where its peer is IPv4).
struct Wanted {
  unsigned char address[16];
  int port;
};

bool Parse(const char* text, int port, Wanted* out) {
  memset(out->address, 0, sizeof out->address);
  out->port = port;
  struct in_addr v4;
  if (inet_pton(AF_INET, text, &v4) == 1) {
    out->address[10] = out->address[11] = 0xff;
    memcpy(out->address + 12, &v4, 4);
    return true;
  }
  return inet_pton(AF_INET6, text, out->address) == 1;
}

bool Same(const struct sockaddr_storage& address, const Wanted& wanted);

// Whether fd is the TCP socket with these addresses (remote null: a listener): getsockname, then getpeername or SO_ACCEPTCONN.
bool Matches(int fd, const Wanted& here, const Wanted* there) {
  struct sockaddr_storage address;
  socklen_t length = sizeof address;
  // Not a socket (ENOTSOCK), not open (EBADF), or not this one.
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 || !Same(address, here)) return false;
  if (there == nullptr) {
    int listening = 0;
    socklen_t size = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 || listening != 1) return false;
  } else {
    length = sizeof address;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 || !Same(address, *there)) return false;
  }
  int type = 0;
  socklen_t size = sizeof type;
  return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) == 0 && type == SOCK_STREAM;
}

bool Same(const struct sockaddr_storage& address, const Wanted& wanted) {
  unsigned char bytes[16] = {};
  int port;
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    bytes[10] = bytes[11] = 0xff;
    memcpy(bytes + 12, &v4->sin_addr, 4);
    port = ntohs(v4->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    memcpy(bytes, &v6->sin6_addr, 16);
    port = ntohs(v6->sin6_port);
  } else {
    return false;
  }
  return port == wanted.port && memcmp(bytes, wanted.address, 16) == 0;
}

}  // namespace

int SocketInode(int fd, unsigned long long* inode) {
  // statx by the raw syscall, as InspectOne does (glibc and musl differ).
  struct statx status = {};
  if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_INO, &status) != 0) return -errno;
  *inode = status.stx_ino;
  return 0;
}

int FindSocketFd(const char* local, int local_port, const char* remote, int remote_port,
                 const int* candidates, int candidate_count, const int* skip, int skip_count,
                 unsigned long long* inode) {
  Wanted here, there = {};
  if (!Parse(local, local_port, &here) || (remote != nullptr && !Parse(remote, remote_port, &there))) return -EINVAL;
  const Wanted* peer = remote == nullptr ? nullptr : &there;
  // Where a new socket most likely is (numbers freed lately, the ones past
  // the highest known): a few syscalls each, no directory read.
  for (int i = 0; i < candidate_count; i++) {
    if (Matches(candidates[i], here, peer) && SocketInode(candidates[i], inode) == 0) return candidates[i];
  }
  if (skip_count < 0) return -ENOENT;  // candidates only
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -errno;
  int own = dirfd(dir);
  int found = -ENOENT;
  while (struct dirent* entry = readdir(dir)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    int fd = atoi(entry->d_name);
    // The directory's own fd, and those the caller knows to be other sockets'.
    if (fd == own || std::binary_search(skip, skip + skip_count, fd)) continue;
    if (Matches(fd, here, peer) && SocketInode(fd, inode) == 0) {
      found = fd;
      break;
    }
  }
  closedir(dir);
  return found;
}

}  // namespace tcp_keepalive_addon
