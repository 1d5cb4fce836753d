// Linux: the option table (constants from the system headers), TCP_INFO, and
// reading another process's sockets (pidfd_getfd). Setting and reading the
// options is keepalive.cc's, the same on every OS.
#include "keepalive.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace tcp_keepalive_addon {

// Indexed by Option.
const Sockopt kSockopts[kOptionCount] = {
    {IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE"},
    {IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL"},
    {IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT"},
    {IPPROTO_TCP, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT"},
    {SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE"},
};

bool OptionsMayBeRefused() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return true;
  int values[kOptionCount];
  Option failed;
  bool refused = GetOptions(fd, values, &failed) != 0 ||
                 SetOptions(fd, values, false, &failed) != 0;
  close(fd);
  return refused;
}

int ReadPeerAddress(int fd, struct sockaddr_storage* address, socklen_t* length) {
  // getpeername refuses a socket in state CLOSE (ENOTCONN), which is where a
  // connection the kernel ended is; SO_PEERNAME asks the same question
  // without that check (net/core/sock.c: getname with peer = 2). The length
  // must not exceed the address's own (else EINVAL): the caller's, from
  // getsockname, is the family's.
  if (getsockopt(fd, SOL_SOCKET, SO_PEERNAME, address, length) != 0) return -errno;
  return 0;
}

const char* const kStateNames[kStateNameCount] = {
    "",           "ESTABLISHED", "SYN_SENT",   "SYN_RECV",
    "FIN_WAIT1",  "FIN_WAIT2",   "TIME_WAIT",  "CLOSE",
    "CLOSE_WAIT", "LAST_ACK",    "LISTEN",     "CLOSING",
    "",           "",            "",           "",
};
static_assert(TCP_ESTABLISHED == 1 && TCP_CLOSING == 11,
              "kStateNames follows the order of <netinet/tcp.h>");

int GetTcpInfo(int fd, unsigned int info[kInfoFieldCount]) {
  struct tcp_info raw = {};
  socklen_t length = sizeof(raw);
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &raw, &length) != 0) return -errno;
  info[kInfoState] = raw.tcpi_state;
  info[kInfoRetransmits] = raw.tcpi_retransmits;
  info[kInfoProbes] = raw.tcpi_probes;
  info[kInfoBackoff] = raw.tcpi_backoff;
  info[kInfoRtoUs] = raw.tcpi_rto;
  info[kInfoRttUs] = raw.tcpi_rtt;
  info[kInfoRttVarUs] = raw.tcpi_rttvar;
  info[kInfoUnacked] = raw.tcpi_unacked;
  info[kInfoLost] = raw.tcpi_lost;
  info[kInfoTotalRetrans] = raw.tcpi_total_retrans;
  info[kInfoLastDataSentMs] = raw.tcpi_last_data_sent;
  info[kInfoLastDataRecvMs] = raw.tcpi_last_data_recv;
  info[kInfoLastAckRecvMs] = raw.tcpi_last_ack_recv;
  return 0;
}

int InspectProcessSocket(int pid, int target_fd, unsigned long inode,
                         int values[kOptionCount],
                         unsigned int info[kInfoFieldCount], const char** step) {
  *step = "pidfd_open";
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return -errno;
  *step = "pidfd_getfd";
  int fd = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, target_fd, 0));
  int error = fd < 0 ? -errno : 0;
  close(pidfd);
  if (error != 0) return error;
  // pidfd_getfd sets FD_CLOEXEC on the copy, so a fork here never leaks it.
  // The copy's inode, from /proc/self/fd ("socket:[12345]") rather than
  // fstat, which glibc exports only from 2.33: the prebuilds must load on
  // the older glibc of Node's own arm64 builds.
  *step = "readlink";
  char path[32];
  char link[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t length = readlink(path, link, sizeof link - 1);
  if (length < 0) {
    error = -errno;
  } else {
    link[length] = '\0';
    char* end = nullptr;
    unsigned long found = strncmp(link, "socket:[", 8) == 0 ? strtoul(link + 8, &end, 10) : 0;
    if (end == nullptr || *end != ']' || found != inode) error = -ESTALE;  // another file holds that fd number now
  }
  if (error != 0) {
    close(fd);
    return error;
  }
  *step = "getsockopt";
  Option failed;
  error = GetOptions(fd, values, &failed);
  if (error == 0) error = GetTcpInfo(fd, info);
  close(fd);
  return error;
}

}  // namespace tcp_keepalive_addon
