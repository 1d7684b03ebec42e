// Tests of daemon/store/: one suite run against both backends (SQLite in a
// temp dir, and memory), then SQLite's own: migration, refusal of newer and
// damaged files, the state directory's lock and reset, a disk that fills.
#include "daemon/store/store.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "daemon/store/memory_backend.h"
#include "daemon/store/sqlite_backend.h"
#include "daemon/store/state_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hother/cancelable/clock.h"
#include "tests/daemon/store/borrowed_backend.h"
#include "tests/support/process.h"

namespace hother::cancelable::daemon {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;

enum class Kind { kSqlite, kMemory };

class StoreTest : public ::testing::TestWithParam<Kind> {
 protected:
  // A store over the same backend as before (a restart).
  std::unique_ptr<Store> Reopen(StoreOptions options = {}) {
    store_.reset();
    std::unique_ptr<StoreBackend> backend;
    if (GetParam() == Kind::kSqlite) {
      auto sqlite = SqliteBackend::Create(StateFile(dir_.path()), /*sync=*/true);
      EXPECT_TRUE(sqlite.ok()) << sqlite.status();
      backend = *std::move(sqlite);
    } else {
      if (memory_ == nullptr) memory_ = MemoryBackend::Retaining();
      backend = std::make_unique<Borrowed>(memory_.get());
    }
    auto store = Store::Open(std::move(backend), options, clock_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  // Commits what was appended (the Sync callback's status).
  absl::Status Flush(Store& store) {
    absl::Notification done;
    absl::Status result;
    store.Sync([&](absl::Status s) {
      result = s;
      done.Notify();
    });
    done.WaitForNotificationWithTimeout(absl::Seconds(30));
    return result;
  }

  std::shared_ptr<const CancellationDetails> Record(
      Store& store, std::string origin, std::string message,
      std::shared_ptr<const CancellationDetails> cause = nullptr, absl::Time time = absl::Now()) {
    auto record = std::make_shared<CancellationDetails>();
    record->record_id = store.NewRecordId();
    record->reason = cause == nullptr ? CancelReason::kManual : CancelReason::kParent;
    record->message = std::move(message);
    record->origin_id = std::move(origin);
    record->actor = "tester";
    record->time = absl::FromUnixSeconds(absl::ToUnixSeconds(time));
    record->SetCause(std::move(cause));
    return record;
  }

  std::shared_ptr<const Operation> Finished(const std::string& id, OpStatus status,
                                            std::shared_ptr<const CancellationDetails> cancel,
                                            const std::string& parent = "") {
    auto op = std::make_shared<Operation>();
    op->identity = std::make_shared<const OperationIdentity>(
        OperationIdentity{.id = id,
                          .name = "job",
                          .labels = {{"team", "a"}},
                          .owner = std::make_shared<const Owner>(
                              Owner{7, "worker", 42, "host", "uid:1000", 1000, "alice"}),
                          .parent_id = parent,
                          .created_time = absl::FromUnixSeconds(1000)});
    op->status = status;
    op->finished_time = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
    op->cancel = std::move(cancel);
    op->error = status == OpStatus::kFailed ? "disk on fire" : "";
    return op;
  }

  test_support::TempDir dir_;
  Clock& clock_ = Clock::Real();
  std::unique_ptr<MemoryBackend> memory_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, TokensLinksAndTheirRecordsSurviveARestartWithTheirCauseChain) {
  auto store = Reopen();
  auto root = Record(*store, "deploy", "bad deploy");
  auto linked = Record(*store, "canary", "Linked token deploy cancelled", root);
  store->Append(journal::TokenPut{StoredToken{"deploy",
                                              {{"env", "prod"}},
                                              absl::FromUnixSeconds(5),
                                              absl::FromUnixSeconds(99),
                                              {},
                                              root,
                                              "uid:1000"}});
  store->Append(journal::TokenPut{
      StoredToken{"canary", {}, absl::FromUnixSeconds(6), std::nullopt, {"deploy"}, linked}});
  store->Append(journal::LinkPut{"deploy", "canary"});
  ASSERT_TRUE(Flush(*store).ok());
  store = Reopen();
  StoredState state = store->TakeLoaded();
  ASSERT_THAT(state.tokens, SizeIs(2));
  const StoredToken& canary = state.tokens[0];
  const StoredToken& deploy = state.tokens[1];
  EXPECT_EQ(canary.name, "canary");
  EXPECT_THAT(canary.all_of, ElementsAre("deploy"));
  EXPECT_EQ(deploy.labels.at("env"), "prod");
  EXPECT_EQ(deploy.deadline, absl::FromUnixSeconds(99));
  EXPECT_EQ(deploy.creator, "uid:1000");
  EXPECT_EQ(canary.creator, "");
  ASSERT_NE(canary.cancel, nullptr);
  EXPECT_EQ(canary.cancel->message, "Linked token deploy cancelled");
  // The chain is relinked, each hop built once and shared.
  EXPECT_EQ(canary.cancel->cause, deploy.cancel);
  EXPECT_EQ(canary.cancel->Root().message, "bad deploy");
  EXPECT_EQ(canary.cancel->depth, 1u);
  EXPECT_THAT(state.links, ElementsAre(Pair("deploy", "canary")));
  // New records never take a stored one's id.
  EXPECT_GT(store->NewRecordId(), linked->record_id);
}

TEST_P(StoreTest, ADeletedTokenTakesItsLinksWithIt) {
  auto store = Reopen();
  for (const char* name : {"a", "b", "c"}) {
    store->Append(journal::TokenPut{StoredToken{name, {}, absl::Now(), std::nullopt, {}, nullptr}});
  }
  store->Append(journal::LinkPut{"a", "b"});
  store->Append(journal::LinkPut{"b", "c"});
  store->Append(journal::TokenDeleted{"b"});
  store->Append(journal::TokenPut{StoredToken{"b", {}, absl::Now(), std::nullopt, {}, nullptr}});
  ASSERT_TRUE(Flush(*store).ok());
  StoredState state = Reopen()->TakeLoaded();
  EXPECT_THAT(state.tokens, SizeIs(3));
  EXPECT_THAT(state.links, IsEmpty());
}

TEST_P(StoreTest, TheHistoryKeepsTheNewestWithinItsCountInOrder) {
  StoreOptions options;
  options.retention.history = 3;
  auto store = Reopen(options);
  auto cancel = Record(*store, "00000001-2", "stop");
  for (int i = 1; i <= 5; ++i) {
    std::string id = absl::StrCat("00000001-", i);
    store->Append(
        journal::OperationFinished{Finished(id, i == 2 ? OpStatus::kCancelled : OpStatus::kFailed,
                                            i == 2 ? cancel : nullptr, i == 1 ? "" : "00000001-1"),
                                   HistoryOrder(1, i)});
  }
  ASSERT_TRUE(Flush(*store).ok());
  StoredState state = Reopen(options)->TakeLoaded();
  ASSERT_THAT(state.history, SizeIs(3));
  EXPECT_EQ(state.history[0].second.id(), "00000001-3");
  EXPECT_EQ(state.history[2].second.id(), "00000001-5");
  const Operation& op = state.history[0].second;
  EXPECT_EQ(op.status, OpStatus::kFailed);
  EXPECT_EQ(op.error, "disk on fire");
  EXPECT_EQ(op.parent_id(), "00000001-1");
  EXPECT_EQ(op.labels().at("team"), "a");
  EXPECT_EQ(op.owner().process_name, "worker");
  EXPECT_EQ(op.owner().pid, 42);
  // The verified owner too (schema 3).
  EXPECT_EQ(op.owner().principal, "uid:1000");
  EXPECT_EQ(op.owner().uid, 1000);
  EXPECT_EQ(op.owner().user, "alice");
  EXPECT_EQ(op.created_time(), absl::FromUnixSeconds(1000));
}

TEST_P(StoreTest, TheRecordsOfOperationsNotFinishedComeBackAsPending) {
  auto store = Reopen();
  auto parent = Record(*store, "00000001-1", "stop");
  auto child = Record(*store, "00000001-2", "Parent operation 00000001-1 cancelled", parent);
  store->Append(journal::OperationCancelled{parent});
  store->Append(journal::OperationCancelled{child});
  store->Append(journal::OperationFinished{Finished("00000001-1", OpStatus::kCancelled, parent),
                                           HistoryOrder(1, 1)});
  ASSERT_TRUE(Flush(*store).ok());
  StoredState state = Reopen()->TakeLoaded();
  ASSERT_THAT(state.pending_cancels, SizeIs(1));
  EXPECT_EQ(state.pending_cancels[0]->origin_id, "00000001-2");
  ASSERT_NE(state.pending_cancels[0]->cause, nullptr);
  EXPECT_EQ(state.pending_cancels[0]->cause->message, "stop");
  ASSERT_THAT(state.history, SizeIs(1));
  EXPECT_EQ(state.history[0].second.cancel, state.pending_cancels[0]->cause);
}

TEST_P(StoreTest, EachOpenBeginsANewEpochAndACleanStopKeepsTheEventSequence) {
  auto store = Reopen();
  StoredState first = store->TakeLoaded();
  EXPECT_GT(first.epoch, 0u);
  EXPECT_LT(first.epoch, 1u << 22);
  ASSERT_TRUE(store->Close(1234).ok());
  store = Reopen();
  StoredState second = store->TakeLoaded();
  EXPECT_EQ(second.epoch, first.epoch + 1);
  EXPECT_TRUE(second.clean_shutdown);
  EXPECT_EQ(second.event_sequence, 1234u);
  // Not closed: the next run knows only the sequence of the last commit.
  store->SetEventSequenceSource([] { return uint64_t{2000}; });
  store->Append(journal::LinkPut{"x", "y"});
  ASSERT_TRUE(Flush(*store).ok());
  StoredState third = Reopen()->TakeLoaded();
  EXPECT_FALSE(third.clean_shutdown);
  EXPECT_EQ(third.event_sequence, 2000u);
}

TEST_P(StoreTest, RetentionDropsOldRecordsAndSelectorCancelsButKeepsTheCausesOfKeptOnes) {
  auto store = Reopen();
  const absl::Time old = absl::Now() - absl::Hours(48);
  auto old_root = Record(*store, "tok", "long ago", nullptr, old);
  auto old_alone = Record(*store, "00000001-1", "long ago too", nullptr, old);
  auto recent = Record(*store, "00000001-2", "Token tok cancelled", old_root);
  // A token cancelled long ago and deleted since: its record stays only as
  // the cause of a recent one.
  store->Append(journal::TokenPut{StoredToken{"tok", {}, old, std::nullopt, {}, old_root}});
  store->Append(journal::OperationCancelled{old_alone});
  store->Append(journal::OperationCancelled{recent});
  store->Append(journal::TokenDeleted{"tok"});
  store->Append(journal::TokenPut{StoredToken{"keep", {}, old, std::nullopt, {}, nullptr}});
  StoredSelectorCancel selector;
  selector.selector = "team=a";
  selector.time = old;
  store->Append(journal::SelectorCancelled{selector});
  selector.time = absl::Now();
  selector.selector = "team=b";
  selector.principal = "uid:1000";  // a cancel-all narrowed to its caller's operations
  store->Append(journal::SelectorCancelled{selector});
  ASSERT_TRUE(Flush(*store).ok());
  StoredState state = Reopen()->TakeLoaded();
  ASSERT_THAT(state.pending_cancels, SizeIs(1));
  EXPECT_EQ(state.pending_cancels[0]->origin_id, "00000001-2");
  EXPECT_EQ(state.pending_cancels[0]->cause->message, "long ago");  // named, so kept
  ASSERT_THAT(state.selector_cancels, SizeIs(1));
  EXPECT_EQ(state.selector_cancels[0].selector, "team=b");
  EXPECT_EQ(state.selector_cancels[0].principal, "uid:1000");
  EXPECT_THAT(state.tokens, SizeIs(1));  // tokens have no age
}

TEST_P(StoreTest, SyncAnswersOnceTheChangeIsCommittedAndBatchAtOnce) {
  auto store = Reopen();
  store->Append(journal::LinkPut{"a", "b"});
  ASSERT_TRUE(Flush(*store).ok());
  EXPECT_GE(store->commits(), 1u);
  // Nothing pending: answered in the caller's thread.
  bool answered = false;
  store->Sync([&](absl::Status s) { answered = s.ok(); });
  EXPECT_TRUE(answered);
  StoreOptions batch;
  batch.durability = Durability::kBatch;
  store = Reopen(batch);
  store->Append(journal::LinkPut{"c", "d"});
  answered = false;
  store->Sync([&](absl::Status s) { answered = s.ok(); });
  EXPECT_TRUE(answered);
  ASSERT_TRUE(store->Close(0).ok());  // commits what is queued
  EXPECT_THAT(Reopen()->TakeLoaded().links, SizeIs(2));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values(Kind::kSqlite, Kind::kMemory),
                         [](const auto& info) {
                           return info.param == Kind::kSqlite ? "Sqlite" : "Memory";
                         });

// --- SQLite's own. ---

class SqliteStoreTest : public ::testing::Test {
 protected:
  absl::StatusOr<StoredRows> OpenFile(const std::string& path) {
    auto backend = SqliteBackend::Create(path, /*sync=*/true);
    if (!backend.ok()) return backend.status();
    return (*backend)->Open(absl::Now(), Retention{});
  }
  void Write(const std::string& path, const std::string& bytes, std::streamoff at = 0) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    if (!f) f.open(path, std::ios::out | std::ios::binary);
    f.seekp(at);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  test_support::TempDir dir_;
  std::string path_ = StateFile(dir_.path());
};

TEST_F(SqliteStoreTest, AnOlderSchemaIsMigratedForward) {
  ASSERT_TRUE(SqliteBackend::CreateAtVersionForTest(path_, 1).ok());
  {
    auto backend = SqliteBackend::Create(path_, true);
    ASSERT_TRUE(backend.ok()) << backend.status();
    ASSERT_TRUE((*backend)->Open(absl::Now(), Retention{}).ok());
    StoredSelectorCancel c;
    c.selector = "team=a";
    c.time = absl::Now();
    ASSERT_TRUE((*backend)->Commit({SelectorCancelRow{c}}, 1, Retention{}).ok());
  }
  auto rows = OpenFile(path_);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_THAT(rows->selector_cancels, SizeIs(1));  // version 2's table
}

TEST_F(SqliteStoreTest, ANewerSchemaIsRefusedNamingBothVersions) {
  ASSERT_TRUE(OpenFile(path_).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto rows = OpenFile(path_);
  ASSERT_FALSE(rows.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(rows.status()));
  EXPECT_THAT(rows.status().message(), HasSubstr(path_));
  EXPECT_THAT(rows.status().message(), HasSubstr("schema version 99"));
  EXPECT_THAT(rows.status().message(), HasSubstr(absl::StrCat("(", kSchemaVersion, ")")));
}

TEST_F(SqliteStoreTest, AFileThatIsNotADatabaseIsRefusedAndLeftAsItIs) {
  const std::string junk(8192, 'x');
  Write(path_, junk);
  auto rows = OpenFile(path_);
  ASSERT_FALSE(rows.ok());
  EXPECT_TRUE(absl::IsDataLoss(rows.status())) << rows.status();
  EXPECT_THAT(rows.status().message(), HasSubstr(path_));
  EXPECT_THAT(rows.status().message(), HasSubstr("--reset-state"));
  EXPECT_EQ(test_support::ReadFile(path_), junk);
}

TEST_F(SqliteStoreTest, ADamagedFileIsRefusedNeverReadAsEmpty) {
  {
    auto backend = SqliteBackend::Create(path_, true);
    ASSERT_TRUE(backend.ok());
    ASSERT_TRUE((*backend)->Open(absl::Now(), Retention{}).ok());
    std::vector<RowChange> rows;
    for (int i = 0; i < 2000; ++i) {
      StoredToken token;
      token.name = absl::StrCat("token-", i);
      token.labels = {{"k", std::string(100, 'v')}};
      token.created_time = absl::Now();
      rows.push_back(TokenRow{std::move(token), 0});
    }
    ASSERT_TRUE((*backend)->Commit(rows, 1, Retention{}).ok());
  }
  {  // checkpoint the WAL into the file, so the damage below hits the data
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  const auto size = std::filesystem::file_size(path_);
  ASSERT_GT(size, 64u * 1024);
  Write(path_, std::string(16 * 1024, '\x5a'), static_cast<std::streamoff>(size / 2));
  auto rows = OpenFile(path_);
  ASSERT_FALSE(rows.ok()) << "read " << rows->tokens.size() << " tokens from a damaged file";
  EXPECT_TRUE(absl::IsDataLoss(rows.status())) << rows.status();
  EXPECT_THAT(rows.status().message(), HasSubstr(path_));
}

TEST_F(SqliteStoreTest, AStateDirectoryIsHeldByOneDaemonAtATime) {
  auto first = StateDirLock::Acquire(dir_.path());
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = StateDirLock::Acquire(dir_.path());
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(second.status()));
  EXPECT_THAT(second.status().message(), HasSubstr(absl::StrCat("pid ", getpid())));
  // Reset needs the lock too: it never moves a store a live daemon uses.
  EXPECT_FALSE(ResetState(dir_.path(), absl::Now()).ok());
  first->reset();
  EXPECT_TRUE(StateDirLock::Acquire(dir_.path()).ok());
}

TEST_F(SqliteStoreTest, ResetMovesTheStoreAsideWithTheTime) {
  ASSERT_TRUE(OpenFile(path_).ok());
  auto moved = ResetState(dir_.path(), absl::FromUnixSeconds(1764774245));
  ASSERT_TRUE(moved.ok()) << moved.status();
  ASSERT_FALSE(moved->empty());
  EXPECT_EQ((*moved)[0], path_ + ".2025-12-03T15-04-05");
  EXPECT_FALSE(std::filesystem::exists(path_));
  EXPECT_TRUE(std::filesystem::exists((*moved)[0]));
  auto again = ResetState(dir_.path(), absl::Now());
  ASSERT_TRUE(again.ok());
  EXPECT_THAT(*again, IsEmpty());
}

TEST_F(SqliteStoreTest, AStoreThatCannotWriteSaysSoAndKeepsTheChangesForLater) {
  // A file-size limit stands in for a full disk: writes past it fail (EFBIG).
  signal(SIGXFSZ, SIG_IGN);
  auto backend = SqliteBackend::Create(path_, true);
  ASSERT_TRUE(backend.ok());
  StoreOptions options;
  options.retry_interval = absl::Milliseconds(20);
  auto store = Store::Open(*std::move(backend), options, Clock::Real());
  ASSERT_TRUE(store.ok()) << store.status();
  rlimit old;
  getrlimit(RLIMIT_FSIZE, &old);
  rlimit limit = old;
  limit.rlim_cur = std::filesystem::file_size(path_) + std::filesystem::file_size(path_ + "-wal");
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
  for (int i = 0; i < 200; ++i) {
    (*store)->Append(journal::TokenPut{StoredToken{absl::StrCat("t", i),
                                                   {{"k", std::string(500, 'v')}},
                                                   absl::Now(),
                                                   std::nullopt,
                                                   {},
                                                   nullptr}});
  }
  absl::Notification answered;
  absl::Status status;
  (*store)->Sync([&](absl::Status s) {
    status = s;
    answered.Notify();
  });
  ASSERT_TRUE(answered.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr(path_));
  EXPECT_FALSE((*store)->health().ok());
  // Room again: the store's retry commits everything, and health recovers.
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
  absl::Notification committed;
  (*store)->Sync([&](absl::Status s) {
    status = s;
    committed.Notify();
  });
  ASSERT_TRUE(committed.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_TRUE((*store)->health().ok()) << (*store)->health();
  ASSERT_TRUE((*store)->Close(0).ok());
  store->reset();
  auto rows = OpenFile(path_);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_THAT(rows->tokens, SizeIs(200));
}

}  // namespace
}  // namespace hother::cancelable::daemon
