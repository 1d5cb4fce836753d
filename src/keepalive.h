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

#include <vector>

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

// Runtimes that hide a socket's descriptor (Deno), Linux; ENOSYS elsewhere.

// The fd of this process holding the TCP socket whose local address and port
// are `local`:`local_port` and whose peer is `remote`:`remote_port` (remote
// null: a listening socket): first among `candidates` (in order), then, unless
// skip_count < 0, among /proc/self/fd but the sorted fds in `skip`; its inode
// in `*inode`. Returns the fd, -ENOENT where none does, or a negative errno.
int FindSocketFd(const char* local, int local_port, const char* remote, int remote_port,
                 const int* candidates, int candidate_count, const int* skip, int skip_count,
                 unsigned long long* inode);

// The inode of the file behind fd (statx), or a negative errno.
int SocketInode(int fd, unsigned long long* inode);

// Other processes' sockets, read from outside them (Linux; ENOSYS elsewhere).

// The open fds of process `pid`, from /proc/<pid>/fd, ascending. Returns 0, or
// a negative errno when the directory cannot be read.
int ListProcessFds(int pid, std::vector<int>* fds);

// How inspect runs at idle priority without leaving its user waiting blind
// (src/idle_watch_linux.cc): a watchdog thread, left at the process's own
// priority and asleep but for a moment every 200 ms, that writes a progress
// line on stderr where stderr is a terminal (after progress_after_ms), and
// moves the process back to its own priority once its threads have waited
// starved_ms in all for a CPU (every CPU busy), saying so once on stderr.
struct IdleWatchOptions {
  int progress_after_ms;
  int starved_ms;
  int target_pid;  // the process inspected, for the messages
};

// Starts the watchdog, then puts every other thread of this process (threads
// started later inherit it) under SCHED_IDLE, so that while it inspects
// another process that process never waits for a CPU behind it. Returns the
// number of threads changed, or a negative errno when none could be.
int RunAtIdlePriority(const IdleWatchOptions& options);

// The command writes to the terminal now: the progress line is cleared and
// not drawn again (the rows show the progress).
void QuietIdleWatch();

// The inspection is over: the progress line is cleared and the watchdog ends.
void StopIdleWatch();

// Sockets InspectProcessFds has read since the process started, and how many
// it was asked for in its last call (-1: every socket, a number not known).
void InspectProgress(long* read, long* wanted);

// One TCP socket of this network namespace, as the kernel's socket
// diagnostics (sock_diag, what `ss` reads) list it. 56 bytes, no padding.
struct TableEntry {
  unsigned long long inode;
  unsigned int expires_ms;     // until the timer fires
  unsigned short local_port;
  unsigned short remote_port;
  unsigned char family;        // 4 or 6
  unsigned char state;         // tcpi_state
  unsigned char timer;         // 0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 zero-window probe
  unsigned char unused;
  unsigned char local[16];     // network order; the first 4 for IPv4
  unsigned char remote[16];
};

// Every TCP socket of this process's network namespace in one of `states`
// (a bit per tcpi_state), IPv4 and IPv6, that a file still holds (inode > 0),
// appended to `entries`. Returns 0 or a negative errno.
int ReadTcpTable(unsigned int states, std::vector<TableEntry>* entries);

// Where reading one fd of another process stopped.
enum InspectStep {
  kStepDone = 0,     // a socket, read: inode, values and info are filled
  kStepPidfdGetfd,   // duplicating it failed (EBADF: closed since it was listed)
  kStepStatx,        // its inode could not be read
  kStepNotSocket,    // not a socket (inode filled)
  kStepNotWanted,    // a socket whose inode is not among those asked for (inode filled)
  kStepGetsockopt,   // reading an option or TCP_INFO failed (inode filled; a Unix domain socket, say)
};

struct InspectedFd {
  int step;   // InspectStep
  int error;  // 0, or a negative errno from that step
  unsigned int inode_low;
  unsigned int inode_high;
  int values[kOptionCount];
  unsigned int info[kInfoFieldCount];
};

// Reads `count` fds of process `pid` through one pidfd (pidfd_open and
// pidfd_getfd, Linux >= 5.6; needs ptrace permission over it): for each, a
// copy of the fd, its inode (statx on the copy: the file read is the file
// named, even if the process reused the number since it was listed), and
// for a socket whose inode is among `wanted` (sorted; all when `wanted` is
// null) every option and TCP_INFO; the copy is closed. Returns 0 with every
// result filled, or a negative errno when pidfd_open failed (nothing read).
int InspectProcessFds(int pid, const int* fds, int count, const double* wanted,
                      int wanted_count, InspectedFd* results);

}  // namespace tcp_keepalive_addon

#endif  // TCP_KEEPALIVE_ADDON_KEEPALIVE_H_
