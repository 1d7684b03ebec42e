// cancelctl's JSON output (`-o json`): a stable shape, documented in
// docs/CANCELCTL.md, built from the response message by reflection.
//
// The shape is proto3 JSON with the field names of the .proto file, and three
// differences that make it easy to script: enum values are the lower-case
// words the table prints ("running", "manual"; the type's prefix dropped);
// 64-bit integers are numbers, not strings; and every field is present,
// empty lists as [] and zero values as 0, "" or false, except a message or
// oneof member that is not set.
//
//   std::cout << *ToJson(response) << "\n";   // {"operations":[],...}
//
// Thread-safety: stateless functions.
#ifndef HOTHER_CANCELABLE_CLIENT_CANCELCTL_JSON_H_
#define HOTHER_CANCELABLE_CLIENT_CANCELCTL_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/protobuf/struct.pb.h"

namespace hother::cancelable::cancelctl {

// The message as one line of JSON; INVALID_ARGUMENT naming the field when a
// value has no JSON form (a timestamp outside years 1-9999), never invalid
// or partial JSON.
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message);
// The same, as a JSON value (to add fields of cancelctl's own).
absl::StatusOr<google::protobuf::Value> ToJsonValue(const google::protobuf::Message& message);
// A JSON value as one line.
std::string JsonText(const google::protobuf::Value& value);
// The word for an enum value: OPERATION_STATUS_RUNNING of OperationStatus is
// "running"; a value without its type's prefix is only lower-cased.
std::string EnumWord(absl::string_view type_name, absl::string_view value_name);

}  // namespace hother::cancelable::cancelctl

#endif  // HOTHER_CANCELABLE_CLIENT_CANCELCTL_JSON_H_
