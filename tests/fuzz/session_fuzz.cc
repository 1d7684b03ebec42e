// libFuzzer: one Session message as the daemon decodes it (raw_message.h),
// through the validation and conversion every kind of message gets before it
// reaches the graph (session_reactor.cc). Any crash, leak, overflow or
// sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/core/condition.h"
#include "daemon/service/convert.h"
#include "daemon/service/raw_message.h"
#include "daemon/service/validate.h"

namespace d = ::hother::cancelable::daemon;
namespace pb = ::hother::cancelable::v1;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  grpc::Slice slice(data, size);
  grpc::ByteBuffer bytes(&slice, 1);
  pb::SessionRequest request;
  if (!d::Decode(bytes, &request).ok() || !d::ValidateBatchSize(request).ok()) return 0;
  switch (request.kind_case()) {
    case pb::SessionRequest::kHello:
      (void)d::ValidateHello(request.hello());
      break;
    case pb::SessionRequest::kRegister: {
      const auto& items = request.register_().items();
      for (int i = 0; i < items.size(); ++i) {
        if (!d::ValidateRegisterItem(absl::StrCat("register.items[", i, "]"), items[i]).ok()) {
          continue;
        }
        d::RegisterSpec spec = d::FromProto(items[i]);
        if (spec.timeout.has_value()) (void)(absl::Now() + *spec.timeout);
        for (const pb::ConditionSubscription& c : items[i].conditions()) {
          (void)d::ParseCondition(c.condition());
          if (c.has_interval()) (void)d::FromProto(c.interval());
        }
      }
      break;
    }
    case pb::SessionRequest::kProgress:
      for (const pb::ProgressItem& item : request.progress().items()) {
        (void)d::ValidateProgressItem("progress.items[0]", item);
      }
      break;
    case pb::SessionRequest::kFinish:
      for (const pb::FinishItem& item : request.finish().items()) {
        (void)d::ValidateFinishItem("finish.items[0]", item);
        (void)d::FinalStatusFromProto(item.status());
      }
      break;
    case pb::SessionRequest::kHeartbeat:
    case pb::SessionRequest::KIND_NOT_SET:
      break;
  }
  return 0;
}
