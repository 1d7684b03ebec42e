#include "daemon/store/sqlite_backend.h"

#include <sqlite3.h>

#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace hother::cancelable::daemon {
namespace {

// The schema, one migration per version: migration i takes a file from
// version i to i + 1. A new file runs them all.
constexpr const char* kMigrations[] = {
    // 0 -> 1: tokens, links, cancellation records, the history, and meta.
    R"sql(
      CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE records(
        id INTEGER PRIMARY KEY, of_token INTEGER NOT NULL, subject TEXT NOT NULL,
        reason INTEGER NOT NULL, message TEXT NOT NULL, time_ns INTEGER NOT NULL,
        actor TEXT NOT NULL, cause INTEGER NOT NULL);
      CREATE INDEX records_subject ON records(subject);
      CREATE TABLE tokens(
        name TEXT PRIMARY KEY, labels BLOB NOT NULL, created_ns INTEGER NOT NULL,
        deadline_ns INTEGER, all_of BLOB NOT NULL, cancel INTEGER NOT NULL);
      CREATE TABLE links(source TEXT NOT NULL, target TEXT NOT NULL,
                         PRIMARY KEY(source, target)) WITHOUT ROWID;
      CREATE TABLE history(
        ord INTEGER PRIMARY KEY, id TEXT NOT NULL, name TEXT NOT NULL, labels BLOB NOT NULL,
        metadata BLOB NOT NULL, session INTEGER NOT NULL, process TEXT NOT NULL,
        pid INTEGER NOT NULL, host TEXT NOT NULL, parent_id TEXT NOT NULL,
        created_ns INTEGER NOT NULL, finished_ns INTEGER, deadline_ns INTEGER,
        status INTEGER NOT NULL, cancel INTEGER NOT NULL, cancel_requested_ns INTEGER,
        error TEXT NOT NULL, progress_message TEXT, progress_metadata BLOB, progress_ns INTEGER);
      CREATE INDEX history_id ON history(id);
    )sql",
    // 1 -> 2: selector cancels (CancelAll), matched against operations that
    // register again after a restart.
    R"sql(
      CREATE TABLE selector_cancels(
        id INTEGER PRIMARY KEY, selector TEXT NOT NULL, name_glob TEXT NOT NULL,
        statuses BLOB NOT NULL, owner TEXT NOT NULL, message TEXT NOT NULL,
        actor TEXT NOT NULL, time_ns INTEGER NOT NULL, epoch INTEGER NOT NULL,
        next_number INTEGER NOT NULL);
    )sql",
    // 2 -> 3: verified principals (issue 12): a token's creator, a finished
    // operation's owner, a cancel-all narrowed to its caller's operations.
    R"sql(
      ALTER TABLE tokens ADD COLUMN creator TEXT NOT NULL DEFAULT '';
      ALTER TABLE history ADD COLUMN principal TEXT NOT NULL DEFAULT '';
      ALTER TABLE history ADD COLUMN uid INTEGER NOT NULL DEFAULT -1;
      ALTER TABLE history ADD COLUMN user TEXT NOT NULL DEFAULT '';
      ALTER TABLE selector_cancels ADD COLUMN principal TEXT NOT NULL DEFAULT '';
    )sql",
};
static_assert(std::size(kMigrations) == kSchemaVersion);

int64_t Nanos(absl::Time t) { return absl::ToUnixNanos(t); }
absl::Time FromNanos(int64_t ns) { return absl::FromUnixNanos(ns); }

}  // namespace

// A prepared statement, reset after each use.
class SqliteBackend::Statement {
 public:
  Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement& Bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& Bind(int i, absl::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& BindBlob(int i, absl::string_view v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(int i, const std::optional<absl::Time>& t) {
    if (t.has_value()) {
      sqlite3_bind_int64(stmt_, i, Nanos(*t));
    } else {
      sqlite3_bind_null(stmt_, i);
    }
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  int Run() {
    int rc = sqlite3_step(stmt_);
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    return rc == SQLITE_ROW ? SQLITE_DONE : rc;
  }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool Null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::optional<absl::Time> Time(int col) const {
    if (Null(col)) return std::nullopt;
    return FromNanos(Int(col));
  }
  std::string Text(int col) const {
    const void* data = sqlite3_column_blob(stmt_, col);
    const int size = sqlite3_column_bytes(stmt_, col);
    return data == nullptr ? std::string() : std::string(static_cast<const char*>(data), size);
  }

 private:
  sqlite3_stmt* const stmt_;
};

absl::StatusOr<std::unique_ptr<SqliteBackend>> SqliteBackend::Create(const std::string& path,
                                                                     bool sync) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<SqliteBackend> backend(new SqliteBackend(path, db));
  if (rc != SQLITE_OK) return backend->Error("cannot open it", rc);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_extended_result_codes(db, 1);
  // WAL: readers never block the writer, and a commit appends to the log.
  if (absl::Status s = backend->Exec("PRAGMA journal_mode=WAL"); !s.ok()) return s;
  if (absl::Status s =
          backend->Exec(sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = backend->Migrate(kSchemaVersion); !s.ok()) return s;
  if (absl::Status s = backend->Prepare(); !s.ok()) return s;
  return backend;
}

absl::Status SqliteBackend::CreateAtVersionForTest(const std::string& path, int version) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  SqliteBackend backend(path, db);
  if (rc != SQLITE_OK) return backend.Error("cannot open it", rc);
  return backend.Migrate(version);
}

SqliteBackend::SqliteBackend(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

SqliteBackend::~SqliteBackend() {
  statements_.clear();
  sqlite3_close(db_);
}

std::string SqliteBackend::Describe() const { return absl::StrCat("sqlite ", path_); }

absl::Status SqliteBackend::Error(absl::string_view what, int code) const {
  const char* detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
  std::string message =
      absl::StrCat("state store ", path_, ": ", what, ": ", detail, " (SQLite error ", code, ")");
  switch (code & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(absl::StrCat(
          message, "; move the file aside (canceld --reset-state) or use another --state-dir"));
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(message);
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return absl::PermissionDeniedError(message);
    default:
      return absl::InternalError(message);
  }
}

absl::Status SqliteBackend::Exec(const char* sql) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
  sqlite3_free(error);
  if (rc != SQLITE_OK)
    return Error(absl::StrCat("cannot run ", absl::string_view(sql).substr(0, 40)), rc);
  return absl::OkStatus();
}

absl::Status SqliteBackend::Migrate(int target) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, "PRAGMA user_version", -1, &raw, nullptr);
  if (rc != SQLITE_OK) return Error("cannot read the schema version", rc);
  Statement version_query(raw);
  rc = version_query.Step();
  if (rc != SQLITE_ROW) return Error("cannot read the schema version", rc);
  const int64_t version = version_query.Int(0);
  version_query.Reset();
  if (version > kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "state store ", path_, " has schema version ", version, ", newer than this canceld's (",
        kSchemaVersion, "): run the newer canceld, or use another --state-dir"));
  }
  if (version >= target) return absl::OkStatus();
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  for (int64_t v = version; v < target; ++v) {
    if (absl::Status s = Exec(kMigrations[v]); !s.ok()) {
      (void)Exec("ROLLBACK");
      return s;
    }
  }
  if (absl::Status s = Exec(absl::StrCat("PRAGMA user_version=", target).c_str()); !s.ok()) {
    (void)Exec("ROLLBACK");
    return s;
  }
  return Exec("COMMIT");
}

absl::Status SqliteBackend::Prepare() {
  auto prepare = [&](const char* sql, Statement*& out) -> absl::Status {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    if (rc != SQLITE_OK) return Error("cannot prepare a statement", rc);
    statements_.push_back(std::make_unique<Statement>(raw));
    out = statements_.back().get();
    return absl::OkStatus();
  };
  const std::pair<const char*, Statement**> all[] = {
      {"INSERT OR IGNORE INTO records VALUES(?1,?2,?3,?4,?5,?6,?7,?8)", &put_record_},
      {"INSERT OR REPLACE INTO tokens VALUES(?1,?2,?3,?4,?5,?6,?7)", &put_token_},
      {"DELETE FROM tokens WHERE name = ?1", &delete_token_},
      {"DELETE FROM links WHERE source = ?1 OR target = ?1", &delete_links_},
      {"INSERT OR IGNORE INTO links VALUES(?1,?2)", &put_link_},
      {"INSERT OR REPLACE INTO history VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,"
       "?16,?17,?18,?19,?20,?21,?22,?23)",
       &put_history_},
      {"INSERT INTO selector_cancels(selector, name_glob, statuses, owner, message, actor, time_ns,"
       " epoch, next_number, principal) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
       &put_selector_},
      {"INSERT OR REPLACE INTO meta VALUES(?1,?2)", &set_meta_},
      {"DELETE FROM history WHERE ord IN (SELECT ord FROM history ORDER BY ord LIMIT ?1)",
       &trim_history_},
  };
  for (const auto& [sql, out] : all) {
    if (absl::Status s = prepare(sql, *out); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status SqliteBackend::SetMeta(const char* key, int64_t value) {
  int rc = set_meta_->Bind(1, absl::string_view(key)).Bind(2, value).Run();
  if (rc != SQLITE_DONE) return Error("cannot write meta", rc);
  return absl::OkStatus();
}

absl::StatusOr<StoredRows> SqliteBackend::Open(absl::Time now, const Retention& retention) {
  // Every page is read here: a damaged file is found now, not later.
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  StoredRows rows;
  absl::Status status = Prune(now, retention);
  if (status.ok()) status = ReadAll(rows);
  if (status.ok()) {
    rows.epoch = NextEpoch(rows.epoch);
    status = SetMeta("epoch", rows.epoch);
  }
  if (status.ok()) status = SetMeta("clean_shutdown", 0);
  if (!status.ok()) {
    (void)Exec("ROLLBACK");
    return status;
  }
  if (absl::Status s = Exec("COMMIT"); !s.ok()) return s;
  history_rows_ = rows.history.size();
  return rows;
}

absl::Status SqliteBackend::Prune(absl::Time now, const Retention& retention) {
  const std::string sql = absl::StrCat(
      "DELETE FROM history WHERE finished_ns < ", Nanos(now - retention.history_age), ";",
      "DELETE FROM history WHERE ord IN (SELECT ord FROM history ORDER BY ord DESC LIMIT -1 "
      "OFFSET ",
      retention.history, ");", "DELETE FROM selector_cancels WHERE time_ns < ",
      Nanos(now - retention.cancels), ";",
      // The records still named: by a token, by the history, as the cause
      // of one kept, and those of operations that were live, within
      // retention.
      "DELETE FROM records WHERE id NOT IN (WITH RECURSIVE kept(id) AS ("
      " SELECT cancel FROM tokens WHERE cancel != 0"
      " UNION SELECT cancel FROM history WHERE cancel != 0"
      " UNION SELECT id FROM records WHERE of_token = 0 AND time_ns >= ",
      Nanos(now - retention.cancels),
      " AND subject NOT IN (SELECT id FROM history)"
      " UNION SELECT r.cause FROM records r JOIN kept k ON r.id = k.id WHERE r.cause != 0)"
      " SELECT id FROM kept);");
  return Exec(sql.c_str());
}

absl::Status SqliteBackend::Query(const char* sql,
                                  const std::function<absl::Status(Statement&)>& each) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &raw, nullptr);
  if (rc != SQLITE_OK) return Error("cannot read it", rc);
  Statement s(raw);
  while ((rc = s.Step()) == SQLITE_ROW) {
    if (absl::Status st = each(s); !st.ok()) return st;
  }
  if (rc != SQLITE_DONE) return Error("cannot read it", rc);
  return absl::OkStatus();
}

absl::Status SqliteBackend::Damaged(absl::string_view table, const std::string& key,
                                    const absl::Status& why) const {
  return absl::DataLossError(absl::StrCat("state store ", path_, ": ", table, " row ", key, ": ",
                                          why.message(),
                                          "; move the file aside (canceld --reset-state) or use "
                                          "another --state-dir"));
}

absl::Status SqliteBackend::ReadAll(StoredRows& rows) {
  absl::Status status = Query("SELECT key, value FROM meta", [&](Statement& s) {
    const std::string key = s.Text(0);
    if (key == "epoch") rows.epoch = static_cast<uint32_t>(s.Int(1));
    if (key == "event_sequence") rows.event_sequence = static_cast<uint64_t>(s.Int(1));
    if (key == "clean_shutdown") rows.clean_shutdown = s.Int(1) != 0;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  status = Query("SELECT * FROM records ORDER BY id", [&](Statement& s) {
    RecordRow row;
    row.id = static_cast<uint64_t>(s.Int(0));
    row.of_token = s.Int(1) != 0;
    row.subject = s.Text(2);
    row.reason = static_cast<CancelReason>(s.Int(3));
    row.message = s.Text(4);
    row.time = FromNanos(s.Int(5));
    row.actor = s.Text(6);
    row.cause = static_cast<uint64_t>(s.Int(7));
    rows.records.push_back(std::move(row));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  status = Query("SELECT * FROM tokens ORDER BY name", [&](Statement& s) -> absl::Status {
    TokenRow row;
    row.token.name = s.Text(0);
    absl::StatusOr<Labels> labels = DecodeLabels(s.Text(1));
    absl::StatusOr<std::vector<std::string>> all_of = DecodeStrings(s.Text(4));
    if (!labels.ok()) return Damaged("tokens", row.token.name, labels.status());
    if (!all_of.ok()) return Damaged("tokens", row.token.name, all_of.status());
    row.token.labels = *std::move(labels);
    row.token.created_time = FromNanos(s.Int(2));
    row.token.deadline = s.Time(3);
    row.token.all_of = *std::move(all_of);
    row.cancel = static_cast<uint64_t>(s.Int(5));
    row.token.creator = s.Text(6);
    rows.tokens.push_back(std::move(row));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  status = Query("SELECT source, target FROM links ORDER BY source, target", [&](Statement& s) {
    rows.links.push_back(LinkRow{s.Text(0), s.Text(1)});
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (absl::Status s = ReadHistory(rows); !s.ok()) return s;
  return ReadSelectorCancels(rows);
}

absl::Status SqliteBackend::ReadHistory(StoredRows& rows) {
  absl::flat_hash_map<std::string, std::shared_ptr<const Owner>> owners;
  std::shared_ptr<const Owner> last_owner;
  absl::Status status =
      Query("SELECT * FROM history ORDER BY ord", [&](Statement& s) -> absl::Status {
        HistoryRow row;
        row.order = s.Int(0);
        OperationIdentity identity;
        identity.id = s.Text(1);
        identity.name = s.Text(2);
        absl::StatusOr<Labels> labels = DecodeLabels(s.Text(3));
        absl::StatusOr<Labels> metadata = DecodeLabels(s.Text(4));
        if (!labels.ok()) return Damaged("history", identity.id, labels.status());
        if (!metadata.ok()) return Damaged("history", identity.id, metadata.status());
        identity.labels = *std::move(labels);
        identity.metadata = *std::move(metadata);
        // One owner record per session, shared, as the graph keeps them (rows of
        // one session are mostly together: the last one is tried first).
        Owner owner{static_cast<uint64_t>(s.Int(5)),
                    s.Text(6),
                    s.Int(7),
                    s.Text(8),
                    s.Text(20),
                    s.Int(21),
                    s.Text(22)};
        if (last_owner == nullptr || last_owner->session_id != owner.session_id ||
            last_owner->pid != owner.pid || last_owner->process_name != owner.process_name ||
            last_owner->host != owner.host || last_owner->principal != owner.principal) {
          std::shared_ptr<const Owner>& shared =
              owners[absl::StrCat(owner.session_id, "/", owner.pid, "/", owner.process_name)];
          if (shared == nullptr) shared = std::make_shared<const Owner>(std::move(owner));
          last_owner = shared;
        }
        identity.owner = last_owner;
        identity.parent_id = s.Text(9);
        identity.created_time = FromNanos(s.Int(10));
        Operation& op = row.operation;
        op.identity = std::make_shared<const OperationIdentity>(std::move(identity));
        op.finished_time = s.Time(11);
        op.deadline = s.Time(12);
        op.status = static_cast<OpStatus>(s.Int(13));
        row.cancel = static_cast<uint64_t>(s.Int(14));
        op.cancel_requested_time = s.Time(15);
        op.error = s.Text(16);
        if (!s.Null(19)) {
          absl::StatusOr<Labels> progress_metadata = DecodeLabels(s.Text(18));
          if (!progress_metadata.ok())
            return Damaged("history", op.id(), progress_metadata.status());
          op.last_progress = std::make_shared<const ProgressReport>(
              ProgressReport{s.Text(17), *std::move(progress_metadata), FromNanos(s.Int(19))});
        }
        rows.history.push_back(std::move(row));
        return absl::OkStatus();
      });
  return status;
}

absl::Status SqliteBackend::ReadSelectorCancels(StoredRows& rows) {
  return Query(
      "SELECT selector, name_glob, statuses, owner, message, actor, time_ns, epoch, "
      "next_number, principal FROM selector_cancels ORDER BY id",
      [&](Statement& s) -> absl::Status {
        StoredSelectorCancel c;
        c.selector = s.Text(0);
        c.name_glob = s.Text(1);
        absl::StatusOr<std::vector<std::string>> statuses = DecodeStrings(s.Text(2));
        if (!statuses.ok()) return Damaged("selector_cancels", c.selector, statuses.status());
        for (const std::string& text : *statuses) {
          int value = 0;
          if (!absl::SimpleAtoi(text, &value)) {
            return Damaged("selector_cancels", c.selector,
                           absl::DataLossError("a status is not a number"));
          }
          c.statuses.push_back(static_cast<OpStatus>(value));
        }
        c.owner = s.Text(3);
        c.message = s.Text(4);
        c.actor = s.Text(5);
        c.time = FromNanos(s.Int(6));
        c.epoch = static_cast<uint32_t>(s.Int(7));
        c.next_number = static_cast<uint64_t>(s.Int(8));
        c.principal = s.Text(9);
        rows.selector_cancels.push_back(std::move(c));
        return absl::OkStatus();
      });
}

int SqliteBackend::PutHistory(const HistoryRow& row) {
  const Operation& op = row.operation;
  const ProgressReport* progress = op.last_progress.get();
  Statement& s = *put_history_;
  s.Bind(1, row.order)
      .Bind(2, op.id())
      .Bind(3, op.name())
      .BindBlob(4, EncodeLabels(op.labels()))
      .BindBlob(5, EncodeLabels(op.metadata()))
      .Bind(6, static_cast<int64_t>(op.owner().session_id))
      .Bind(7, op.owner().process_name)
      .Bind(8, op.owner().pid)
      .Bind(9, op.owner().host)
      .Bind(10, op.parent_id())
      .Bind(11, Nanos(op.created_time()))
      .Bind(12, op.finished_time)
      .Bind(13, op.deadline)
      .Bind(14, static_cast<int64_t>(op.status))
      .Bind(15, static_cast<int64_t>(row.cancel))
      .Bind(16, op.cancel_requested_time)
      .Bind(17, op.error)
      .Bind(21, op.owner().principal)
      .Bind(22, op.owner().uid)
      .Bind(23, op.owner().user);
  if (progress != nullptr) {
    s.Bind(18, progress->message)
        .BindBlob(19, EncodeLabels(progress->metadata))
        .Bind(20, Nanos(progress->time));
  }
  const int rc = s.Run();
  ++history_rows_;
  return rc;
}

absl::Status SqliteBackend::Apply(const RowChange& change) {
  int rc = SQLITE_DONE;
  std::visit(
      [&](const auto& row) {
        using T = std::decay_t<decltype(row)>;
        if constexpr (std::is_same_v<T, RecordRow>) {
          rc = put_record_->Bind(1, static_cast<int64_t>(row.id))
                   .Bind(2, int64_t{row.of_token})
                   .Bind(3, row.subject)
                   .Bind(4, static_cast<int64_t>(row.reason))
                   .Bind(5, row.message)
                   .Bind(6, Nanos(row.time))
                   .Bind(7, row.actor)
                   .Bind(8, static_cast<int64_t>(row.cause))
                   .Run();
        } else if constexpr (std::is_same_v<T, TokenRow>) {
          rc = put_token_->Bind(1, row.token.name)
                   .BindBlob(2, EncodeLabels(row.token.labels))
                   .Bind(3, Nanos(row.token.created_time))
                   .Bind(4, row.token.deadline)
                   .BindBlob(5, EncodeStrings(row.token.all_of))
                   .Bind(6, static_cast<int64_t>(row.cancel))
                   .Bind(7, row.token.creator)
                   .Run();
        } else if constexpr (std::is_same_v<T, TokenDeletedRow>) {
          rc = delete_token_->Bind(1, row.name).Run();
          if (rc == SQLITE_DONE) rc = delete_links_->Bind(1, row.name).Run();
        } else if constexpr (std::is_same_v<T, LinkRow>) {
          rc = put_link_->Bind(1, row.source).Bind(2, row.target).Run();
        } else if constexpr (std::is_same_v<T, HistoryRow>) {
          rc = PutHistory(row);
        } else {
          const StoredSelectorCancel& c = row.cancel;
          std::vector<std::string> statuses;
          for (OpStatus status : c.statuses)
            statuses.push_back(absl::StrCat(static_cast<int>(status)));
          rc = put_selector_->Bind(1, c.selector)
                   .Bind(2, c.name_glob)
                   .BindBlob(3, EncodeStrings(statuses))
                   .Bind(4, c.owner)
                   .Bind(5, c.message)
                   .Bind(6, c.actor)
                   .Bind(7, Nanos(c.time))
                   .Bind(8, int64_t{c.epoch})
                   .Bind(9, static_cast<int64_t>(c.next_number))
                   .Bind(10, c.principal)
                   .Run();
        }
      },
      change);
  if (rc != SQLITE_DONE) return Error("cannot write", rc);
  return absl::OkStatus();
}

absl::Status SqliteBackend::Commit(const std::vector<RowChange>& changes, uint64_t event_sequence,
                                   const Retention& retention) {
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  const size_t history_rows = history_rows_;
  absl::Status status;
  for (const RowChange& change : changes) {
    status = Apply(change);
    if (!status.ok()) break;
  }
  if (status.ok() && history_rows_ > retention.history) {
    int rc = trim_history_->Bind(1, static_cast<int64_t>(history_rows_ - retention.history)).Run();
    if (rc != SQLITE_DONE) status = Error("cannot trim the history", rc);
    history_rows_ = retention.history;
  }
  if (status.ok()) status = SetMeta("event_sequence", static_cast<int64_t>(event_sequence));
  if (status.ok()) status = Exec("COMMIT");
  if (!status.ok()) {
    (void)Exec("ROLLBACK");
    history_rows_ = history_rows;
  }
  return status;
}

absl::Status SqliteBackend::MarkCleanShutdown(uint64_t event_sequence) {
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  absl::Status status = SetMeta("event_sequence", static_cast<int64_t>(event_sequence));
  if (status.ok()) status = SetMeta("clean_shutdown", 1);
  if (!status.ok()) {
    (void)Exec("ROLLBACK");
    return status;
  }
  return Exec("COMMIT");
}

}  // namespace hother::cancelable::daemon
