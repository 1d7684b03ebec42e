#include "proto/wire.h"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "hother/cancelable/internal/enum_names.h"

namespace hother::cancelable::wire {
namespace {

constexpr std::array<std::pair<CancelReason, pb::CancelReason>, 8> kReasons = {{
    {CancelReason::kTimeout, pb::CANCEL_REASON_TIMEOUT},
    {CancelReason::kManual, pb::CANCEL_REASON_MANUAL},
    {CancelReason::kSignal, pb::CANCEL_REASON_SIGNAL},
    {CancelReason::kCondition, pb::CANCEL_REASON_CONDITION},
    {CancelReason::kParent, pb::CANCEL_REASON_PARENT},
    {CancelReason::kError, pb::CANCEL_REASON_ERROR},
    {CancelReason::kOwnerLost, pb::CANCEL_REASON_OWNER_LOST},
    {CancelReason::kShutdown, pb::CANCEL_REASON_SHUTDOWN},
}};

void HopToProto(const CancellationDetails& hop, pb::Cancellation* out) {
  out->set_reason(ToProto(hop.reason));
  out->set_message(hop.message);
  ToProto(hop.time, out->mutable_time());
  out->set_actor(hop.actor);
  out->set_origin_id(hop.origin_id);
}

std::shared_ptr<CancellationDetails> HopFromProto(const pb::Cancellation& hop) {
  auto out = std::make_shared<CancellationDetails>();
  out->reason = FromProto(hop.reason()).value_or(CancelReason::kManual);
  out->message = hop.message();
  out->time = FromProto(hop.time());
  out->actor = hop.actor();
  out->origin_id = hop.origin_id();
  return out;
}

}  // namespace

pb::CancelReason ToProto(CancelReason reason) {
  return internal::SecondOf<pb::CancelReason>(kReasons, reason)
      .value_or(pb::CANCEL_REASON_UNSPECIFIED);
}

std::optional<CancelReason> FromProto(pb::CancelReason reason) {
  return internal::FirstOf<CancelReason>(kReasons, reason);
}

void ToProto(absl::Time time, google::protobuf::Timestamp* out) {
  const int64_t nanos = absl::ToUnixNanos(time);
  out->set_seconds(nanos / 1'000'000'000);
  out->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
}

absl::Time FromProto(const google::protobuf::Timestamp& time) {
  return absl::FromUnixSeconds(time.seconds()) + absl::Nanoseconds(time.nanos());
}

void ToProto(absl::Duration duration, google::protobuf::Duration* out) {
  const int64_t nanos = absl::ToInt64Nanoseconds(duration);
  out->set_seconds(nanos / 1'000'000'000);
  out->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
}

absl::Duration FromProto(const google::protobuf::Duration& duration) {
  return absl::Seconds(duration.seconds()) + absl::Nanoseconds(duration.nanos());
}

void ToProto(const CancellationDetails& details, pb::CancelDetails* out, size_t cause_offset) {
  HopToProto(details, out->mutable_cancellation());
  const CancellationDetails* hop = details.cause.get();
  size_t skipped = 0;  // hops before the offset, with the gaps after them
  for (; hop != nullptr && skipped < cause_offset; hop = hop->cause.get()) {
    skipped += 1 + hop->omitted_causes;
  }
  size_t sent = 0;
  for (; hop != nullptr && sent + 1 < kMaxWireCauses; hop = hop->cause.get()) {
    HopToProto(*hop, out->add_cause_chain());
    ++sent;
  }
  if (hop != nullptr) {  // more than fit: the root closes the chain
    HopToProto(details.Root(), out->add_cause_chain());
    ++sent;
  }
  // Whatever is behind `details` and neither skipped nor sent; a chain that
  // itself came over the wire carries its own gaps.
  if (details.depth > skipped + sent) out->set_omitted_causes(details.depth - skipped - sent);
}

std::shared_ptr<const CancellationDetails> FromProto(const pb::CancelDetails& details) {
  // Built from the root up, so each hop can point at its cause; the omitted
  // hops sit between the root and the hop before it.
  const size_t omitted = details.omitted_causes() > 0 ? details.omitted_causes() : 0;
  std::shared_ptr<const CancellationDetails> cause;
  for (int i = details.cause_chain_size() - 1; i >= 0; --i) {
    std::shared_ptr<CancellationDetails> hop = HopFromProto(details.cause_chain(i));
    const bool before_root = i == details.cause_chain_size() - 2;
    hop->SetCause(std::move(cause), before_root ? omitted : 0);
    cause = std::move(hop);
  }
  std::shared_ptr<CancellationDetails> top = HopFromProto(details.cancellation());
  top->SetCause(std::move(cause), details.cause_chain_size() == 1 ? omitted : 0);
  return top;
}

namespace {

template <typename Message, typename Batch>
std::vector<Message> Split(Message message, Batch* (Message::*mutable_batch)()) {
  auto* items = (message.*mutable_batch)()->mutable_items();
  std::vector<Message> parts;
  if (items->size() <= kMaxBatchItems && message.ByteSizeLong() <= kMaxBatchBytes) {
    parts.push_back(std::move(message));
    return parts;
  }
  size_t bytes = 0;
  for (int i = 0; i < items->size(); ++i) {
    const size_t item_bytes = items->Get(i).ByteSizeLong();
    if (parts.empty() || (parts.back().*mutable_batch)()->items_size() == kMaxBatchItems ||
        bytes + item_bytes > kMaxBatchBytes) {
      parts.emplace_back();
      bytes = 0;
    }
    *(parts.back().*mutable_batch)()->add_items() = std::move(*items->Mutable(i));
    bytes += item_bytes;
  }
  return parts;
}

}  // namespace

std::vector<pb::SessionRequest> SplitBatch(pb::SessionRequest request) {
  switch (request.kind_case()) {
    case pb::SessionRequest::kRegister:
      return Split(std::move(request), &pb::SessionRequest::mutable_register_);
    case pb::SessionRequest::kProgress:
      return Split(std::move(request), &pb::SessionRequest::mutable_progress);
    case pb::SessionRequest::kFinish:
      return Split(std::move(request), &pb::SessionRequest::mutable_finish);
    default: {
      std::vector<pb::SessionRequest> one;
      one.push_back(std::move(request));
      return one;
    }
  }
}

namespace {

template <typename Batch>
bool Append(Batch& into, size_t& into_bytes, Batch& from, size_t from_bytes) {
  if (into.items_size() + from.items_size() > kMaxBatchItems ||
      into_bytes + from_bytes > kMaxBatchBytes) {
    return false;
  }
  into.mutable_items()->Reserve(into.items_size() + from.items_size());
  for (auto& item : *from.mutable_items()) *into.add_items() = std::move(item);
  into_bytes += from_bytes;
  return true;
}

}  // namespace

bool MergeBatch(pb::SessionRequest& into, size_t& into_bytes, pb::SessionRequest& from,
                size_t from_bytes) {
  if (into.kind_case() != from.kind_case()) return false;
  switch (into.kind_case()) {
    case pb::SessionRequest::kRegister:
      return Append(*into.mutable_register_(), into_bytes, *from.mutable_register_(), from_bytes);
    case pb::SessionRequest::kProgress:
      return Append(*into.mutable_progress(), into_bytes, *from.mutable_progress(), from_bytes);
    case pb::SessionRequest::kFinish:
      return Append(*into.mutable_finish(), into_bytes, *from.mutable_finish(), from_bytes);
    default:
      return false;
  }
}

std::vector<pb::SessionResponse> SplitBatch(pb::SessionResponse response) {
  switch (response.kind_case()) {
    case pb::SessionResponse::kRegistered:
      return Split(std::move(response), &pb::SessionResponse::mutable_registered);
    case pb::SessionResponse::kCancel:
      return Split(std::move(response), &pb::SessionResponse::mutable_cancel);
    case pb::SessionResponse::kErrors:
      return Split(std::move(response), &pb::SessionResponse::mutable_errors);
    default: {
      std::vector<pb::SessionResponse> one;
      one.push_back(std::move(response));
      return one;
    }
  }
}

std::string Shorten(std::string text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  constexpr absl::string_view kEllipsis = "...";
  size_t keep = max_bytes > kEllipsis.size() ? max_bytes - kEllipsis.size() : 0;
  // Back up over UTF-8 continuation bytes (10xxxxxx) to a character start.
  while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
  text.resize(keep);
  const absl::string_view tail = kEllipsis.substr(0, max_bytes - keep);
  text.append(tail.data(), tail.size());
  return text;
}

}  // namespace hother::cancelable::wire
