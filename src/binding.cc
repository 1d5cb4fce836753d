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
#include <napi.h>

#include "keepalive.h"

namespace tcp_keepalive {
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
struct State {
  int32_t* slots;
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

// set(): applies the option slots >= 0 to the socket in the fd slot.
napi_value Set(napi_env env, napi_callback_info info) {
  State* state = StateOf(env, info);
  int32_t* slots = state->slots;
  Option failed = kEnabled;
  slots[kResultSlot] =
      SetOptions(slots[kFdSlot], slots, state->restore, &failed);
  slots[kFailedSlot] = failed;
  return nullptr;
}

// get(): fills the option slots from the kernel.
napi_value Get(napi_env env, napi_callback_info info) {
  int32_t* slots = StateOf(env, info)->slots;
  Option failed = kEnabled;
  slots[kResultSlot] = GetOptions(slots[kFdSlot], slots, &failed);
  slots[kFailedSlot] = failed;
  return nullptr;
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
    Napi::ArrayBuffer buffer =
        Napi::ArrayBuffer::New(env, kSlotCount * sizeof(int32_t));
    Napi::Int32Array slots = Napi::Int32Array::New(env, kSlotCount, buffer, 0);
    // An ArrayBuffer made by N-API keeps its memory in one place for its
    // whole life; the reference keeps it alive as long as this addon.
    slots_ref_ = Napi::Persistent(slots);
    state_.slots = slots.Data();
    state_.restore = OptionsMayBeRefused();

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
    for (uint32_t i = 0; i < kOptionCount; i++) names[i] = kOptionNames[i];

    DefineAddon(exports,
                {
                    InstanceValue("set", RawFunction(env, "set", Set, &state_)),
                    InstanceValue("get", RawFunction(env, "get", Get, &state_)),
                    InstanceValue("slots", slots),
                    InstanceValue("layout", layout),
                    InstanceValue("optionNames", names),
                    InstanceValue("restoresOnFailure",
                                  Napi::Boolean::New(env, state_.restore)),
                });
  }

 private:
  State state_;
  Napi::Reference<Napi::Int32Array> slots_ref_;
};

}  // namespace
}  // namespace tcp_keepalive

using tcp_keepalive::Binding;
NODE_API_ADDON(Binding)
