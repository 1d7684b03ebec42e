// Tests of registry.h.
#include "hother/cancelable/registry.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace hother::cancelable {
namespace {

class RegistryTest : public ::testing::Test {
 protected:
  Cancelable Op(std::string name, Metadata metadata = {}, const Cancelable* parent = nullptr) {
    CancelableOptions o;
    o.name = std::move(name);
    o.metadata = std::move(metadata);
    o.parent = parent;
    o.register_globally = true;
    o.registry = &registry_;
    return Cancelable(o);
  }
  OperationRegistry registry_{/*history_limit=*/5};
};

TEST_F(RegistryTest, RegisteredWhileRunningThenMovedToHistory) {
  Cancelable op = Op("job");
  ASSERT_TRUE(op.Enter().ok());
  auto got = registry_.Get(op.id());
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status, OperationStatus::kRunning);
  op.Exit();
  EXPECT_FALSE(registry_.Get(op.id()).has_value());
  auto history = registry_.History();
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].status, OperationStatus::kCompleted);
}

TEST_F(RegistryTest, ScopesAreNotRegisteredUnlessAsked) {
  Cancelable op;  // default options
  ASSERT_TRUE(op.Enter().ok());
  EXPECT_TRUE(registry_.List().empty());
  op.Exit();
}

TEST_F(RegistryTest, ADuplicateIdIsRefusedNotOverwritten) {
  CancelableOptions o;
  o.id = "same";
  o.register_globally = true;
  o.registry = &registry_;
  Cancelable first(o);
  Cancelable second(o);
  ASSERT_TRUE(first.Enter().ok());
  absl::Status dup = second.Enter();
  EXPECT_TRUE(absl::IsAlreadyExists(dup));
  EXPECT_EQ(dup.message(), "an operation with id 'same' is already registered");
  EXPECT_EQ(registry_.Get("same")->name, first.name());
  EXPECT_EQ(registry_.List().size(), 1u);
  first.Exit();
}

TEST_F(RegistryTest, LookupsAlwaysReturnSnapshots) {
  Cancelable op = Op("snap");
  ASSERT_TRUE(op.Enter().ok());
  OperationContext before = *registry_.Get(op.id());
  op.SetMetadata("later", "yes");
  EXPECT_FALSE(before.metadata.contains("later"));
  EXPECT_TRUE(registry_.List()[0].metadata.contains("later"));
  op.Exit();
}

TEST_F(RegistryTest, ListFiltersByStatusParentNameAndLabel) {
  Cancelable parent = Op("parent");
  Cancelable a = Op("import-a", {{"team", "x"}}, &parent);
  Cancelable b = Op("import-b", {{"team", "y"}});
  Cancelable c = Op("export", {{"team", "x"}});
  for (Cancelable* op : {&parent, &a, &b, &c}) ASSERT_TRUE(op->Enter().ok());
  EXPECT_EQ(registry_.List().size(), 4u);
  EXPECT_EQ(registry_.List({.name_pattern = "import-*"}).size(), 2u);
  EXPECT_EQ(registry_.List({.parent_id = parent.id()}).size(), 1u);
  EXPECT_EQ(registry_.List({.label = std::pair{"team", "x"}}).size(), 2u);
  EXPECT_EQ(registry_.List({.status = OperationStatus::kPending}).size(), 0u);
  for (Cancelable* op : {&c, &b, &a, &parent}) op->Exit();
}

TEST_F(RegistryTest, CancelByIdAndCancelAllWithFilter) {
  Cancelable a = Op("a", {{"team", "x"}});
  Cancelable b = Op("b", {{"team", "x"}});
  Cancelable c = Op("c", {{"team", "y"}});
  for (Cancelable* op : {&a, &b, &c}) ASSERT_TRUE(op->Enter().ok());
  EXPECT_FALSE(registry_.Cancel("no-such-id"));
  EXPECT_TRUE(registry_.Cancel(a.id(), CancelReason::kManual, "one"));
  EXPECT_FALSE(registry_.Cancel(a.id()));                                 // not the first
  EXPECT_EQ(registry_.CancelAll({.label = std::pair{"team", "x"}}), 1u);  // only b is new
  EXPECT_EQ(b.token().details()->message, "Bulk cancelation");
  EXPECT_FALSE(c.IsCancelled());
  for (Cancelable* op : {&a, &b, &c}) op->Exit(op->Check());
}

TEST_F(RegistryTest, HistoryIsBoundedNewestFirstAndFiltered) {
  for (int i = 0; i < 7; ++i) {
    Cancelable op = Op("h" + std::to_string(i));
    (void)op.Run([&](Cancelable& self) -> absl::Status {
      if (i % 2) return absl::InternalError("odd");
      return self.Check();
    });
  }
  auto history = registry_.History();
  ASSERT_EQ(history.size(), 5u);  // limit 5: the oldest two dropped
  EXPECT_EQ(history[0].name, "h6");
  EXPECT_EQ(history[4].name, "h2");
  EXPECT_EQ(registry_.History(2).size(), 2u);
  EXPECT_EQ(registry_.History(0, OperationStatus::kFailed).size(), 2u);
  EXPECT_EQ(registry_.History(0, std::nullopt, absl::Now() + absl::Hours(1)).size(), 0u);
}

TEST_F(RegistryTest, StatisticsAndCleanup) {
  Cancelable running = Op("running");
  ASSERT_TRUE(running.Enter().ok());
  (void)Op("ok").Run([] {});
  (void)Op("bad").Run([] { return absl::InternalError("x"); });
  RegistryStatistics stats = registry_.Statistics();
  EXPECT_EQ(stats.active, 1u);
  EXPECT_EQ(stats.active_by_status[OperationStatus::kRunning], 1u);
  EXPECT_EQ(stats.history_size, 2u);
  EXPECT_EQ(stats.total_completed, 1u);
  EXPECT_TRUE(stats.average_completed_duration.has_value());
  EXPECT_EQ(registry_.CleanupCompleted(absl::ZeroDuration(), /*keep_failed=*/true), 1u);
  EXPECT_EQ(registry_.History().size(), 1u);
  EXPECT_EQ(registry_.CleanupCompleted(absl::ZeroDuration(), /*keep_failed=*/false), 1u);
  running.Exit();
  registry_.Clear();
  EXPECT_TRUE(registry_.History().empty());
}

TEST_F(RegistryTest, UnregisterOfAnUnknownIdIsANoOp) {
  registry_.Unregister("nothing");
  EXPECT_TRUE(registry_.History().empty());
}

TEST_F(RegistryTest, ThreadSafeUnderConcurrentUse) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        Cancelable op = Op("c");
        (void)op.Run([&] {
          (void)registry_.List();
          registry_.CancelAll({.name_pattern = "nomatch"});
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(registry_.List().empty());
  EXPECT_EQ(registry_.History().size(), 5u);
}

}  // namespace
}  // namespace hother::cancelable
