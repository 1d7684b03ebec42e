// CanceldService: the gRPC edge of canceld on the callback API. Unary RPCs
// are answered at once from the graph; Session and Watch get a reactor each,
// so thousands of sessions and watchers need no thread of their own.
#ifndef HOTHER_CANCELABLE_DAEMON_SERVICE_CANCELD_SERVICE_H_
#define HOTHER_CANCELABLE_DAEMON_SERVICE_CANCELD_SERVICE_H_

#include "daemon/service/daemon_state.h"
#include "daemon/service/watch_reactor.h"
#include "hother/cancelable/v1/cancelable.grpc.pb.h"

namespace hother::cancelable::daemon {

namespace pb = ::hother::cancelable::v1;

// Every method takes and answers bytes (raw_message.h), so that a request
// that does not parse gets INVALID_ARGUMENT rather than gRPC's empty
// UNIMPLEMENTED; the handlers parse, validate, call the core and encode.
using RawCanceldService = pb::Canceld::WithRawCallbackMethod_Session<
    pb::Canceld::WithRawCallbackMethod_Cancel<pb::Canceld::WithRawCallbackMethod_CancelAll<
        pb::Canceld::WithRawCallbackMethod_ListOperations<
            pb::Canceld::WithRawCallbackMethod_GetOperation<
                pb::Canceld::WithRawCallbackMethod_Watch<
                    pb::Canceld::WithRawCallbackMethod_CreateToken<
                        pb::Canceld::WithRawCallbackMethod_GetToken<
                            pb::Canceld::WithRawCallbackMethod_ListTokens<
                                pb::Canceld::WithRawCallbackMethod_CancelToken<
                                    pb::Canceld::WithRawCallbackMethod_LinkTokens<
                                        pb::Canceld::WithRawCallbackMethod_DeleteToken<
                                            pb::Canceld::WithRawCallbackMethod_SetDeadline<
                                                pb::Canceld::WithRawCallbackMethod_ListConditions<
                                                    pb::Canceld::
                                                        WithRawCallbackMethod_GetDaemonInfo<
                                                            pb::Canceld::
                                                                WithRawCallbackMethod_CheckAccess<
                                                                    pb::Canceld::
                                                                        Service>>>>>>>>>>>>>>>>;

class CanceldService final : public RawCanceldService {
 public:
  explicit CanceldService(DaemonState& state)
      : state_(state), watchers_(state.limits.max_watchers) {}

  // Ends every session and watcher with UNAVAILABLE (the daemon is draining).
  void EndAllStreams();

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Session(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* Cancel(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CancelAll(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListOperations(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetOperation(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CreateToken(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetToken(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListTokens(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CancelToken(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* DeleteToken(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* LinkTokens(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* SetDeadline(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListConditions(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CheckAccess(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* raw_request,
                                        grpc::ByteBuffer* raw_response) override;
  grpc::ServerUnaryReactor* GetDaemonInfo(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Watch(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* request) override;

 private:
  // OK when `who` may do `verb` to operation `id` (policy.h); NOT_FOUND when
  // there is no such operation.
  absl::Status MayActOn(const Principal& who, Verb verb, const std::string& id) const;
  // OK when `who` may do `verb` to the named token (policy.h); NOT_FOUND
  // when there is no such token.
  absl::Status MayActOnToken(const Principal& who, Verb verb, const std::string& name) const;

  DaemonState& state_;
  WatcherSet watchers_;
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_SERVICE_CANCELD_SERVICE_H_
