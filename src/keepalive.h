// The keepalive operations under src/binding.cc, in two layers (as
// fs-native-extensions keeps them): what is the same on every OS is written
// once in keepalive.cc (setting and reading the options, the rollback of a
// set refused part way); each OS file (keepalive_linux.cc,
// keepalive_darwin.cc, later keepalive_freebsd.cc, picked in binding.gyp)
// supplies only what differs, declared at the end of this header. No Node or
// N-API types here. The namespace is not `tcp_keepalive`: Winsock declares a
// struct of that name.
#ifndef TCP_KEEPALIVE_ADDON_KEEPALIVE_H_
#define TCP_KEEPALIVE_ADDON_KEEPALIVE_H_

#include <sys/socket.h>

namespace tcp_keepalive_addon {

// The options in the order a set applies them. SO_KEEPALIVE comes last so
// that a call refused part way never turns keepalive on.
enum Option {
  kIdle = 0,         // TCP_KEEPIDLE, seconds
  kInterval = 1,     // TCP_KEEPINTVL, seconds
  kCount = 2,        // TCP_KEEPCNT, probes
  kUserTimeout = 3,  // TCP_USER_TIMEOUT, milliseconds
  kEnabled = 4,      // SO_KEEPALIVE, 0 or 1
  kOptionCount = 5
};

// --- Written once, in keepalive.cc -----------------------------------------

// Sets every option whose value is >= 0 (a negative value means "leave it"),
// in Option order. Returns 0, or a negative errno with *failed the option the
// kernel refused. With `restore` true it first reads the options it will
// change and, if the kernel refuses one part way, puts back those it already
// changed; without, those stay applied (see OptionsMayBeRefused).
int SetOptions(int fd, const int values[kOptionCount], bool restore,
               Option* failed);

// Reads all options in force into values. Returns 0 or a negative errno,
// with *failed the option that could not be read.
int GetOptions(int fd, int values[kOptionCount], Option* failed);

// --- Supplied by each OS file -----------------------------------------------

// How the OS names an Option to setsockopt; level < 0 where it has no such
// option (a set of it fails with ENOTSUP before any syscall, a read gives 0).
struct Sockopt {
  int level;
  int name;
  const char* label;  // the header's name, for error messages
};

// Indexed by Option.
extern const Sockopt kSockopts[kOptionCount];

// Whether this process may see the kernel refuse a valid option part way
// through a set. Valid values are checked before the first syscall, so only a
// policy can (seccomp, an LSM, a cgroup BPF program), and such policies are in
// place before a program starts: this tries each option once on a scratch
// socket, writing back the value it read. True also when it cannot tell.
bool OptionsMayBeRefused();

// The TCP_INFO fields this library reports, in the kernel's units.
enum InfoField {
  kInfoState = 0,         // tcpi_state (TCP_ESTABLISHED ...)
  kInfoRetransmits,       // tcpi_retransmits: timeouts of the head segment now
  kInfoProbes,            // tcpi_probes: unanswered keepalive / window probes
  kInfoBackoff,           // tcpi_backoff
  kInfoRtoUs,             // tcpi_rto, microseconds
  kInfoRttUs,             // tcpi_rtt, microseconds
  kInfoRttVarUs,          // tcpi_rttvar, microseconds
  kInfoUnacked,           // tcpi_unacked, segments
  kInfoLost,              // tcpi_lost, segments
  kInfoTotalRetrans,      // tcpi_total_retrans
  kInfoLastDataSentMs,    // tcpi_last_data_sent, ms ago
  kInfoLastDataRecvMs,    // tcpi_last_data_recv, ms ago
  kInfoLastAckRecvMs,     // tcpi_last_ack_recv, ms ago
  kInfoFieldCount
};

// Socket state names indexed by tcpi_state, from the system header's enum
// (empty where a number has no name).
constexpr int kStateNameCount = 16;
extern const char* const kStateNames[kStateNameCount];

// One getsockopt(TCP_INFO): fills every InfoField. Returns 0 or a negative errno.
int GetTcpInfo(int fd, unsigned int info[kInfoFieldCount]);

// One end of a connection: family 4 or 6 (0 when unknown), port, and the
// address in network byte order (4 bytes for IPv4, 16 for IPv6).
struct Endpoint {
  unsigned char family;
  unsigned short port;
  unsigned char address[16];
};

// Both ends of a connection, also once the kernel has ended it (state CLOSE,
// where getpeername fails): the local end from getsockname, the remote one
// from ReadPeerAddress. Written once, in keepalive.cc. Returns 0 or a
// negative errno.
int GetEndpoints(int fd, Endpoint* local, Endpoint* remote);

// The peer's address, also in state CLOSE. Supplied by each OS file (Linux:
// SO_PEERNAME, which the kernel answers for a closed socket). `*length` is
// the size of the socket's own address (from getsockname) on the way in.
int ReadPeerAddress(int fd, struct sockaddr_storage* address, socklen_t* length);

// Another process's socket, read from outside it: duplicates `target_fd` of
// process `pid` (pidfd_open + pidfd_getfd, Linux >= 5.6; needs ptrace
// permission over it), checks that the copy is the socket with inode
// `inode` (the process may have closed the fd and opened another under the
// same number since it was listed: then -ESTALE from "readlink", the step
// that reads the copy's inode), reads every
// option and TCP_INFO, closes the copy.
// Returns 0 or a negative errno; *step names the call that failed.
int InspectProcessSocket(int pid, int target_fd, unsigned long inode,
                         int values[kOptionCount],
                         unsigned int info[kInfoFieldCount], const char** step);

}  // namespace tcp_keepalive_addon

#endif  // TCP_KEEPALIVE_ADDON_KEEPALIVE_H_
