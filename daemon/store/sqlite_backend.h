// SqliteBackend: the state store's rows in one SQLite file (WAL mode), the
// durable home of canceld's state (docs/DAEMON.md, "State").
//
//   absl::StatusOr<std::unique_ptr<SqliteBackend>> backend =
//       SqliteBackend::Create("/var/lib/canceld/state.db", /*sync=*/true);
//
// `sync`: every commit is on disk before Commit returns (synchronous=FULL:
// the WAL is fsynced at each commit). Otherwise (synchronous=NORMAL) a commit
// survives a crash of canceld as soon as Commit returns, and a crash of the
// machine once the WAL is checkpointed.
//
// The schema has a version (PRAGMA user_version): an older file is migrated
// forward, step by step, in one transaction; a newer one is refused, naming
// both versions. A file that is not a database, or a damaged one, is
// refused with its path and SQLite's error: canceld never starts empty over
// a file it could not read.
//
// Thread-safety: as StoreBackend (one caller at a time).
#ifndef HOTHER_CANCELABLE_DAEMON_STORE_SQLITE_BACKEND_H_
#define HOTHER_CANCELABLE_DAEMON_STORE_SQLITE_BACKEND_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "daemon/store/backend.h"

struct sqlite3;
struct sqlite3_stmt;

namespace hother::cancelable::daemon {

// The schema version this daemon writes.
inline constexpr int kSchemaVersion = 3;

class SqliteBackend : public StoreBackend {
 public:
  // Opens (creating it when missing) and migrates the file at `path`.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SqliteBackend>> Create(
      const std::string& path, bool sync);
  // A new file at schema version `version` (older than kSchemaVersion): for
  // the tests of migration.
  [[nodiscard]] static absl::Status CreateAtVersionForTest(const std::string& path, int version);
  ~SqliteBackend() override;

  absl::StatusOr<StoredRows> Open(absl::Time now, const Retention& retention) override;
  absl::Status Commit(const std::vector<RowChange>& changes, uint64_t event_sequence,
                      const Retention& retention) override;
  absl::Status MarkCleanShutdown(uint64_t event_sequence) override;
  std::string Describe() const override;

 private:
  class Statement;
  SqliteBackend(std::string path, sqlite3* db);
  // SQLite's error for `what`, as a status naming the file.
  absl::Status Error(absl::string_view what, int code) const;
  absl::Status Exec(const char* sql);
  absl::Status Migrate(int target);
  absl::Status Prune(absl::Time now, const Retention& retention);
  absl::Status ReadAll(StoredRows& rows);
  absl::Status ReadHistory(StoredRows& rows);
  absl::Status ReadSelectorCancels(StoredRows& rows);
  // Runs `sql`, calling `each` on every row.
  absl::Status Query(const char* sql, const std::function<absl::Status(Statement&)>& each);
  // DATA_LOSS for a row of `table` that does not decode.
  absl::Status Damaged(absl::string_view table, const std::string& key,
                       const absl::Status& why) const;
  absl::Status SetMeta(const char* key, int64_t value);
  absl::Status Apply(const RowChange& change);
  // Writes a finished operation's row; SQLite's result code.
  int PutHistory(const HistoryRow& row);
  absl::Status Prepare();

  const std::string path_;
  sqlite3* db_;
  std::vector<std::unique_ptr<Statement>> statements_;
  Statement* put_record_ = nullptr;
  Statement* put_token_ = nullptr;
  Statement* delete_token_ = nullptr;
  Statement* delete_links_ = nullptr;
  Statement* put_link_ = nullptr;
  Statement* put_history_ = nullptr;
  Statement* put_selector_ = nullptr;
  Statement* set_meta_ = nullptr;
  Statement* trim_history_ = nullptr;
  size_t history_rows_ = 0;
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_STORE_SQLITE_BACKEND_H_
