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

class CanceldService final : public pb::Canceld::CallbackService {
 public:
  explicit CanceldService(DaemonState& state) : state_(state) {}

  // Ends every session and watcher with UNAVAILABLE (the daemon is draining).
  void EndAllStreams();

  grpc::ServerBidiReactor<pb::SessionRequest, pb::SessionResponse>* Session(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* Cancel(grpc::CallbackServerContext* context,
                                   const pb::CancelRequest* request,
                                   pb::CancelResponse* response) override;
  grpc::ServerUnaryReactor* CancelAll(grpc::CallbackServerContext* context,
                                      const pb::CancelAllRequest* request,
                                      pb::CancelAllResponse* response) override;
  grpc::ServerUnaryReactor* ListOperations(grpc::CallbackServerContext* context,
                                           const pb::ListOperationsRequest* request,
                                           pb::ListOperationsResponse* response) override;
  grpc::ServerUnaryReactor* GetOperation(grpc::CallbackServerContext* context,
                                         const pb::GetOperationRequest* request,
                                         pb::Operation* response) override;
  grpc::ServerUnaryReactor* CreateToken(grpc::CallbackServerContext* context,
                                        const pb::CreateTokenRequest* request,
                                        pb::Token* response) override;
  grpc::ServerUnaryReactor* GetToken(grpc::CallbackServerContext* context,
                                     const pb::GetTokenRequest* request,
                                     pb::Token* response) override;
  grpc::ServerUnaryReactor* ListTokens(grpc::CallbackServerContext* context,
                                       const pb::ListTokensRequest* request,
                                       pb::ListTokensResponse* response) override;
  grpc::ServerUnaryReactor* CancelToken(grpc::CallbackServerContext* context,
                                        const pb::CancelTokenRequest* request,
                                        pb::CancelTokenResponse* response) override;
  grpc::ServerUnaryReactor* DeleteToken(grpc::CallbackServerContext* context,
                                        const pb::DeleteTokenRequest* request,
                                        pb::DeleteTokenResponse* response) override;
  grpc::ServerUnaryReactor* LinkTokens(grpc::CallbackServerContext* context,
                                       const pb::LinkTokensRequest* request,
                                       pb::Token* response) override;
  grpc::ServerUnaryReactor* SetDeadline(grpc::CallbackServerContext* context,
                                        const pb::SetDeadlineRequest* request,
                                        pb::SetDeadlineResponse* response) override;
  grpc::ServerUnaryReactor* ListConditions(grpc::CallbackServerContext* context,
                                           const pb::ListConditionsRequest* request,
                                           pb::ListConditionsResponse* response) override;
  grpc::ServerUnaryReactor* GetDaemonInfo(grpc::CallbackServerContext* context,
                                          const pb::GetDaemonInfoRequest* request,
                                          pb::DaemonInfo* response) override;
  grpc::ServerWriteReactor<pb::WatchEvent>* Watch(grpc::CallbackServerContext* context,
                                                  const pb::WatchRequest* request) override;

 private:
  DaemonState& state_;
  WatcherSet watchers_;
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_SERVICE_CANCELD_SERVICE_H_
