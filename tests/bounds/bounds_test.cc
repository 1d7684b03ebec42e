// Bounds: every bound of docs/DAEMON.md ("Bounds") exceeded from the outside,
// against the real canceld in a child process: the status code, a message that
// names the field (or flag) and quotes little, the registry unchanged, and
// the daemon's memory (VmRSS) back near where it was.
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/support/sync_stream.h>

#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hother/cancelable/v1/cancelable.grpc.pb.h"
#include "tests/lib/test_util.h"
#include "tests/support/process.h"

namespace hother::cancelable::bounds {
namespace {

namespace pb = ::hother::cancelable::v1;
using test_support::Process;
using test_support::TempDir;
using ::testing::HasSubstr;
using Stream = grpc::ClientReaderWriter<pb::SessionRequest, pb::SessionResponse>;
using RawStream = grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>;

constexpr char kService[] = "/hother.cancelable.v1.Canceld/";

grpc::ByteBuffer Bytes(const std::string& text) {
  grpc::Slice slice(text);
  return grpc::ByteBuffer(&slice, 1);
}

class Bounds : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags = {}) {
    endpoint_ = absl::StrCat("unix:", dir_.path(), "/canceld.sock");
    std::vector<std::string> argv = {CANCELD_PATH, "--state-dir", "none", "--listen", endpoint_};
    argv.insert(argv.end(), flags.begin(), flags.end());
    daemon_ = std::make_unique<Process>(argv, absl::StrCat(dir_.path(), "/canceld"));
    channel_ = grpc::CreateChannel(endpoint_, grpc::InsecureChannelCredentials());
    stub_ = pb::Canceld::NewStub(channel_);
    ASSERT_TRUE(channel_->WaitForConnected(absl::ToChronoTime(absl::Now() + absl::Seconds(10))))
        << daemon_->err();
  }

  // VmRSS or VmHWM of the daemon, in MB.
  double MemoryMb(const std::string& key = "VmRSS") {
    std::ifstream status(absl::StrCat("/proc/", daemon_->pid(), "/status"));
    for (std::string line; std::getline(status, line);) {
      std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipWhitespace());
      double kb = 0;
      if (parts.size() >= 2 && parts[0] == key + ":" && absl::SimpleAtod(parts[1], &kb)) {
        return kb / 1024;
      }
    }
    return -1;
  }

  std::unique_ptr<grpc::ClientContext> Context(absl::Duration deadline = absl::Seconds(30)) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    return context;
  }

  grpc::Status RawUnary(const std::string& method, const std::string& bytes) {
    grpc::internal::RpcMethod rpc(absl::StrCat(kService, method).c_str(),
                                  grpc::internal::RpcMethod::NORMAL_RPC, channel_);
    grpc::ByteBuffer response;
    return grpc::internal::BlockingUnaryCall(channel_.get(), rpc, Context().get(), Bytes(bytes),
                                             &response);
  }

  std::unique_ptr<RawStream> RawSession(grpc::ClientContext* context) {
    grpc::internal::RpcMethod rpc(absl::StrCat(kService, "Session").c_str(),
                                  grpc::internal::RpcMethod::BIDI_STREAMING, channel_);
    return std::unique_ptr<RawStream>(
        grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
            channel_.get(), rpc, context));
  }

  // A session that said Hello and got its Welcome.
  std::unique_ptr<Stream> OpenSession(grpc::ClientContext* context, const std::string& name) {
    std::unique_ptr<Stream> stream = stub_->Session(context);
    pb::SessionRequest hello;
    hello.mutable_hello()->set_process_name(name);
    hello.mutable_hello()->set_pid(1);
    EXPECT_TRUE(stream->Write(hello));
    pb::SessionResponse welcome;
    EXPECT_TRUE(stream->Read(&welcome) && welcome.has_welcome());
    return stream;
  }

  // Registers one operation under `parent` and returns its id.
  static std::string Register(Stream& stream, const std::string& parent, uint64_t ref) {
    pb::SessionRequest request;
    pb::RegisterItem* item = request.mutable_register_()->add_items();
    item->set_ref(ref);
    item->set_name("op");
    item->set_parent_id(parent);
    EXPECT_TRUE(stream.Write(request));
    pb::SessionResponse reply;
    while (stream.Read(&reply)) {
      if (reply.has_registered()) return reply.registered().items(0).operation_id();
      if (reply.has_errors()) ADD_FAILURE() << reply.errors().DebugString();
    }
    return "";
  }

  // Everything a client can see of the registry, to compare before and after.
  std::string Registry() {
    pb::ListOperationsRequest list;
    list.set_page_size(1000);
    pb::ListOperationsResponse ops;
    EXPECT_TRUE(stub_->ListOperations(Context().get(), list, &ops).ok());
    pb::ListTokensResponse tokens;
    EXPECT_TRUE(stub_->ListTokens(Context().get(), pb::ListTokensRequest(), &tokens).ok());
    for (pb::Operation& op : *ops.mutable_operations()) op.clear_cancelling_for();
    return ops.SerializeAsString() + "|" + tokens.SerializeAsString();
  }

  TempDir dir_;
  std::string endpoint_;
  std::unique_ptr<Process> daemon_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::Canceld::Stub> stub_;
};

TEST_F(Bounds, AUnaryRequestThatDoesNotParseIsInvalidArgumentNamingItsType) {
  Start();
  // Field 1, length-delimited, claiming 127 bytes that are not there.
  const std::string garbage = "\x0a\x7f\x01";
  for (const char* method :
       {"Cancel", "CancelAll", "ListOperations", "GetOperation", "CreateToken", "GetToken",
        "ListTokens", "CancelToken", "LinkTokens", "DeleteToken", "SetDeadline"}) {
    grpc::Status status = RawUnary(method, garbage);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << method;
    EXPECT_THAT(status.error_message(), HasSubstr("3 bytes are not a valid hother.cancelable.v1."))
        << method;
  }
}

// One bad request: what it is, the call, the field its error must name.
struct BadRequest {
  std::string what;
  std::function<grpc::Status()> call;
  std::string field;
};

TEST_F(Bounds, EveryBadFieldOfEveryRequestIsRefusedNamingItAndLeavesTheRegistryAsItWas) {
  Start();
  grpc::ClientContext session_context;
  std::unique_ptr<Stream> session = OpenSession(&session_context, "owner");
  const std::string id = Register(*session, "", 1);
  pb::CreateTokenRequest token;
  token.set_name("kept");
  pb::Token created;
  ASSERT_TRUE(stub_->CreateToken(Context().get(), token, &created).ok());
  const std::string before = Registry();

  const std::string huge(1 << 20, 'x');
  auto& s = *stub_;
  std::vector<BadRequest> bad;
  auto add = [&](std::string what, std::string field, auto fill, auto rpc) {
    bad.push_back({std::move(what),
                   [&, fill, rpc] {
                     auto [request, response] = fill();
                     return rpc(request, &response);
                   },
                   std::move(field)});
  };
  using CancelPair = std::pair<pb::CancelRequest, pb::CancelResponse>;
  auto cancel = [&](const pb::CancelRequest& r, pb::CancelResponse* o) {
    return s.Cancel(Context().get(), r, o);
  };
  add(
      "cancel: a 1 MiB id", "id: 'xxxx",
      [&] {
        CancelPair p;
        p.first.set_id(huge);
        return p;
      },
      cancel);
  add(
      "cancel: a 3 KiB actor", "actor: longer than 1024",
      [&] {
        CancelPair p;
        p.first.set_id(id);
        p.first.set_actor(std::string(3072, 'a'));
        return p;
      },
      cancel);
  add(
      "cancel: a 2 KiB message", "message: longer than 1024",
      [&] {
        CancelPair p;
        p.first.set_id(id);
        p.first.set_message(std::string(2048, 'm'));
        return p;
      },
      cancel);
  using AllPair = std::pair<pb::CancelAllRequest, pb::CancelAllResponse>;
  auto cancel_all = [&](const pb::CancelAllRequest& r, pb::CancelAllResponse* o) {
    return s.CancelAll(Context().get(), r, o);
  };
  add(
      "cancel-all: a 3 MiB actor", "actor: longer than 1024",
      [&] {
        AllPair p;
        p.first.set_all(true);
        p.first.set_actor(std::string(3 << 20, 'a'));
        return p;
      },
      cancel_all);
  add(
      "cancel-all: a 5 KiB selector", "filter.selector: 5000 bytes, at most 4096",
      [&] {
        AllPair p;
        p.first.mutable_filter()->set_selector(std::string(5000, 'k'));
        return p;
      },
      cancel_all);
  add(
      "cancel-all: 17 statuses", "filter.statuses: 17 statuses, at most 16",
      [&] {
        AllPair p;
        for (int i = 0; i < 17; ++i)
          p.first.mutable_filter()->add_statuses(pb::OPERATION_STATUS_RUNNING);
        return p;
      },
      cancel_all);
  using ListPair = std::pair<pb::ListOperationsRequest, pb::ListOperationsResponse>;
  auto list = [&](const pb::ListOperationsRequest& r, pb::ListOperationsResponse* o) {
    return s.ListOperations(Context().get(), r, o);
  };
  add(
      "list: a negative page size", "page_size: must not be negative",
      [&] {
        ListPair p;
        p.first.set_page_size(-1);
        return p;
      },
      list);
  add(
      "list: a 1 MiB page token", "page_token: 'xxxx",
      [&] {
        ListPair p;
        p.first.set_page_token(huge);
        return p;
      },
      list);
  add(
      "list: a page token not ours", "page_token: 'abc' is not valid",
      [&] {
        ListPair p;
        p.first.set_page_token("abc");
        return p;
      },
      list);
  using GetPair = std::pair<pb::GetOperationRequest, pb::Operation>;
  auto get = [&](const pb::GetOperationRequest& r, pb::Operation* o) {
    return s.GetOperation(Context().get(), r, o);
  };
  add(
      "get: a negative cause offset", "cause_offset: must not be negative",
      [&] {
        GetPair p;
        p.first.set_id(id);
        p.first.set_cause_offset(-1);
        return p;
      },
      get);
  using TokenPair = std::pair<pb::CreateTokenRequest, pb::Token>;
  auto create = [&](const pb::CreateTokenRequest& r, pb::Token* o) {
    return s.CreateToken(Context().get(), r, o);
  };
  add(
      "create token: a 1 MiB label key", "labels: label key 'xxxx",
      [&] {
        TokenPair p;
        p.first.set_name("t2");
        (*p.first.mutable_labels())[huge] = "v";
        return p;
      },
      create);
  add(
      "create token: a timeout past the Duration range", "timeout: 999999999999s is outside",
      [&] {
        TokenPair p;
        p.first.set_name("t2");
        p.first.mutable_timeout()->set_seconds(999999999999);
        return p;
      },
      create);
  add(
      "create token: 65 all-of inputs", "all_of: 65 tokens, at most 64",
      [&] {
        TokenPair p;
        p.first.set_name("t2");
        for (int i = 0; i < 65; ++i) p.first.add_all_of("kept");
        return p;
      },
      create);
  using ListTokensPair = std::pair<pb::ListTokensRequest, pb::ListTokensResponse>;
  add(
      "list tokens: a 5 KiB selector", "selector: 5000 bytes, at most 4096",
      [&] {
        ListTokensPair p;
        p.first.set_selector(std::string(5000, 'k'));
        return p;
      },
      [&](const pb::ListTokensRequest& r, pb::ListTokensResponse* o) {
        return s.ListTokens(Context().get(), r, o);
      });
  using CancelTokenPair = std::pair<pb::CancelTokenRequest, pb::CancelTokenResponse>;
  add(
      "cancel token: a 2 KiB actor", "actor: longer than 1024",
      [&] {
        CancelTokenPair p;
        p.first.set_name("kept");
        p.first.set_actor(std::string(2048, 'a'));
        return p;
      },
      [&](const pb::CancelTokenRequest& r, pb::CancelTokenResponse* o) {
        return s.CancelToken(Context().get(), r, o);
      });
  using DeletePair = std::pair<pb::DeleteTokenRequest, pb::DeleteTokenResponse>;
  add(
      "delete token: a name with a space", "name: token name 'a b' has a character outside",
      [&] {
        DeletePair p;
        p.first.set_name("a b");
        return p;
      },
      [&](const pb::DeleteTokenRequest& r, pb::DeleteTokenResponse* o) {
        return s.DeleteToken(Context().get(), r, o);
      });
  using DeadlinePair = std::pair<pb::SetDeadlineRequest, pb::SetDeadlineResponse>;
  auto deadline = [&](const pb::SetDeadlineRequest& r, pb::SetDeadlineResponse* o) {
    return s.SetDeadline(Context().get(), r, o);
  };
  add(
      "deadline: in -2^63 s", "in: -9223372036854775808s is outside",
      [&] {
        DeadlinePair p;
        p.first.set_operation_id(id);
        p.first.mutable_in()->set_seconds(std::numeric_limits<int64_t>::min());
        return p;
      },
      deadline);
  add(
      "deadline: in -5 s", "in: must not be negative",
      [&] {
        DeadlinePair p;
        p.first.set_operation_id(id);
        p.first.mutable_in()->set_seconds(-5);
        return p;
      },
      deadline);
  add(
      "deadline: at a time before year 1", "at: seconds -99999999999 is outside",
      [&] {
        DeadlinePair p;
        p.first.set_operation_id(id);
        p.first.mutable_at()->set_seconds(-99999999999);
        return p;
      },
      deadline);
  add(
      "deadline: at with negative nanos", "at: nanos -1 must be in [0, 999999999]",
      [&] {
        DeadlinePair p;
        p.first.set_operation_id(id);
        p.first.mutable_at()->set_seconds(-100);
        p.first.mutable_at()->set_nanos(-1);
        return p;
      },
      deadline);

  for (const BadRequest& b : bad) {
    grpc::Status status = b.call();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << b.what;
    EXPECT_THAT(status.error_message(), HasSubstr(b.field)) << b.what;
    EXPECT_LT(status.error_message().size(), 200u) << b.what << ": quotes too much";
  }
  EXPECT_EQ(Registry(), before);
}

TEST_F(Bounds, ASessionMessageThatDoesNotParseEndsTheStreamInvalidArgument) {
  Start();
  grpc::ClientContext context;
  std::unique_ptr<RawStream> stream = RawSession(&context);
  pb::SessionRequest hello;
  hello.mutable_hello()->set_process_name("raw");
  ASSERT_TRUE(stream->Write(Bytes(hello.SerializeAsString())));
  grpc::ByteBuffer welcome;
  ASSERT_TRUE(stream->Read(&welcome));
  ASSERT_TRUE(stream->Write(Bytes("\x12\x7f")));  // register, 127 bytes promised, none sent
  grpc::ByteBuffer ignored;
  while (stream->Read(&ignored)) {
  }
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(
      status.error_message(),
      HasSubstr("session: request: 2 bytes are not a valid hother.cancelable.v1.SessionRequest"));
}

// What ends a session: the first message that breaks the protocol or a bound.
grpc::Status EndOf(Stream& stream) {
  pb::SessionResponse ignored;
  while (stream.Read(&ignored)) {
  }
  return stream.Finish();
}

TEST_F(Bounds, OperationsOfAStreamEndedForAProtocolErrorWaitTheLeaseForTheirProcessToComeBack) {
  Start({"--lease-timeout", "3s", "--heartbeat-interval", "1s"});
  auto get = [&](const std::string& id) {
    pb::GetOperationRequest request;
    request.set_id(id);
    pb::Operation op;
    EXPECT_TRUE(stub_->GetOperation(Context().get(), request, &op).ok());
    return op;
  };
  grpc::ClientContext first_context;
  std::unique_ptr<Stream> first = OpenSession(&first_context, "adopter");
  const std::string kept = Register(*first, "", 1);
  const std::string abandoned = Register(*first, "", 2);
  grpc::ClientContext other_context;
  std::unique_ptr<Stream> other = OpenSession(&other_context, "child-owner");
  const std::string child = Register(*other, kept, 3);
  // A message with no kind: the daemon ends the stream INVALID_ARGUMENT...
  ASSERT_TRUE(first->Write(pb::SessionRequest()));
  EXPECT_EQ(EndOf(*first).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // ...but the operations are not LOST at once, nor is the child elsewhere.
  EXPECT_EQ(get(kept).status(), pb::OPERATION_STATUS_RUNNING);
  EXPECT_EQ(get(child).status(), pb::OPERATION_STATUS_RUNNING);
  // A cancel meanwhile is recorded, and answers the process when it is back.
  pb::CancelRequest cancel;
  cancel.set_id(kept);
  cancel.set_message("while away");
  pb::CancelResponse cancelled;
  ASSERT_TRUE(stub_->Cancel(Context().get(), cancel, &cancelled).ok());
  grpc::ClientContext again_context;
  std::unique_ptr<Stream> again = OpenSession(&again_context, "adopter");
  pb::SessionRequest reregister;
  pb::RegisterItem* item = reregister.mutable_register_()->add_items();
  item->set_ref(9);
  item->set_name("op");
  item->set_previous_id(kept);
  ASSERT_TRUE(again->Write(reregister));
  pb::SessionResponse reply;
  while (again->Read(&reply) && !reply.has_registered()) {
  }
  ASSERT_TRUE(reply.has_registered());
  EXPECT_EQ(reply.registered().items(0).operation_id(), kept);  // taken over, not a new one
  EXPECT_EQ(reply.registered().items(0).cancel().cancellation().message(), "while away");
  EXPECT_THAT(get(kept).child_ids(), ::testing::ElementsAre(child));
  // What nobody took over is LOST once the lease lapses, saying why.
  EXPECT_TRUE(Eventually([&] { return get(abandoned).status() == pb::OPERATION_STATUS_LOST; },
                         absl::Seconds(20)));
  EXPECT_THAT(get(abandoned).cancel().cancellation().message(),
              HasSubstr("did not come back within its lease"));
}

TEST_F(Bounds, SessionMessagesBreakingTheProtocolOrABoundEndTheStreamWithTheTablesCode) {
  Start();
  {
    grpc::ClientContext context;
    std::unique_ptr<Stream> stream = stub_->Session(&context);
    pb::SessionRequest beat;
    beat.mutable_heartbeat();
    ASSERT_TRUE(stream->Write(beat));
    grpc::Status status = EndOf(*stream);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(status.error_message(), HasSubstr("must be a Hello"));
  }
  {
    grpc::ClientContext context;
    std::unique_ptr<Stream> stream = stub_->Session(&context);
    pb::SessionRequest hello;
    hello.mutable_hello()->set_pid(-1);
    ASSERT_TRUE(stream->Write(hello));
    grpc::Status status = EndOf(*stream);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("hello.pid: -1 is not a process id"));
  }
  {
    grpc::ClientContext context;
    std::unique_ptr<Stream> stream = OpenSession(&context, "batch");
    pb::SessionRequest finish;
    for (int i = 0; i < 1001; ++i) finish.mutable_finish()->add_items()->set_operation_id("x-1");
    ASSERT_TRUE(stream->Write(finish));
    grpc::Status status = EndOf(*stream);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("finish.items: 1001 items, at most 1000"));
  }
}

TEST_F(Bounds, ABadItemOfABatchIsRefusedByNameAndTheRestIsApplied) {
  Start();
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream = OpenSession(&context, "items");
  const std::string id = Register(*stream, "", 1);
  const std::string before = Registry();
  pb::SessionRequest request;
  pb::RegisterItem* tokens = request.mutable_register_()->add_items();
  tokens->set_ref(2);
  tokens->set_name("too many tokens");
  for (int i = 0; i < 65; ++i) tokens->add_tokens("t");
  pb::RegisterItem* meta = request.mutable_register_()->add_items();
  meta->set_ref(3);
  meta->set_name("big metadata");
  (*meta->mutable_metadata())["k"] = std::string(2000, 'v');
  pb::RegisterItem* timeout = request.mutable_register_()->add_items();
  timeout->set_ref(4);
  timeout->set_name("bad timeout");
  timeout->mutable_timeout()->set_seconds(1);
  timeout->mutable_timeout()->set_nanos(-5);
  ASSERT_TRUE(stream->Write(request));
  pb::SessionRequest finish;
  pb::FinishItem* item = finish.mutable_finish()->add_items();
  item->set_operation_id(id);
  item->set_status(pb::OPERATION_STATUS_FAILED);
  item->set_error(std::string(5000, 'e'));
  ASSERT_TRUE(stream->Write(finish));
  std::vector<std::string> errors;
  pb::SessionResponse reply;
  while (errors.size() < 4 && stream->Read(&reply)) {
    for (const pb::SessionError& e : reply.errors().items()) {
      EXPECT_EQ(e.code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
      errors.push_back(e.message());
    }
  }
  EXPECT_THAT(errors, ::testing::ElementsAre(
                          HasSubstr("register.items[0].tokens: 65 tokens, at most 64"),
                          HasSubstr("register.items[1].metadata: value of 'k' is 2000 bytes"),
                          HasSubstr("register.items[2].timeout: nanos -5"),
                          HasSubstr("finish.items[0].error: 5000 bytes, at most 4096")));
  EXPECT_EQ(Registry(), before);
}

TEST_F(Bounds, StreamsWithoutAHelloAreEndedAfterTheHandshakeTimeoutAndBoundedPerConnection) {
  Start({"--handshake-timeout", "1s", "--max-handshakes-per-peer", "100"});
  const double before = MemoryMb();
  const absl::Time start = absl::Now();
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<Stream>> streams;
  for (int i = 0; i < 2000; ++i) {
    contexts.push_back(Context());
    streams.push_back(stub_->Session(contexts.back().get()));
  }
  int timed_out = 0;
  int refused = 0;
  for (auto& stream : streams) {
    grpc::Status status = EndOf(*stream);
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      EXPECT_THAT(status.error_message(), HasSubstr("no Hello within 1s"));
      ++timed_out;
    } else {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
          << status.error_message();
      EXPECT_THAT(status.error_message(), HasSubstr("--max-handshakes-per-peer"));
      ++refused;
    }
  }
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
  EXPECT_GE(timed_out, 1);
  EXPECT_LE(timed_out, 100 + 100);  // a slot frees as soon as a stream ends
  EXPECT_EQ(timed_out + refused, 2000);
  streams.clear();
  contexts.clear();
  EXPECT_LT(MemoryMb() - before, 30) << "from " << before << " MB";
  // And the daemon still serves.
  grpc::ClientContext context;
  OpenSession(&context, "after");
}

TEST_F(Bounds, WatchersAreBoundedInNumber) {
  Start({"--max-watchers", "3"});
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<pb::WatchEvent>>> watches;
  for (int i = 0; i < 3; ++i) {
    contexts.push_back(Context());
    watches.push_back(stub_->Watch(contexts.back().get(), pb::WatchRequest()));
    pb::WatchEvent start;
    ASSERT_TRUE(watches.back()->Read(&start));
  }
  grpc::ClientContext context;
  auto fourth = stub_->Watch(&context, pb::WatchRequest());
  pb::WatchEvent event;
  EXPECT_FALSE(fourth->Read(&event));
  grpc::Status status = fourth->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("maximum of 3 watchers (--max-watchers)"));
  for (auto& c : contexts) c->TryCancel();
  for (auto& w : watches) w->Finish();
}

TEST_F(Bounds, NamedTokensAreBoundedAndADeleteMakesRoom) {
  Start({"--max-tokens", "2"});
  for (std::string name : {"a", "b", "c"}) {
    pb::CreateTokenRequest request;
    request.set_name(name);
    pb::Token token;
    grpc::Status status = stub_->CreateToken(Context().get(), request, &token);
    if (name == "c") {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
      EXPECT_THAT(status.error_message(), HasSubstr("2 named tokens (--max-tokens)"));
    } else {
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
  }
  pb::DeleteTokenRequest del;
  del.set_name("a");
  pb::DeleteTokenResponse deleted;
  ASSERT_TRUE(stub_->DeleteToken(Context().get(), del, &deleted).ok());
  pb::CreateTokenRequest again;
  again.set_name("c");
  pb::Token token;
  EXPECT_TRUE(stub_->CreateToken(Context().get(), again, &token).ok());
}

TEST_F(Bounds, ARefusedThreeMegabyteActorLeavesTheDaemonsMemoryAsItWas) {
  Start();
  const double before = MemoryMb();
  for (int i = 0; i < 20; ++i) {
    pb::CancelAllRequest request;
    request.set_all(true);
    request.set_actor(std::string(3 << 20, 'a'));
    pb::CancelAllResponse response;
    grpc::Status status = stub_->CancelAll(Context().get(), request, &response);
    ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_LT(MemoryMb() - before, 30) << "from " << before << " MB";
}

TEST_F(Bounds, ASessionThatDoesNotReadItsRepliesIsEndedAndItsMemoryReturned) {
  Start({"--lease-timeout", "2s", "--heartbeat-interval", "500ms"});
  const double before = MemoryMb();
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream = OpenSession(&context, "deaf");
  const std::string id = Register(*stream, "", 1);
  // Finishes of 1,000 unknown operations (1,000 errors back each) as fast
  // as the daemon takes them; never a read. The daemon stops reading once
  // 1 MiB of replies wait, the lease then lapses, and the session's operation
  // is LOST.
  std::thread deaf([&] {
    pb::SessionRequest finish;
    for (int i = 0; i < 1000; ++i) {
      pb::FinishItem* item = finish.mutable_finish()->add_items();
      item->set_operation_id(absl::StrCat("nobody-", i));
      item->set_status(pb::OPERATION_STATUS_COMPLETED);
    }
    while (stream->Write(finish)) {
    }
  });
  EXPECT_TRUE(Eventually(
      [&] {
        pb::GetOperationRequest get;
        get.set_id(id);
        pb::Operation op;
        return stub_->GetOperation(Context().get(), get, &op).ok() &&
               op.status() == pb::OPERATION_STATUS_LOST;
      },
      absl::Seconds(60)));
  const double peak = MemoryMb("VmHWM");
  context.TryCancel();
  deaf.join();
  EXPECT_LT(MemoryMb() - before, 30) << "from " << before << " MB";
  EXPECT_LT(peak - before, 60) << "peak " << peak << " MB";
}

TEST_F(Bounds, AWatcherThatDoesNotReadCostsAtMostItsBoundAndIsEnded) {
  Start({"--history", "100", "--watch-queue-bytes", "16777216"});
  grpc::ClientContext watch_context;
  auto watch = stub_->Watch(&watch_context, pb::WatchRequest());
  pb::WatchEvent start_event;
  ASSERT_TRUE(watch->Read(&start_event));
  const double before = MemoryMb();
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream = OpenSession(&context, "busy");
  // 20,000 events (register, finish) of operations with 8 KB of metadata
  // each: 160 MB of snapshots, were the watcher to keep them all.
  pb::SessionRequest request;
  for (int i = 0; i < 10'000; ++i) {
    pb::RegisterItem* item = request.mutable_register_()->add_items();
    item->set_ref(static_cast<uint64_t>(i));
    item->set_name("op");
    for (int k = 0; k < 8; ++k)
      (*item->mutable_metadata())[absl::StrCat("k", k)] = std::string(1000, 'b');
    if (request.register_().items_size() == 100) {
      ASSERT_TRUE(stream->Write(request));
      request.Clear();
    }
  }
  int registered = 0;
  pb::SessionResponse reply;
  while (registered < 10'000 && stream->Read(&reply)) {
    pb::SessionRequest finish;
    for (const pb::RegisteredItem& item : reply.registered().items()) {
      pb::FinishItem* f = finish.mutable_finish()->add_items();
      f->set_operation_id(item.operation_id());
      f->set_status(pb::OPERATION_STATUS_COMPLETED);
      ++registered;
    }
    if (finish.has_finish()) {
      ASSERT_TRUE(stream->Write(finish));
    }
  }
  ASSERT_EQ(registered, 10'000);
  pb::ListOperationsRequest list;
  list.mutable_filter()->add_statuses(pb::OPERATION_STATUS_RUNNING);
  ASSERT_TRUE(Eventually([&] {
    pb::ListOperationsResponse ops;
    return stub_->ListOperations(Context().get(), list, &ops).ok() && ops.operations().empty();
  }));
  // It fell behind its 16 MiB: the daemon ended it (what it had sent first
  // is still readable), and holds nothing more for it.
  pb::WatchEvent event;
  int read = 0;
  while (watch->Read(&event)) ++read;
  EXPECT_NE(watch->Finish().error_code(), grpc::StatusCode::OK);
  EXPECT_LT(read, 20'000);
  EXPECT_LT(MemoryMb() - before, 40) << "from " << before << " MB";
}

TEST_F(Bounds, CancellingTheRootOfA10000DeepChainDeliversEveryCancelInBoundedMemory) {
  Start();
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream = OpenSession(&context, "deep");
  std::vector<std::string> chain = {Register(*stream, "", 0)};
  for (uint64_t i = 1; i < 10'000; ++i) chain.push_back(Register(*stream, chain.back(), i));
  pb::CancelRequest cancel;
  cancel.set_id(chain.front());
  pb::CancelResponse response;
  ASSERT_TRUE(stub_->Cancel(Context().get(), cancel, &response).ok());
  EXPECT_EQ(response.reached(), 10'000);
  size_t heard = 0;
  pb::SessionResponse reply;
  int64_t deepest_omitted = 0;
  while (heard < chain.size() && stream->Read(&reply)) {
    for (const pb::CancelItem& item : reply.cancel().items()) {
      ++heard;
      EXPECT_LE(item.cancel().cause_chain_size(), 32);
      deepest_omitted = std::max(deepest_omitted, item.cancel().omitted_causes());
    }
  }
  EXPECT_EQ(heard, chain.size());
  EXPECT_EQ(deepest_omitted, 9'999 - 32);
  const double peak = MemoryMb("VmHWM");
  EXPECT_LT(peak, 400) << "peak RSS " << peak << " MB";
  RecordProperty("peak_rss_mb", static_cast<int>(peak));
}

}  // namespace
}  // namespace hother::cancelable::bounds
