// The daemon's methods take their requests as bytes and parse them itself,
// so that a request that is not a valid message is answered
// INVALID_ARGUMENT naming its type; gRPC 1.51's typed callback handlers
// answer it with an empty UNIMPLEMENTED before any of our code runs.
//
//   pb::CancelRequest request;
//   CANCELABLE_RETURN_IF_ERROR(Decode(*raw, "CancelRequest", &request));
//   *raw_response = Encode(response);
//
// Thread-safety: stateless functions.
#ifndef HOTHER_CANCELABLE_DAEMON_SERVICE_RAW_MESSAGE_H_
#define HOTHER_CANCELABLE_DAEMON_SERVICE_RAW_MESSAGE_H_

#include "absl/status/status.h"
#include "google/protobuf/message_lite.h"
#include "grpcpp/support/byte_buffer.h"

namespace hother::cancelable::daemon {

// INVALID_ARGUMENT "request: 12 bytes are not a valid hother.cancelable.v1.CancelRequest"
// when `bytes` do not parse.
absl::Status Decode(const grpc::ByteBuffer& bytes, google::protobuf::MessageLite* message);

grpc::ByteBuffer Encode(const google::protobuf::MessageLite& message);

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_SERVICE_RAW_MESSAGE_H_
