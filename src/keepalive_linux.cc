// Linux: the option table (constants from the system headers), TCP_INFO, and
// reading another process's sockets (pidfd_getfd). Setting and reading the
// options is keepalive.cc's, the same on every OS.
#include "keepalive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/stat.h>  // struct statx, which not every libc declares (musl)
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

#include "glibc_versions.h"

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

int ReadTcpTable(unsigned int states, std::vector<TableEntry>* entries) {
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return -errno;
  int error = 0;
  std::vector<nlmsghdr> buffer(64 * 1024 / sizeof(nlmsghdr));  // aligned for the messages
  for (unsigned char family : {AF_INET, AF_INET6}) {
    struct {
      nlmsghdr header;
      inet_diag_req_v2 request;
    } dump = {};
    dump.header.nlmsg_len = sizeof(dump);
    dump.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    dump.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    dump.request.sdiag_family = family;
    dump.request.sdiag_protocol = IPPROTO_TCP;
    dump.request.idiag_states = states;
    if (send(fd, &dump, sizeof(dump), 0) < 0) {
      error = -errno;
      break;
    }
    bool done = false;
    while (!done && error == 0) {
      ssize_t length = recv(fd, buffer.data(), buffer.size() * sizeof(nlmsghdr), 0);
      if (length < 0) {
        if (errno == EINTR) continue;
        error = -errno;
        break;
      }
      if (length == 0) break;
      for (nlmsghdr* message = buffer.data(); NLMSG_OK(message, static_cast<unsigned int>(length));
           message = NLMSG_NEXT(message, length)) {
        if (message->nlmsg_type == NLMSG_DONE) {
          done = true;
          break;
        }
        if (message->nlmsg_type == NLMSG_ERROR) {
          error = -EIO;
          const nlmsgerr* failure = static_cast<const nlmsgerr*>(NLMSG_DATA(message));
          if (message->nlmsg_len >= NLMSG_LENGTH(sizeof(nlmsgerr)) && failure->error < 0) error = failure->error;
          break;
        }
        const inet_diag_msg* socket_entry = static_cast<const inet_diag_msg*>(NLMSG_DATA(message));
        if (socket_entry->idiag_inode == 0) continue;  // no file holds it (TIME_WAIT, being accepted)
        TableEntry entry = {};
        entry.inode = socket_entry->idiag_inode;
        entry.expires_ms = socket_entry->idiag_expires;
        entry.local_port = ntohs(socket_entry->id.idiag_sport);
        entry.remote_port = ntohs(socket_entry->id.idiag_dport);
        entry.family = socket_entry->idiag_family == AF_INET6 ? 6 : 4;
        entry.state = socket_entry->idiag_state;
        entry.timer = socket_entry->idiag_timer;
        size_t bytes = entry.family == 6 ? 16 : 4;
        memcpy(entry.local, socket_entry->id.idiag_src, bytes);
        memcpy(entry.remote, socket_entry->id.idiag_dst, bytes);
        entries->push_back(entry);
      }
    }
    if (error != 0) break;
  }
  close(fd);
  return error;
}

int ListProcessFds(int pid, std::vector<int>* fds) {
  char path[48];
  snprintf(path, sizeof path, "/proc/%d/fd", pid);
  DIR* dir = opendir(path);
  if (dir == nullptr) return -errno;
  while (struct dirent* entry = readdir(dir)) {
    if (entry->d_name[0] >= '0' && entry->d_name[0] <= '9') fds->push_back(atoi(entry->d_name));
  }
  closedir(dir);
  std::sort(fds->begin(), fds->end());
  return 0;
}

namespace {

bool Wanted(unsigned long inode, const double* wanted, int count) {
  if (wanted == nullptr) return true;
  return std::binary_search(wanted, wanted + count, static_cast<double>(inode));
}

void InspectOne(int pidfd, int target_fd, const double* wanted, int wanted_count, InspectedFd* result) {
  result->inode_low = result->inode_high = 0;
  result->step = kStepPidfdGetfd;
  // pidfd_getfd sets FD_CLOEXEC on the copy, so a fork here never leaks it.
  int fd = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, target_fd, 0));
  if (fd < 0) {
    result->error = -errno;
    return;
  }
  // statx by the raw syscall: glibc exports fstat and statx only from 2.33 and
  // 2.28, and the prebuilds must load on the glibc of Node's own arm64 builds.
  struct statx status = {};
  result->step = kStepStatx;
  result->error = syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_INO, &status) == 0 ? 0 : -errno;
  if (result->error == 0) {
    result->inode_low = static_cast<unsigned int>(status.stx_ino & 0xffffffffu);
    result->inode_high = static_cast<unsigned int>(status.stx_ino >> 32);
    if (!S_ISSOCK(status.stx_mode)) {
      result->step = kStepNotSocket;
    } else if (!Wanted(status.stx_ino, wanted, wanted_count)) {
      result->step = kStepNotWanted;
    } else {
      result->step = kStepGetsockopt;
      Option failed;
      result->error = GetOptions(fd, result->values, &failed);
      if (result->error == 0) result->error = GetTcpInfo(fd, result->info);
      if (result->error == 0) result->step = kStepDone;
    }
  }
  close(fd);
}

}  // namespace

namespace {

struct InspectRange {
  int pidfd;
  const int* fds;
  int from;
  int to;
  const double* wanted;
  int wanted_count;
  InspectedFd* results;
};

// For inspect's progress line (idle_watch_linux.cc), added to every 16
// sockets: a relaxed add beside nine syscalls a socket.
std::atomic<long> sockets_read{0};
std::atomic<long> sockets_wanted{-1};

void* InspectRangeOf(void* arg) {
  const InspectRange* range = static_cast<const InspectRange*>(arg);
  long read = 0;
  for (int i = range->from; i < range->to; i++) {
    InspectOne(range->pidfd, range->fds[i], range->wanted, range->wanted_count, &range->results[i]);
    int step = range->results[i].step;
    if (step == kStepDone || step == kStepGetsockopt) read++;
    if (read == 16) {
      sockets_read.fetch_add(read, std::memory_order_relaxed);
      read = 0;
    }
  }
  sockets_read.fetch_add(read, std::memory_order_relaxed);
  return nullptr;
}

}  // namespace

int InspectProcessFds(int pid, const int* fds, int count, const double* wanted,
                      int wanted_count, InspectedFd* results) {
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return -errno;
  sockets_wanted.store(wanted == nullptr ? -1 : wanted_count, std::memory_order_relaxed);
  // Nine syscalls a socket that wait on nothing but the kernel: where there
  // is a second CPU, a second thread takes half of a large batch (0.43 s ->
  // 0.35 s for 20 000 sockets here).
  int half = count >= 128 && sysconf(_SC_NPROCESSORS_ONLN) > 1 ? count / 2 : count;
  InspectRange second = {pidfd, fds, half, count, wanted, wanted_count, results};
  pthread_t helper;
  bool started = half < count && pthread_create(&helper, nullptr, InspectRangeOf, &second) == 0;
  InspectRange first = {pidfd, fds, 0, started ? half : count, wanted, wanted_count, results};
  InspectRangeOf(&first);
  if (started) pthread_join(helper, nullptr);
  close(pidfd);
  return 0;
}

void InspectProgress(long* read, long* wanted) {
  *read = sockets_read.load(std::memory_order_relaxed);
  *wanted = sockets_wanted.load(std::memory_order_relaxed);
}

}  // namespace tcp_keepalive_addon
