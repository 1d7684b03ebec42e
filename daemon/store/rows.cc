#include "daemon/store/rows.h"

#include <algorithm>
#include <type_traits>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "hother/cancelable/internal/random.h"

namespace hother::cancelable::daemon {
namespace {

// The row of `record` (one hop: its cause is named by id).
void AddRecord(const std::shared_ptr<const CancellationDetails>& record, bool of_token,
               std::vector<RowChange>& out) {
  if (record == nullptr || record->record_id == 0) return;  // not the daemon's: not stored
  RecordRow row;
  row.id = record->record_id;
  row.of_token = of_token;
  row.subject = record->origin_id;
  row.reason = record->reason;
  row.message = record->message;
  row.time = record->time;
  row.actor = record->actor;
  row.cause = record->cause == nullptr ? 0 : record->cause->record_id;
  out.emplace_back(std::move(row));
}

uint64_t IdOf(const std::shared_ptr<const CancellationDetails>& record) {
  return record == nullptr ? 0 : record->record_id;
}

void AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

bool ReadVarint(absl::string_view& in, uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in.empty()) return false;
    const auto byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

absl::Status Damaged(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("damaged ", what));
}

}  // namespace

void ToRows(const Mutation& mutation, std::vector<RowChange>& out) {
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, journal::TokenPut>) {
          AddRecord(m.token.cancel, /*of_token=*/true, out);
          TokenRow row{m.token, IdOf(m.token.cancel)};
          row.token.cancel.reset();
          out.emplace_back(std::move(row));
        } else if constexpr (std::is_same_v<T, journal::TokenDeleted>) {
          out.emplace_back(TokenDeletedRow{m.name});
        } else if constexpr (std::is_same_v<T, journal::LinkPut>) {
          out.emplace_back(LinkRow{m.source, m.target});
        } else if constexpr (std::is_same_v<T, journal::OperationCancelled>) {
          AddRecord(m.record, /*of_token=*/false, out);
        } else if constexpr (std::is_same_v<T, journal::OperationFinished>) {
          AddRecord(m.operation->cancel, /*of_token=*/false, out);
          HistoryRow row{m.order, *m.operation, IdOf(m.operation->cancel)};
          row.operation.cancel.reset();
          row.operation.child_ids.clear();  // rebuilt from parent ids
          out.emplace_back(std::move(row));
        } else {
          out.emplace_back(SelectorCancelRow{m.cancel});
        }
      },
      mutation);
}

absl::StatusOr<StoredState> Assemble(StoredRows rows) {
  StoredState state;
  state.epoch = rows.epoch;
  state.event_sequence = rows.event_sequence;
  state.clean_shutdown = rows.clean_shutdown;
  absl::flat_hash_map<uint64_t, const RecordRow*> by_id;
  for (const RecordRow& row : rows.records) {
    by_id[row.id] = &row;
    state.next_record_id = std::max(state.next_record_id, row.id + 1);
  }
  // Each record built once, its cause first (iteratively: chains of any
  // length), and shared by every record and row that names it.
  absl::flat_hash_map<uint64_t, std::shared_ptr<const CancellationDetails>> built;
  auto build = [&](uint64_t id) -> absl::StatusOr<std::shared_ptr<const CancellationDetails>> {
    if (id == 0) return nullptr;
    std::vector<const RecordRow*> pending;
    for (uint64_t at = id; at != 0 && !built.contains(at);) {
      auto row = by_id.find(at);
      if (row == by_id.end()) {
        return absl::DataLossError(absl::StrCat("cancellation record ", at,
                                                " is missing (named by record ",
                                                pending.empty() ? id : pending.back()->id, ")"));
      }
      if (pending.size() > rows.records.size()) {
        return absl::DataLossError(absl::StrCat("cancellation record ", id, " is in a cycle"));
      }
      pending.push_back(row->second);
      at = row->second->cause;
    }
    for (auto it = pending.rbegin(); it != pending.rend(); ++it) {
      const RecordRow& row = **it;
      auto record = std::make_shared<CancellationDetails>();
      record->reason = row.reason;
      record->message = row.message;
      record->time = row.time;
      record->origin_id = row.subject;
      record->actor = row.actor;
      record->record_id = row.id;
      if (row.cause != 0) record->SetCause(built.at(row.cause));
      built[row.id] = std::move(record);
    }
    return built.at(id);
  };
  for (TokenRow& row : rows.tokens) {
    absl::StatusOr<std::shared_ptr<const CancellationDetails>> cancel = build(row.cancel);
    if (!cancel.ok()) return cancel.status();
    row.token.cancel = *std::move(cancel);
    state.tokens.push_back(std::move(row.token));
  }
  for (LinkRow& row : rows.links) {
    state.links.emplace_back(std::move(row.source), std::move(row.target));
  }
  // The operations with a record, less those in the history: the pending.
  absl::flat_hash_set<absl::string_view> pending;
  for (const RecordRow& row : rows.records) {
    if (!row.of_token) pending.insert(row.subject);
  }
  state.history.reserve(rows.history.size());
  for (HistoryRow& row : rows.history) {
    absl::StatusOr<std::shared_ptr<const CancellationDetails>> cancel = build(row.cancel);
    if (!cancel.ok()) return cancel.status();
    row.operation.cancel = *std::move(cancel);
    if (!pending.empty()) pending.erase(row.operation.id());
    state.history.emplace_back(row.order, std::move(row.operation));
  }
  for (const RecordRow& row : rows.records) {
    if (row.of_token || !pending.contains(row.subject)) continue;
    absl::StatusOr<std::shared_ptr<const CancellationDetails>> record = build(row.id);
    if (!record.ok()) return record.status();
    state.pending_cancels.push_back(*std::move(record));
  }
  state.selector_cancels = std::move(rows.selector_cancels);
  return state;
}

uint32_t NextEpoch(uint32_t previous) {
  constexpr uint32_t kLimit = 1u << 22;
  if (previous != 0 && previous + 1 < kLimit) return previous + 1;
  return 1 + static_cast<uint32_t>(internal::ThreadRandom()() % (1u << 20));
}

std::string EncodeStrings(const std::vector<std::string>& strings) {
  std::string out;
  AppendVarint(out, strings.size());
  for (const std::string& s : strings) {
    AppendVarint(out, s.size());
    out.append(s);
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> DecodeStrings(absl::string_view blob) {
  uint64_t count = 0;
  if (!ReadVarint(blob, count) || count > blob.size()) return Damaged("list of strings");
  std::vector<std::string> out;
  out.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t size = 0;
    if (!ReadVarint(blob, size) || size > blob.size()) return Damaged("list of strings");
    out.emplace_back(blob.substr(0, size));
    blob.remove_prefix(size);
  }
  if (!blob.empty()) return Damaged("list of strings (trailing bytes)");
  return out;
}

std::string EncodeLabels(const Labels& labels) {
  std::vector<std::pair<std::string, std::string>> sorted(labels.begin(), labels.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> flat;
  flat.reserve(sorted.size() * 2);
  for (auto& [key, value] : sorted) {
    flat.push_back(std::move(key));
    flat.push_back(std::move(value));
  }
  return EncodeStrings(flat);
}

absl::StatusOr<Labels> DecodeLabels(absl::string_view blob) {
  absl::StatusOr<std::vector<std::string>> flat = DecodeStrings(blob);
  if (!flat.ok()) return Damaged("labels");
  if (flat->size() % 2 != 0) return Damaged("labels (odd count)");
  Labels labels;
  for (size_t i = 0; i < flat->size(); i += 2) labels[(*flat)[i]] = (*flat)[i + 1];
  return labels;
}

}  // namespace hother::cancelable::daemon
