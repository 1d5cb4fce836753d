// macOS implementation of the platform layer. Built in CI (zig, x86_64 and
// aarch64) so it is known to compile and link; not shipped as a prebuild until
// it has run on a Mac. Differences from Linux, from <netinet/tcp.h>:
// idle is TCP_KEEPALIVE (seconds); TCP_KEEPINTVL and TCP_KEEPCNT exist since
// 10.8; there is no TCP_USER_TIMEOUT (TCP_RXT_CONNDROPTIME counts seconds and
// means something else), so it reads as 0 and setting it fails with ENOTSUP;
// TCP_INFO is TCP_CONNECTION_INFO (struct tcp_connection_info); there is no
// pidfd_getfd, so inspecting another process is ENOSYS.
#include "keepalive.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tcp_keepalive_addon {

namespace {

struct Sockopt {
  int level;
  int name;
};

// Indexed by Option; kUserTimeout has no counterpart (level -1).
constexpr Sockopt kSockopts[kOptionCount] = {
    {IPPROTO_TCP, TCP_KEEPALIVE},
    {IPPROTO_TCP, TCP_KEEPINTVL},
    {IPPROTO_TCP, TCP_KEEPCNT},
    {-1, 0},
    {SOL_SOCKET, SO_KEEPALIVE},
};

}  // namespace

const char* const kOptionNames[kOptionCount] = {
    "TCP_KEEPALIVE", "TCP_KEEPINTVL", "TCP_KEEPCNT", "TCP_USER_TIMEOUT",
    "SO_KEEPALIVE",
};

// macOS numbers its TCP states (TCPS_*, netinet/tcp_fsm.h) differently from
// Linux; tcp_connection_info reports them. Names indexed by that number.
const char* const kStateNames[kStateNameCount] = {
    "CLOSE",      "LISTEN",    "SYN_SENT",  "SYN_RECV",
    "ESTABLISHED", "CLOSE_WAIT", "FIN_WAIT1", "CLOSING",
    "LAST_ACK",   "FIN_WAIT2", "TIME_WAIT", "",
    "",           "",          "",          "",
};

int SetOptions(int fd, const int values[kOptionCount], bool restore,
               Option* failed) {
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
      for (int done = 0; restore && done < option; done++) {
        if (values[done] < 0 || previous[done] < 0) continue;
        setsockopt(fd, kSockopts[done].level, kSockopts[done].name,
                   &previous[done], sizeof(previous[done]));
      }
      return -error;
    }
  }
  return 0;
}

bool OptionsMayBeRefused() {
  // No seccomp-style policy filters socket options on macOS.
  return false;
}

int GetOptions(int fd, int values[kOptionCount], Option* failed) {
  for (int option = 0; option < kOptionCount; option++) {
    const Sockopt& opt = kSockopts[option];
    if (opt.level < 0) {
      values[option] = 0;  // no user timeout: the system's behaviour
      continue;
    }
    socklen_t length = sizeof(values[option]);
    if (getsockopt(fd, opt.level, opt.name, &values[option], &length) != 0) {
      *failed = static_cast<Option>(option);
      return -errno;
    }
    // SO_KEEPALIVE reads back as the option's flag bit, not 1.
    if (option == kEnabled) values[option] = values[option] != 0;
  }
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

int InspectProcessSocket(int, int, unsigned long, int[kOptionCount],
                         unsigned int[kInfoFieldCount], const char** step) {
  *step = "pidfd_getfd";
  return -ENOSYS;
}

}  // namespace tcp_keepalive_addon
