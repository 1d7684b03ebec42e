// Propagation across services: carry the caller's operation id in gRPC
// metadata, and start the callee's operation as its child, so that
// cancelling the caller's operation (from anywhere) reaches the callee.
//
//   // Caller:
//   grpc::ClientContext ctx;
//   AttachOperation(ctx, *op);                    // adds x-cancelable-operation-id
//   stub->DoWork(&ctx, request, &reply);
//
//   // Callee (any gRPC server API):
//   std::unique_ptr<RemoteOperation> child =
//       StartFromIncoming(*client, *server_context, {.name = "do-work"});
//
// Templates over the context types, so this header includes no gRPC header:
// any ClientContext with AddMetadata(key, value) and any ServerContext with
// client_metadata() (a multimap of string-like keys and values) works, even
// from a service that vendors its own gRPC.
#ifndef HOTHER_CANCELABLE_CLIENT_PROPAGATION_H_
#define HOTHER_CANCELABLE_CLIENT_PROPAGATION_H_

#include <memory>
#include <string>
#include <utility>

#include "hother/cancelable/client/client.h"

namespace hother::cancelable {

// gRPC metadata keys are lower-case.
inline constexpr char kOperationIdMetadataKey[] = "x-cancelable-operation-id";

// Adds the operation's id to an outgoing call (nothing while unregistered).
template <typename ClientContext>
void AttachOperation(ClientContext& context, const RemoteOperation& op) {
  std::string id = op.id();
  if (!id.empty()) context.AddMetadata(kOperationIdMetadataKey, id);
}

// The caller's operation id from incoming metadata, or "".
template <typename ServerContext>
std::string IncomingOperationId(const ServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kOperationIdMetadataKey);
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

// Starts an operation that is a child of the caller's (a root when the call
// carries none).
template <typename ServerContext>
std::unique_ptr<RemoteOperation> StartFromIncoming(Client& client, const ServerContext& context,
                                                   StartOptions options) {
  if (options.parent_id.empty() && options.parent == nullptr) {
    options.parent_id = IncomingOperationId(context);
  }
  return client.Start(std::move(options));
}

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_CLIENT_PROPAGATION_H_
