// JavaScript glue: two functions, set(fd) and get(fd), each one native call.
//
// Values travel through a small Int32Array shared with JavaScript (the
// "slots") instead of arguments and a result object: converting five numbers
// and building an object through N-API would cost more than the syscalls'
// margin over their floor. The slots hold nothing between calls that anyone
// reads: every get fills them from the kernel, every set from the caller.
#include <napi.h>

#include "keepalive.h"

namespace tcp_keepalive {
namespace {

// Slot layout: one slot per Option, then the option that failed.
constexpr int kFailedSlot = kOptionCount;
constexpr int kSlotCount = kOptionCount + 1;

class Binding : public Napi::Addon<Binding> {
 public:
  Binding(Napi::Env env, Napi::Object exports) {
    Napi::ArrayBuffer buffer =
        Napi::ArrayBuffer::New(env, kSlotCount * sizeof(int32_t));
    Napi::Int32Array slots =
        Napi::Int32Array::New(env, kSlotCount, buffer, 0);
    // An ArrayBuffer made by N-API keeps its memory in one place for its
    // whole life; the reference keeps it alive as long as this addon.
    slots_ = slots.Data();
    restore_ = OptionsMayBeRefused();
    slots_ref_ = Napi::Persistent(slots);

    Napi::Object layout = Napi::Object::New(env);
    layout.Set("idle", static_cast<double>(kIdle));
    layout.Set("interval", static_cast<double>(kInterval));
    layout.Set("count", static_cast<double>(kCount));
    layout.Set("userTimeout", static_cast<double>(kUserTimeout));
    layout.Set("enabled", static_cast<double>(kEnabled));
    layout.Set("failed", static_cast<double>(kFailedSlot));

    Napi::Array names = Napi::Array::New(env, kOptionCount);
    for (uint32_t i = 0; i < kOptionCount; i++) names[i] = kOptionNames[i];

    DefineAddon(exports,
                {
                    InstanceMethod("set", &Binding::Set),
                    InstanceMethod("get", &Binding::Get),
                    InstanceValue("slots", slots),
                    InstanceValue("layout", layout),
                    InstanceValue("optionNames", names),
                    InstanceValue("restoresOnFailure",
                                  Napi::Boolean::New(env, restore_)),
                });
  }

 private:
  // set(fd): applies the slots >= 0. Returns 0 or a negative errno, with the
  // refused option in the failed slot.
  Napi::Value Set(const Napi::CallbackInfo& info) {
    Option failed = kEnabled;
    int result = SetOptions(Fd(info), slots_, restore_, &failed);
    if (result != 0) slots_[kFailedSlot] = failed;
    return Napi::Number::New(info.Env(), result);
  }

  // get(fd): fills the option slots from the kernel. Returns like set().
  Napi::Value Get(const Napi::CallbackInfo& info) {
    Option failed = kEnabled;
    int result = GetOptions(Fd(info), slots_, &failed);
    if (result != 0) slots_[kFailedSlot] = failed;
    return Napi::Number::New(info.Env(), result);
  }

  // The JavaScript layer validated the fd; a non-number here becomes -1 and
  // the kernel answers EBADF rather than the addon guessing.
  static int Fd(const Napi::CallbackInfo& info) {
    int32_t fd = -1;
    napi_get_value_int32(info.Env(), info[0], &fd);
    return fd;
  }

  int32_t* slots_;
  // Set when a policy refuses options here: then every set reads what it
  // will change first, so a refusal part way can be undone. Otherwise no
  // refusal after validation is possible and sets skip those reads.
  bool restore_;
  Napi::Reference<Napi::Int32Array> slots_ref_;
};

}  // namespace
}  // namespace tcp_keepalive

using tcp_keepalive::Binding;
NODE_API_ADDON(Binding)
