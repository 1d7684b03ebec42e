// libFuzzer: every unary request as the daemon decodes it. The first byte
// picks the RPC; the rest is its request's bytes, through Decode, the
// request's validation and its conversion to the core's types
// (canceld_service.cc). Any crash or sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/time/clock.h"
#include "daemon/core/labels.h"
#include "daemon/core/selector.h"
#include "daemon/service/convert.h"
#include "daemon/service/raw_message.h"
#include "daemon/service/validate.h"

namespace d = ::hother::cancelable::daemon;
namespace pb = ::hother::cancelable::v1;

namespace {

template <typename Request>
bool Parse(const uint8_t* data, size_t size, Request* request) {
  grpc::Slice slice(data, size);
  grpc::ByteBuffer bytes(&slice, 1);
  return d::Decode(bytes, request).ok();
}

template <typename Request, typename Check>
void Fuzz(const uint8_t* data, size_t size, Check check) {
  Request request;
  if (Parse(data, size, &request)) check(request);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t rpc = data[0] % 12;
  ++data;
  --size;
  switch (rpc) {
    case 0:
      Fuzz<pb::CancelRequest>(data, size, [](auto& r) { (void)d::ValidateCancelRequest(r); });
      break;
    case 1:
      Fuzz<pb::CancelAllRequest>(data, size, [](auto& r) {
        if (d::ValidateCancelAllRequest(r).ok()) (void)d::FromProto(r.filter(), "filter");
      });
      break;
    case 2:
      Fuzz<pb::ListOperationsRequest>(data, size, [](auto& r) {
        if (d::ValidateListOperationsRequest(r).ok()) (void)d::FromProto(r.filter(), "filter");
      });
      break;
    case 3:
      Fuzz<pb::GetOperationRequest>(data, size,
                                    [](auto& r) { (void)d::ValidateGetOperationRequest(r); });
      break;
    case 4:
      Fuzz<pb::WatchRequest>(data, size, [](auto& r) {
        if (d::ValidateWatchRequest(r).ok()) (void)d::FromProto(r.filter(), "filter");
      });
      break;
    case 5:
      Fuzz<pb::CreateTokenRequest>(data, size, [](auto& r) {
        if (!d::ValidateCreateTokenRequest(r).ok()) return;
        d::TokenSpec spec = d::FromProto(r);
        if (spec.timeout.has_value()) (void)(absl::Now() + *spec.timeout);
      });
      break;
    case 6:
      Fuzz<pb::ListTokensRequest>(data, size, [](auto& r) {
        if (d::ValidateListTokensRequest(r).ok()) (void)d::Selector::Parse(r.selector());
      });
      break;
    case 7:
      Fuzz<pb::CancelTokenRequest>(data, size,
                                   [](auto& r) { (void)d::ValidateCancelTokenRequest(r); });
      break;
    case 8:
      Fuzz<pb::LinkTokensRequest>(data, size,
                                  [](auto& r) { (void)d::ValidateLinkTokensRequest(r); });
      break;
    case 9:
      Fuzz<pb::DeleteTokenRequest>(data, size,
                                   [](auto& r) { (void)d::ValidateDeleteTokenRequest(r); });
      break;
    case 10:
      Fuzz<pb::SetDeadlineRequest>(data, size, [](auto& r) {
        if (d::ValidateSetDeadlineRequest(r).ok()) (void)d::DeadlineFromProto(r, absl::Now());
      });
      break;
    default:
      Fuzz<pb::GetTokenRequest>(data, size,
                                [](auto& r) { (void)d::ValidateTokenName("name", r.name()); });
      break;
  }
  return 0;
}
