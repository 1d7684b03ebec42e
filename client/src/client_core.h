// Internal: the machinery behind Client: the session stream and the three
// threads that serve it, one file each:
//   client_core.cc   the operations' API (start, progress, cancel, finish)
//   session_loop.cc  the reader: connect, welcome, re-register, read, backoff
//   writer.cc        everything sent on the stream, coalesced
//   worker.cc        heartbeats, coalesced progress, cancels sent to the daemon
#ifndef HOTHER_CANCELABLE_CLIENT_SRC_CLIENT_CORE_H_
#define HOTHER_CANCELABLE_CLIENT_SRC_CLIENT_CORE_H_

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/channel_arguments.h"
#include "grpcpp/support/sync_stream.h"
#include "hother/cancelable/client/client.h"
#include "hother/cancelable/internal/mutex.h"
#include "hother/cancelable/scheduler.h"
#include "hother/cancelable/v1/cancelable.grpc.pb.h"

namespace hother::cancelable::client_internal {

namespace pb = ::hother::cancelable::v1;

// One operation of this process, as the SDK tracks it across reconnects.
// Its state is three small machines, each moved by the threads named:
//
//   Registration, in the current session (a new session resets it):
//     kNone -> kWaitingForParent  RegisterLocked: its parent (of this
//                                 process) is not acknowledged in this session
//     kNone, kWaitingForParent -> kSent
//                                 RegisterLocked: in a Register batch
//     kSent -> kReady             OnRegistered: acknowledged, and a start-cancel
//                                 already applied (WaitRegistered returns)
//     any -> kNone                ReRegisterLocked: a new session
//
//   LocalCancel, a cancel made by this process on its way to the daemon:
//     kNone -> kQueued            Cancel: queued before the local cancel runs,
//                                 so a finish made by its callbacks waits
//     kQueued -> kArmed           Cancel: the local cancel returned; only now
//                                 may it be sent (the daemon's echo of it must
//                                 not arrive before Cancel knows it was first)
//     kArmed -> kNone             SendRemoteCancels: the RPC returned
//
//   Ending:
//     kRunning -> kFinished       Finish: the finish waits for the operation's
//                                 registration in this session and for a
//                                 LocalCancel to return to kNone
//     kFinished -> kFinishSent    MaybeSendFinishLocked: in a Finish batch
//     kFinishSent -> forgotten    OnFinished: the daemon applied it (or
//                                 OnErrors: it refused it)
//     kFinishSent -> kFinished    ReRegisterLocked: a new session before the
//                                 daemon said so; registered again, then sent
//                                 again (a finish is never lost with a stream)
//
//   `lost`: the daemon refused the registration of an id it had given
//   (LOST while this process was away): never registered again.
//
// Fields are guarded by ClientCore::mu_, except the immutable ones.
struct OpRecord {
  enum class Registration { kNone, kWaitingForParent, kSent, kReady };
  enum class LocalCancel { kNone, kQueued, kArmed };
  enum class Ending { kRunning, kFinished, kFinishSent };

  // Immutable after Start.
  uint64_t ref = 0;
  std::string name;
  Metadata labels;
  Metadata metadata;
  std::optional<absl::Time> deadline;     // absolute, local clock
  std::optional<absl::Duration> timeout;  // as the user gave it (for the cancel's text)
  std::shared_ptr<OpRecord> parent;       // an operation of this client, if any
  std::string parent_id;                  // or a daemon id given by the caller
  std::vector<std::string> tokens;        // named tokens to attach to
  std::vector<int> signals;               // daemon signals that cancel it
  std::vector<StartOptions::Condition> conditions;
  Cancelable scope;  // the local mirror
  // Set before the daemon's record is applied to the scope: that cancel is
  // the daemon's, not one to send it.
  std::atomic<bool> cancelled_by_daemon{false};
  // Sends a cancel made here by any local source (the scope cancelled
  // directly, a local parent scope, a local token) to the daemon at once.
  std::optional<CancellationToken::Registration> on_local_cancel;

  // Guarded by ClientCore::mu_.
  std::string id;                      // the daemon's id, once registered
  uint64_t registered_generation = 0;  // session generation that registered it
  absl::Status registration_error;
  Registration registration = Registration::kNone;
  LocalCancel local_cancel = LocalCancel::kNone;
  Ending ending = Ending::kRunning;
  bool finished() const { return ending != Ending::kRunning; }
  bool lost = false;
  pb::OperationStatus final_status = pb::OPERATION_STATUS_UNSPECIFIED;
  std::string final_error;
  std::optional<std::pair<std::string, Metadata>> pending_progress;
  Scheduler::Timer local_deadline;
};

class ClientCore : public std::enable_shared_from_this<ClientCore> {
 public:
  explicit ClientCore(ClientOptions options);
  ~ClientCore();

  void StartThreads();
  void Stop();

  std::shared_ptr<OpRecord> NewOperation(StartOptions options);
  std::string IdOf(const OpRecord& record);
  bool WaitRegistered(const OpRecord& record, absl::Duration timeout);
  bool Lost(const OpRecord& record);
  absl::Status RegistrationError(const OpRecord& record);
  void ReportProgress(OpRecord& record, std::string message, Metadata metadata);
  bool Cancel(std::shared_ptr<OpRecord> record, std::string message);
  // A local cancel of `record`'s scope (not the daemon's): queued for the
  // daemon unless one is on its way already.
  void OnLocalCancel(const std::shared_ptr<OpRecord>& record, const CancellationDetails& details);
  void Finish(const std::shared_ptr<OpRecord>& record, const absl::Status& outcome);

  // After fork(), in the child: the Client belongs to the parent, whose
  // session (and threads) the child does not have. Nothing of it is touched
  // then (its locks may be held by threads that are not in the child).
  bool Forked() const { return getpid() != owner_pid_; }
  // The error a forked child's calls report.
  absl::Status ForkedError() const;

  bool connected() const;
  // OK when connected and every live operation is registered (or on its
  // way); otherwise what is not so (see Client::status).
  absl::Status status() const;
  // With `or_refused`, also returns (false) once an attempt has failed.
  bool WaitConnected(absl::Duration timeout, bool or_refused = false) const;
  uint64_t session_id() const;
  const std::string& endpoint() const { return endpoint_; }

 private:
  using Stream = grpc::ClientReaderWriter<pb::SessionRequest, pb::SessionResponse>;

  void SessionLoop();
  void WorkerLoop();
  void WriterLoop();
  // --- The session thread (session_loop.cc). ---
  // One connected session: hello, welcome, re-register, read until it ends.
  void RunSession();
  pb::SessionRequest Hello() const;
  void BeginSessionLocked(Stream* stream, const pb::Welcome& welcome)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Registers every live operation again (a new session); forgets the
  // finished ones.
  void ReRegisterLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReadResponses(Stream& stream);
  void EndSession(grpc::ClientContext& context, Stream& stream);
  void HandleResponse(const pb::SessionResponse& response);
  void OnRegistered(const pb::Registered& batch);
  void RegisterWaitingChildrenLocked(const OpRecord& parent, pb::RegisterRequest& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnCancels(const pb::CancelNotice& batch);
  void OnFinished(const pb::Finished& batch);
  void OnErrors(const pb::SessionErrors& errors);
  void DeliverCancel(const std::shared_ptr<OpRecord>& record, const pb::CancelDetails& details);
  // Queues a message for the current stream (dropped when there is none:
  // the next session's re-registration carries what matters). The
  // writer thread sends it, in order, merged with the batches queued before
  // it: callers never wait for the daemon to read, and under load
  // registrations and finishes travel many to a message.
  void WriteLocked(pb::SessionRequest request) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the writer's use of the current stream (at the end of a session).
  void DetachStreamLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RegisterLocked(OpRecord& record, pb::RegisterRequest& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddFinishLocked(OpRecord& record, pb::FinishRequest& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ForgetLocked(const OpRecord& record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends a finish that waited (for the registration or a pending cancel).
  void MaybeSendFinishLocked(OpRecord& record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // --- The worker thread (worker.cc). ---
  // Queues the pending progress reports of operations registered in this
  // session.
  void QueueProgressLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends a session (or a connection attempt) the daemon left silent for a lease.
  void GiveUpOnASilentDaemonLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool RemoteCancelReadyLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends the Cancel RPCs queued so far (without the lock).
  void SendRemoteCancels();

  // Waits on `cv` until clock time `when` or a signal (a fake clock's
  // advance signals changed_); true once `when` has come.
  bool WaitUntilLocked(internal::CondVar& cv, absl::Time when) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const pid_t owner_pid_ = getpid();
  const ClientOptions options_;
  const std::string endpoint_;
  Scheduler& scheduler_;  // local deadlines
  Clock& clock_;          // leases, heartbeats, backoff (the scheduler's clock)
  // The current connection's stub: a unix socket's channel is bound to one
  // verified connection, so each session attempt dials again (Dial).
  std::shared_ptr<pb::Canceld::Stub> stub_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<pb::Canceld::Stub> Stub() const {
    internal::MutexLock lock(&mu_);
    return stub_;
  }
  // Dials canceld (daemon_channel.h) and sets stub_; the error otherwise.
  absl::Status Dial();
  grpc::ChannelArguments channel_args_;

  mutable internal::Mutex mu_;
  mutable internal::CondVar changed_;  // connection, registration, stop
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_ref_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, std::shared_ptr<OpRecord>> by_ref_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::shared_ptr<OpRecord>> by_id_ ABSL_GUARDED_BY(mu_);
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  Stream* stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  // Why the last session or connection attempt ended (for status()).
  std::string last_end_ ABSL_GUARDED_BY(mu_);
  // Connection attempts that ended without a welcome.
  uint64_t failed_attempts_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t session_id_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t previous_session_id_ ABSL_GUARDED_BY(mu_) = 0;
  // The session's secret (Welcome): the next session resumes it with its id.
  std::string session_secret_ ABSL_GUARDED_BY(mu_);
  absl::Duration heartbeat_interval_ ABSL_GUARDED_BY(mu_) = absl::Seconds(2);
  // The daemon answers every heartbeat; silent for its lease (the Welcome's
  // lease_timeout), it is taken for stuck and the session is ended, as the
  // daemon ends a silent client's.
  absl::Duration lease_timeout_ ABSL_GUARDED_BY(mu_) = absl::Seconds(10);
  absl::Time last_heard_ ABSL_GUARDED_BY(mu_);
  // The reader is running a response's callbacks, not waiting on the daemon:
  // that time is not the daemon's silence.
  bool handling_ ABSL_GUARDED_BY(mu_) = false;
  // When the current connection attempt began (the Welcome is awaited too).
  absl::Time attempt_started_ ABSL_GUARDED_BY(mu_);
  // Cancels to send to the daemon (operation id, message), by the worker.
  std::deque<std::pair<std::shared_ptr<OpRecord>, std::string>> remote_cancels_
      ABSL_GUARDED_BY(mu_);
  // Messages for the current stream, oldest first; the writer takes them all
  // at once and writes them outside the lock (writing_ meanwhile).
  struct Queued {
    pb::SessionRequest message;
    size_t bytes = 0;  // what it weighs so far (for merging)
  };
  std::deque<Queued> outbox_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_writer_ ABSL_GUARDED_BY(mu_) = false;
  mutable internal::CondVar writable_;  // outbox_, writing_, stream_, stop_writer_
  // Operations with a progress report not yet sent (by ref): the worker
  // visits these, not every operation of the process.
  absl::flat_hash_set<uint64_t> progress_pending_ ABSL_GUARDED_BY(mu_);
  // Children held back until their parent is registered, by parent.
  absl::flat_hash_map<const OpRecord*, std::vector<uint64_t>> waiting_by_parent_
      ABSL_GUARDED_BY(mu_);

  // Set by a Stop() running on the session thread (a Client destroyed from a
  // token callback), which then detaches that thread: the thread holds the
  // core until it has returned from the callback and left its loop.
  std::shared_ptr<ClientCore> keep_alive_ ABSL_GUARDED_BY(mu_);
  std::thread session_thread_;
  std::thread worker_thread_;
  std::thread writer_thread_;
  // Wakes the waits on a fake clock when it moves; last: destroyed first.
  std::unique_ptr<Clock::Subscription> clock_moved_;
};

}  // namespace hother::cancelable::client_internal

#endif  // HOTHER_CANCELABLE_CLIENT_SRC_CLIENT_CORE_H_
