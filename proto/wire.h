// Conversions between the library's vocabulary and the wire types, shared by
// the daemon's service and the client SDK (each side converts its own types
// in one file, on top of these): reasons, times, durations and cancellation
// records with their cause chains.
//
// Thread-safety: stateless functions.
#ifndef HOTHER_CANCELABLE_PROTO_WIRE_H_
#define HOTHER_CANCELABLE_PROTO_WIRE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "hother/cancelable/cancel_reason.h"
#include "hother/cancelable/v1/cancelable.pb.h"

namespace hother::cancelable::wire {

namespace pb = ::hother::cancelable::v1;

pb::CancelReason ToProto(CancelReason reason);
std::optional<CancelReason> FromProto(pb::CancelReason reason);

void ToProto(absl::Time time, google::protobuf::Timestamp* out);
absl::Time FromProto(const google::protobuf::Timestamp& time);
void ToProto(absl::Duration duration, google::protobuf::Duration* out);
absl::Duration FromProto(const google::protobuf::Duration& duration);

// The record and its chain of causes, newest first, bounded: at most
// kMaxWireCauses hops (the nearest ones from `cause_offset` on, then the root;
// CancelDetails.omitted_causes counts those between), so that what a cancel
// costs on the wire does not grow with the depth of the tree it came down.
// The rest of a long chain is fetched with GetOperation's cause_offset.
inline constexpr size_t kMaxWireCauses = 32;
void ToProto(const CancellationDetails& details, pb::CancelDetails* out, size_t cause_offset = 0);
// Omitted hops become the `omitted_causes` of the hop before the root.
std::shared_ptr<const CancellationDetails> FromProto(const pb::CancelDetails& details);

// Bounds the daemon enforces on text the SDK sends (docs/DAEMON.md, Bounds);
// the SDK shortens what it would otherwise have refused.
inline constexpr size_t kMaxProgressMessageBytes = 1024;
inline constexpr size_t kMaxFinishErrorBytes = 4096;
// `text` cut to at most `max_bytes` at a UTF-8 character boundary, ending in
// "..." when cut.
std::string Shorten(std::string text, size_t max_bytes);

// A batched session message (registrations, progress, finishes; replies,
// cancel notices, errors) carries at most this many items and, past its first
// item, at most this many bytes, so that it stays far below gRPC's 4 MiB
// default message limit however many operations one session holds and however
// large their metadata or cause chains: a CancelAll of 100,000 operations of
// one session reaches it as 100 notices or more, a re-registration after a
// reconnect as many requests. Replies that list operations (ListOperations,
// CancelAll) keep to the same byte budget.
inline constexpr int kMaxBatchItems = 1000;
inline constexpr size_t kMaxBatchBytes = 1 << 20;

// The message itself, or its items in order over messages within both
// budgets (an item larger than the byte budget travels alone).
std::vector<pb::SessionRequest> SplitBatch(pb::SessionRequest request);
std::vector<pb::SessionResponse> SplitBatch(pb::SessionResponse response);

// Appends `from`'s items to `into` when both are batches of the same kind
// (registrations, progress or finishes) and fit both budgets together, given
// what each weighs (`into_bytes` is updated); false (nothing changed)
// otherwise.
bool MergeBatch(pb::SessionRequest& into, size_t& into_bytes, pb::SessionRequest& from,
                size_t from_bytes);

}  // namespace hother::cancelable::wire

#endif  // HOTHER_CANCELABLE_PROTO_WIRE_H_
