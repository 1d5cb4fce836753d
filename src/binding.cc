// JavaScript glue: set() and get(), each one native call doing all the
// syscalls of one setKeepAlive or getKeepAlive.
//
// Everything travels through a small Int32Array shared with JavaScript (the
// "slots"): the fd and option values in, the result and the refused option
// out. The two hot functions are plain N-API callbacks that read no arguments
// and return nothing: converting arguments and building results through N-API
// costs more than the margin the syscalls leave (measured in bench/). The
// slots hold nothing between calls that anyone reads: every get fills them
// from the kernel, every set from the caller.
//
// The memory behind the slots belongs to this addon, not to V8: JavaScript
// that holds the array can detach it (structuredClone with transfer,
// ArrayBuffer.prototype.transfer) but cannot free it under a call. Each call
// takes the fd and clears its slot, so after a detach (when JavaScript's
// writes go nowhere) a call finds -1 and fails with EBADF instead of acting
// on the fd of an earlier call; lib/core/native.ts (the only JavaScript that
// touches the slots) refuses such calls first, with a coded error.
#include <napi.h>
#include <string.h>

#include <string>

#include "keepalive.h"

namespace tcp_keepalive_addon {
namespace {

// Slot layout: one slot per Option, then the bookkeeping slots.
enum Slot {
  kFailedSlot = kOptionCount,  // out: the Option the kernel refused
  kFdSlot,                     // in: the socket's fd
  kResultSlot,                 // out: 0 or a negative errno
  kSlotCount
};

// What the hot callbacks need, one per Node environment (main thread or
// worker), handed to them as their data pointer.
// Both ends of a connection, for snapshot(): kEndpointBytes each (local
// first): the family (4 or 6, 0 unknown), a zero, the port (big-endian), and
// 16 bytes of address (the first 4 for IPv4), in network byte order.
constexpr int kEndpointBytes = 20;

// Fds of another process read in one inspectFds() call.
constexpr int kInspectBatch = 256;
// An InspectedFd is read from JavaScript as 32-bit integers.
static_assert(sizeof(InspectedFd) == (4 + kOptionCount + kInfoFieldCount) * 4,
              "InspectedFd has no padding");

struct State {
  int32_t slots[kSlotCount];
  uint32_t info[kInfoFieldCount];  // TCP_INFO fields, indexed by InfoField
  uint8_t endpoints[2 * kEndpointBytes];
  InspectedFd batch[kInspectBatch];  // inspectFds() results
  // Set when a policy here refuses options: then every set reads what it
  // will change first, so a refusal part way can be undone. Otherwise no
  // refusal is possible after validation and sets skip those reads.
  bool restore;
};

State* StateOf(napi_env env, napi_callback_info info) {
  void* data = nullptr;
  napi_get_cb_info(env, info, nullptr, nullptr, nullptr, &data);
  return static_cast<State*>(data);
}

// The fd of this call; the slot is cleared so that no later call can reuse it.
int TakeFd(int32_t* slots) {
  int fd = slots[kFdSlot];
  slots[kFdSlot] = -1;
  return fd;
}

// set(): applies the option slots >= 0 to the socket in the fd slot.
napi_value Set(napi_env env, napi_callback_info info) {
  State* state = StateOf(env, info);
  int32_t* slots = state->slots;
  Option failed = kEnabled;
  slots[kResultSlot] = SetOptions(TakeFd(slots), slots, state->restore, &failed);
  slots[kFailedSlot] = failed;
  return nullptr;
}

// get(): fills the option slots from the kernel.
napi_value Get(napi_env env, napi_callback_info info) {
  int32_t* slots = StateOf(env, info)->slots;
  Option failed = kEnabled;
  slots[kResultSlot] = GetOptions(TakeFd(slots), slots, &failed);
  slots[kFailedSlot] = failed;
  return nullptr;
}

// info(): one getsockopt(TCP_INFO) on the socket in the fd slot into the
// info slots; result slot as for set().
napi_value Info(napi_env env, napi_callback_info info) {
  State* state = StateOf(env, info);
  state->slots[kResultSlot] = GetTcpInfo(TakeFd(state->slots), state->info);
  return nullptr;
}

void StoreEndpoint(const Endpoint& endpoint, uint8_t* bytes) {
  bytes[0] = endpoint.family;
  bytes[1] = 0;
  bytes[2] = static_cast<uint8_t>(endpoint.port >> 8);
  bytes[3] = static_cast<uint8_t>(endpoint.port & 0xff);
  memcpy(bytes + 4, endpoint.address, sizeof(endpoint.address));
}

// snapshot(): what the kernel still knows of a socket as its connection
// ends (state CLOSE, before Node closes the fd): every option, TCP_INFO and
// both endpoints, into the option, info and endpoint slots; result slot as
// for set(). Called only for a connection lost with an error.
napi_value Snapshot(napi_env env, napi_callback_info info) {
  State* state = StateOf(env, info);
  int32_t* slots = state->slots;
  int fd = TakeFd(slots);
  Option failed = kEnabled;
  int result = GetOptions(fd, slots, &failed);
  if (result == 0) result = GetTcpInfo(fd, state->info);
  Endpoint local = {};
  Endpoint remote = {};
  if (result == 0) result = GetEndpoints(fd, &local, &remote);
  StoreEndpoint(local, state->endpoints);
  StoreEndpoint(remote, state->endpoints + kEndpointBytes);
  slots[kResultSlot] = result;
  return nullptr;
}

// tcpTable(states): every TCP socket of this network namespace in one of
// `states` (a bit per tcpi_state) that a file holds, as packed TableEntry
// records (56 bytes each, src/keepalive.h) in an ArrayBuffer, or a negative
// errno.
static_assert(sizeof(TableEntry) == 56, "TableEntry is read from JavaScript as 56 bytes");
Napi::Value TcpTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "tcpTable(states) takes a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<TableEntry> entries;
  int error = ReadTcpTable(info[0].As<Napi::Number>().Uint32Value(), &entries);
  if (error != 0) return Napi::Number::New(env, error);
  Napi::ArrayBuffer table = Napi::ArrayBuffer::New(env, entries.size() * sizeof(TableEntry));
  if (!entries.empty()) memcpy(table.Data(), entries.data(), entries.size() * sizeof(TableEntry));
  return table;
}

// listFds(pid): another process's open fds (/proc/<pid>/fd), ascending, in
// an Int32Array, or a negative errno when the directory cannot be read. Not
// a hot path: arguments are converted and checked the ordinary way.
Napi::Value ListFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "listFds(pid) takes a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<int> fds;
  int error = ListProcessFds(info[0].As<Napi::Number>().Int32Value(), &fds);
  if (error != 0) return Napi::Number::New(env, error);
  Napi::Int32Array list = Napi::Int32Array::New(env, fds.size());
  if (!fds.empty()) memcpy(list.Data(), fds.data(), fds.size() * sizeof(int));
  return list;
}

// findFd(local, localPort, remote, remotePort, candidates, skip): where a
// runtime hides the descriptor (Deno), the fd of this process holding the
// TCP socket with these addresses (remote null: a listener): first among the
// Int32Array `candidates`, then (skip an Int32Array, not null) in
// /proc/self/fd but the sorted fds in `skip`, known to be other sockets'.
// [fd, inode], or a negative errno.
Napi::Value FindFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto int32s = [](const Napi::Value& value) {
    return value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array;
  };
  if (info.Length() != 6 || !info[0].IsString() || !info[1].IsNumber() || !(info[2].IsString() || info[2].IsNull()) ||
      !info[3].IsNumber() || !int32s(info[4]) || !(int32s(info[5]) || info[5].IsNull())) {
    Napi::TypeError::New(env, "findFd(local, localPort, remote, remotePort, candidates, skip) takes a string, a number, a string or null, a number, an Int32Array and an Int32Array or null")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string local = info[0].As<Napi::String>().Utf8Value();
  std::string remote = info[2].IsNull() ? std::string() : info[2].As<Napi::String>().Utf8Value();
  Napi::Int32Array candidates = info[4].As<Napi::Int32Array>();
  static const int kNone = 0;
  const int* skip = &kNone;
  int skip_count = -1;  // candidates only
  if (!info[5].IsNull()) {
    Napi::Int32Array list = info[5].As<Napi::Int32Array>();
    skip_count = static_cast<int>(list.ElementLength());
    if (skip_count > 0) skip = list.Data();
  }
  unsigned long long inode = 0;
  int fd = FindSocketFd(local.c_str(), info[1].As<Napi::Number>().Int32Value(), info[2].IsNull() ? nullptr : remote.c_str(),
                        info[3].As<Napi::Number>().Int32Value(), candidates.ElementLength() > 0 ? candidates.Data() : &kNone,
                        static_cast<int>(candidates.ElementLength()), skip, skip_count, &inode);
  if (fd < 0) return Napi::Number::New(env, fd);
  Napi::Array found = Napi::Array::New(env, 2);
  found.Set(0u, Napi::Number::New(env, fd));
  found.Set(1u, Napi::Number::New(env, static_cast<double>(inode)));
  return found;
}

// fdInode(fd): the inode of the file behind fd, or a negative errno: a
// descriptor found by findFd is confirmed before each use.
Napi::Value FdInode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "fdInode(fd) takes a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  unsigned long long inode = 0;
  int error = SocketInode(info[0].As<Napi::Number>().Int32Value(), &inode);
  return Napi::Number::New(env, error != 0 ? static_cast<double>(error) : static_cast<double>(inode));
}

// idlePriority(progressAfterMs, starvedMs, targetPid): every thread of this
// process under SCHED_IDLE but a watchdog that draws a progress line and
// moves the process back to its own priority once it has waited starvedMs
// for a CPU (the CLI's inspect, so the process it reads never waits behind
// it, and its user never waits blind); the number of threads changed, or a
// negative errno.
Napi::Value IdlePriority(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "idlePriority(progressAfterMs, starvedMs, targetPid) takes three numbers")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  IdleWatchOptions options = {info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value(),
                              info[2].As<Napi::Number>().Int32Value()};
  return Napi::Number::New(env, RunAtIdlePriority(options));
}

// idleWatchQuiet(): the command writes to the terminal; no more progress line.
Napi::Value IdleWatchQuiet(const Napi::CallbackInfo& info) {
  QuietIdleWatch();
  return info.Env().Undefined();
}

// idleWatchStop(): the inspection is over; the watchdog ends.
Napi::Value IdleWatchStop(const Napi::CallbackInfo& info) {
  StopIdleWatch();
  return info.Env().Undefined();
}

// inspectFds(pid, fds, start, count, wanted): reads fds[start .. start +
// count - 1] of another process (count <= the batch capacity) through one
// pidfd into the batch slots, one InspectedFd each; `wanted` is a sorted
// Float64Array of the socket inodes whose options to read, or null for all.
// Returns 0, or a negative errno when the process could not be opened.
Napi::Value InspectFds(const Napi::CallbackInfo& info) {
  State* state = static_cast<State*>(info.Data());
  Napi::Env env = info.Env();
  bool wanted_ok = info.Length() == 5 && (info[4].IsNull() || (info[4].IsTypedArray() &&
                                           info[4].As<Napi::TypedArray>().TypedArrayType() == napi_float64_array));
  if (!wanted_ok || !info[0].IsNumber() || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      !info[2].IsNumber() || !info[3].IsNumber()) {
    Napi::TypeError::New(env, "inspectFds(pid, fds, start, count, wanted) takes a number, an Int32Array, two numbers and a Float64Array or null")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Int32Array fds = info[1].As<Napi::Int32Array>();
  int64_t start = info[2].As<Napi::Number>().Int64Value();
  int64_t count = info[3].As<Napi::Number>().Int64Value();
  int64_t listed = static_cast<int64_t>(fds.ElementLength());
  if (start < 0 || count < 0 || count > kInspectBatch || start > listed || count > listed - start) {
    Napi::RangeError::New(env, "inspectFds: start and count must lie within the fds and the batch")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // An empty list wants nothing (its Data() may be null); null wants every socket.
  static const double kNothing = 0;
  const double* wanted = nullptr;
  int wanted_count = 0;
  if (!info[4].IsNull()) {
    Napi::Float64Array list = info[4].As<Napi::Float64Array>();
    wanted_count = static_cast<int>(list.ElementLength());
    wanted = wanted_count > 0 ? list.Data() : &kNothing;
  }
  int error = InspectProcessFds(info[0].As<Napi::Number>().Int32Value(), fds.Data() + start,
                                static_cast<int>(count), wanted, wanted_count, state->batch);
  return Napi::Number::New(env, error);
}

// A function that calls `callback` directly, without node-addon-api's
// CallbackInfo wrapper, with `state` as its data.
Napi::Function RawFunction(Napi::Env env, const char* name,
                           napi_callback callback, State* state) {
  napi_value function;
  napi_status status = napi_create_function(env, name, NAPI_AUTO_LENGTH,
                                            callback, state, &function);
  NAPI_THROW_IF_FAILED(env, status, Napi::Function());
  return Napi::Function(env, function);
}

class Binding : public Napi::Addon<Binding> {
 public:
  Binding(Napi::Env env, Napi::Object exports) {
    // External buffers over this addon's own memory, with no finalizer: V8
    // never frees it, whatever JavaScript does to the views (see the top).
    for (int32_t& slot : state_.slots) slot = -1;
    Napi::ArrayBuffer buffer =
        Napi::ArrayBuffer::New(env, state_.slots, sizeof(state_.slots));
    Napi::Int32Array slots = Napi::Int32Array::New(env, kSlotCount, buffer, 0);
    Napi::ArrayBuffer info_buffer =
        Napi::ArrayBuffer::New(env, state_.info, sizeof(state_.info));
    Napi::Uint32Array info =
        Napi::Uint32Array::New(env, kInfoFieldCount, info_buffer, 0);
    Napi::ArrayBuffer batch_buffer =
        Napi::ArrayBuffer::New(env, state_.batch, sizeof(state_.batch));
    Napi::Int32Array batch = Napi::Int32Array::New(
        env, kInspectBatch * (sizeof(InspectedFd) / sizeof(int32_t)),
        batch_buffer, 0);
    Napi::ArrayBuffer endpoints_buffer = Napi::ArrayBuffer::New(
        env, state_.endpoints, sizeof(state_.endpoints));
    Napi::Uint8Array endpoints = Napi::Uint8Array::New(
        env, sizeof(state_.endpoints), endpoints_buffer, 0);
    state_.restore = OptionsMayBeRefused();

    Napi::Object info_layout = Napi::Object::New(env);
    info_layout.Set("state", static_cast<double>(kInfoState));
    info_layout.Set("retransmits", static_cast<double>(kInfoRetransmits));
    info_layout.Set("probes", static_cast<double>(kInfoProbes));
    info_layout.Set("backoff", static_cast<double>(kInfoBackoff));
    info_layout.Set("rtoUs", static_cast<double>(kInfoRtoUs));
    info_layout.Set("rttUs", static_cast<double>(kInfoRttUs));
    info_layout.Set("rttVarUs", static_cast<double>(kInfoRttVarUs));
    info_layout.Set("unacked", static_cast<double>(kInfoUnacked));
    info_layout.Set("lost", static_cast<double>(kInfoLost));
    info_layout.Set("totalRetrans", static_cast<double>(kInfoTotalRetrans));
    info_layout.Set("lastDataSentMs", static_cast<double>(kInfoLastDataSentMs));
    info_layout.Set("lastDataRecvMs", static_cast<double>(kInfoLastDataRecvMs));
    info_layout.Set("lastAckRecvMs", static_cast<double>(kInfoLastAckRecvMs));

    Napi::Array state_names = Napi::Array::New(env, kStateNameCount);
    for (uint32_t i = 0; i < kStateNameCount; i++) state_names[i] = kStateNames[i];

    Napi::Object layout = Napi::Object::New(env);
    layout.Set("idle", static_cast<double>(kIdle));
    layout.Set("interval", static_cast<double>(kInterval));
    layout.Set("count", static_cast<double>(kCount));
    layout.Set("userTimeout", static_cast<double>(kUserTimeout));
    layout.Set("enabled", static_cast<double>(kEnabled));
    layout.Set("failed", static_cast<double>(kFailedSlot));
    layout.Set("fd", static_cast<double>(kFdSlot));
    layout.Set("result", static_cast<double>(kResultSlot));

    Napi::Array names = Napi::Array::New(env, kOptionCount);
    for (uint32_t i = 0; i < kOptionCount; i++) names[i] = kSockopts[i].label;

    DefineAddon(exports,
                {
                    InstanceValue("set", RawFunction(env, "set", Set, &state_)),
                    InstanceValue("get", RawFunction(env, "get", Get, &state_)),
                    InstanceValue("info",
                                  RawFunction(env, "info", Info, &state_)),
                    InstanceValue("tcpTable",
                                  Napi::Function::New(env, TcpTable, "tcpTable",
                                                      &state_)),
                    InstanceValue("listFds",
                                  Napi::Function::New(env, ListFds, "listFds",
                                                      &state_)),
                    InstanceValue("idlePriority",
                                  Napi::Function::New(env, IdlePriority,
                                                      "idlePriority", &state_)),
                    InstanceValue("findFd",
                                  Napi::Function::New(env, FindFd, "findFd", &state_)),
                    InstanceValue("fdInode",
                                  Napi::Function::New(env, FdInode, "fdInode", &state_)),
                    InstanceValue("idleWatchQuiet",
                                  Napi::Function::New(env, IdleWatchQuiet,
                                                      "idleWatchQuiet", &state_)),
                    InstanceValue("idleWatchStop",
                                  Napi::Function::New(env, IdleWatchStop,
                                                      "idleWatchStop", &state_)),
                    InstanceValue("inspectFds",
                                  Napi::Function::New(env, InspectFds,
                                                      "inspectFds", &state_)),
                    InstanceValue("batchSlots", batch),
                    InstanceValue("batchCapacity",
                                  Napi::Number::New(env, kInspectBatch)),
                    InstanceValue("snapshot", RawFunction(env, "snapshot",
                                                          Snapshot, &state_)),
                    InstanceValue("infoSlots", info),
                    InstanceValue("endpointSlots", endpoints),
                    InstanceValue("infoLayout", info_layout),
                    InstanceValue("stateNames", state_names),
                    InstanceValue("slots", slots),
                    InstanceValue("layout", layout),
                    InstanceValue("optionNames", names),
                    InstanceValue("restoresOnFailure",
                                  Napi::Boolean::New(env, state_.restore)),
                });
  }

 private:
  // Lives as long as the addon instance of this Node environment, which
  // outlives every JavaScript view of its slots.
  State state_ = {};
};

}  // namespace
}  // namespace tcp_keepalive_addon

using tcp_keepalive_addon::Binding;
NODE_API_ADDON(Binding)
