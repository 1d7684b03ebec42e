#include "daemon/service/raw_message.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"

namespace hother::cancelable::daemon {

absl::Status Decode(const grpc::ByteBuffer& bytes, google::protobuf::MessageLite* message) {
  grpc::ByteBuffer shared(bytes);  // shares the slices; the reader consumes its own copy
  grpc::ProtoBufferReader reader(&shared);
  if (!reader.status().ok() || !message->ParseFromZeroCopyStream(&reader)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "request: ", bytes.Length(), " bytes are not a valid ", message->GetTypeName()));
  }
  return absl::OkStatus();
}

grpc::ByteBuffer Encode(const google::protobuf::MessageLite& message) {
  grpc::ByteBuffer bytes;
  bool own = false;
  // Fails only for a message over 2 GiB, which no reply of ours comes near.
  (void)grpc::GenericSerialize<grpc::ProtoBufferWriter, google::protobuf::MessageLite>(
      message, &bytes, &own);
  return bytes;
}

}  // namespace hother::cancelable::daemon
