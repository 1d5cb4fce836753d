// macOS implementation of the platform layer. Built in CI (zig, x86_64 and
// aarch64) so it is known to compile and link; not shipped as a prebuild until
// it has run on a Mac. Differences from Linux, from <netinet/tcp.h>:
// idle is TCP_KEEPALIVE (seconds); TCP_KEEPINTVL and TCP_KEEPCNT exist since
// 10.8; there is no TCP_USER_TIMEOUT (TCP_RXT_CONNDROPTIME counts seconds and
// means something else), so it reads as 0 and setting it fails with ENOTSUP
// (keepalive.cc, from the level -1 below);
// TCP_INFO is TCP_CONNECTION_INFO (struct tcp_connection_info); there is no
// pidfd_getfd, so inspecting another process is ENOSYS.
#include "keepalive.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tcp_keepalive_addon {

// Indexed by Option; no TCP_USER_TIMEOUT (level -1).
const Sockopt kSockopts[kOptionCount] = {
    {IPPROTO_TCP, TCP_KEEPALIVE, "TCP_KEEPALIVE"},
    {IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL"},
    {IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT"},
    {-1, 0, "TCP_USER_TIMEOUT"},
    {SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE"},
};

// macOS numbers its TCP states (TCPS_*, netinet/tcp_fsm.h) differently from
// Linux; tcp_connection_info reports them. Names indexed by that number.
const char* const kStateNames[kStateNameCount] = {
    "CLOSE",      "LISTEN",    "SYN_SENT",  "SYN_RECV",
    "ESTABLISHED", "CLOSE_WAIT", "FIN_WAIT1", "CLOSING",
    "LAST_ACK",   "FIN_WAIT2", "TIME_WAIT", "",
    "",           "",          "",          "",
};

bool OptionsMayBeRefused() {
  // No seccomp-style policy filters socket options on macOS.
  return false;
}

int ReadPeerAddress(int fd, struct sockaddr_storage* address, socklen_t* length) {
  *length = sizeof(*address);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(address), length) != 0) return -errno;
  return 0;
}

int GetTcpInfo(int fd, unsigned int info[kInfoFieldCount]) {
  struct tcp_connection_info raw = {};
  socklen_t length = sizeof(raw);
  if (getsockopt(fd, IPPROTO_TCP, TCP_CONNECTION_INFO, &raw, &length) != 0)
    return -errno;
  for (int field = 0; field < kInfoFieldCount; field++) info[field] = 0;
  info[kInfoState] = raw.tcpi_state;
  info[kInfoRtoUs] = raw.tcpi_rto * 1000;       // ms
  info[kInfoRttUs] = raw.tcpi_srtt * 1000;      // ms
  info[kInfoRttVarUs] = raw.tcpi_rttvar * 1000;  // ms
  info[kInfoTotalRetrans] = static_cast<unsigned int>(raw.tcpi_txretransmitpackets);
  return 0;
}

int ReadTcpTable(unsigned int, std::vector<TableEntry>*) { return -ENOSYS; }

int ListProcessFds(int, std::vector<int>*) { return -ENOSYS; }

int FindSocketFd(const char*, int, const char*, int, const int*, int, const int*, int, unsigned long long*) {
  return -ENOSYS;
}

int SocketInode(int, unsigned long long*) { return -ENOSYS; }

int RunAtIdlePriority(const IdleWatchOptions&) { return -ENOSYS; }

void QuietIdleWatch() {}

void StopIdleWatch() {}

void InspectProgress(long* read, long* wanted) {
  *read = 0;
  *wanted = -1;
}

int InspectProcessFds(int, const int*, int, const double*, int, InspectedFd*) {
  return -ENOSYS;
}

}  // namespace tcp_keepalive_addon
