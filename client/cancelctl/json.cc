#include "client/cancelctl/json.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "hother/cancelable/internal/json_escape.h"
#include "hother/cancelable/internal/status_macros.h"

namespace hother::cancelable::cancelctl {
namespace {

namespace gp = ::google::protobuf;
using Field = gp::FieldDescriptor;

// "OperationStatus" -> "OPERATION_STATUS_".
std::string EnumPrefix(absl::string_view type_name) {
  std::string prefix;
  for (size_t i = 0; i < type_name.size(); ++i) {
    const char c = type_name[i];
    if (i > 0 && std::isupper(static_cast<unsigned char>(c))) prefix += '_';
    prefix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return prefix + "_";
}

gp::Value NumberValue(double n) {
  gp::Value v;
  v.set_number_value(n);
  return v;
}

gp::Value StringValue(std::string s) {
  gp::Value v;
  v.set_string_value(std::move(s));
  return v;
}

// Timestamp and Duration keep their proto3 JSON strings ("2026-12-03T08:00:00Z", "1.5s").
bool IsWellKnown(const gp::Descriptor* type) {
  return type->full_name() == "google.protobuf.Timestamp" ||
         type->full_name() == "google.protobuf.Duration";
}

// Walks a message by reflection; the first value that has no JSON form (a
// timestamp outside years 1-9999, say) is an error naming its field.
class Converter {
 public:
  absl::Status status() const { return status_; }

  gp::Value Message(const gp::Message& message, const std::string& path) {
    const gp::Descriptor* type = message.GetDescriptor();
    if (IsWellKnown(type)) return WellKnown(message, path);
    const gp::Reflection* r = message.GetReflection();
    gp::Value v;
    gp::Struct* object = v.mutable_struct_value();
    for (int i = 0; i < type->field_count() && status_.ok(); ++i) {
      const Field* field = type->field(i);
      const std::string at = path.empty() ? field->name() : absl::StrCat(path, ".", field->name());
      gp::Value& out = (*object->mutable_fields())[field->name()];
      if (field->is_map()) {
        out = Map(message, field, at);
      } else if (field->is_repeated()) {
        gp::ListValue* list = out.mutable_list_value();
        for (int j = 0; j < r->FieldSize(message, field); ++j) {
          *list->add_values() = Element(message, field, j, absl::StrCat(at, "[", j, "]"));
        }
      } else if (field->has_presence() && !r->HasField(message, field)) {
        object->mutable_fields()->erase(field->name());
      } else {
        out = Element(message, field, -1, at);
      }
    }
    return v;
  }

 private:
  gp::Value WellKnown(const gp::Message& message, const std::string& path) {
    std::string json;
    gp::Value value;
    // protobuf 3.21 has its own status type.
    auto converted = gp::util::MessageToJsonString(message, &json);
    if (converted.ok()) converted = gp::util::JsonStringToMessage(json, &value);
    if (!converted.ok() && status_.ok()) {
      status_ = absl::InvalidArgumentError(absl::StrCat(path, ": ", message.ShortDebugString(),
                                                        " has no JSON form (",
                                                        std::string(converted.message()), ")"));
    }
    return value;
  }

  // One element of `field` (index -1: a singular field).
  gp::Value Element(const gp::Message& m, const Field* field, int index, const std::string& path) {
    const gp::Reflection* r = m.GetReflection();
    const bool rep = index >= 0;
    switch (field->cpp_type()) {
      case Field::CPPTYPE_INT32:
        return NumberValue(rep ? r->GetRepeatedInt32(m, field, index) : r->GetInt32(m, field));
      case Field::CPPTYPE_INT64:
        return NumberValue(static_cast<double>(rep ? r->GetRepeatedInt64(m, field, index)
                                                   : r->GetInt64(m, field)));
      case Field::CPPTYPE_UINT32:
        return NumberValue(rep ? r->GetRepeatedUInt32(m, field, index) : r->GetUInt32(m, field));
      case Field::CPPTYPE_UINT64:
        return NumberValue(static_cast<double>(rep ? r->GetRepeatedUInt64(m, field, index)
                                                   : r->GetUInt64(m, field)));
      case Field::CPPTYPE_DOUBLE:
        return NumberValue(rep ? r->GetRepeatedDouble(m, field, index) : r->GetDouble(m, field));
      case Field::CPPTYPE_FLOAT:
        return NumberValue(rep ? r->GetRepeatedFloat(m, field, index) : r->GetFloat(m, field));
      case Field::CPPTYPE_BOOL: {
        gp::Value v;
        v.set_bool_value(rep ? r->GetRepeatedBool(m, field, index) : r->GetBool(m, field));
        return v;
      }
      case Field::CPPTYPE_ENUM: {
        const gp::EnumValueDescriptor* e =
            rep ? r->GetRepeatedEnum(m, field, index) : r->GetEnum(m, field);
        return StringValue(EnumWord(e->type()->name(), e->name()));
      }
      case Field::CPPTYPE_STRING:
        return StringValue(rep ? r->GetRepeatedString(m, field, index) : r->GetString(m, field));
      case Field::CPPTYPE_MESSAGE:
        return Message(rep ? r->GetRepeatedMessage(m, field, index) : r->GetMessage(m, field),
                       path);
    }
    return gp::Value();
  }

  // A map field: an object keyed by the entries' keys.
  gp::Value Map(const gp::Message& m, const Field* field, const std::string& path) {
    const gp::Reflection* r = m.GetReflection();
    gp::Value v;
    gp::Struct* object = v.mutable_struct_value();
    for (int i = 0; i < r->FieldSize(m, field); ++i) {
      const gp::Message& entry = r->GetRepeatedMessage(m, field, i);
      const Field* key = entry.GetDescriptor()->map_key();
      const Field* value = entry.GetDescriptor()->map_value();
      const gp::Value key_value = Element(entry, key, -1, path);
      std::string key_text = key_value.has_string_value()
                                 ? key_value.string_value()
                                 : std::to_string(static_cast<int64_t>(key_value.number_value()));
      (*object->mutable_fields())[key_text] =
          Element(entry, value, -1, absl::StrCat(path, "[", key_text, "]"));
    }
    return v;
  }

  absl::Status status_;
};

}  // namespace

std::string EnumWord(absl::string_view type_name, absl::string_view value_name) {
  absl::string_view word = value_name;
  absl::ConsumePrefix(&word, EnumPrefix(type_name));
  return absl::AsciiStrToLower(word);
}

absl::StatusOr<gp::Value> ToJsonValue(const gp::Message& message) {
  Converter converter;
  gp::Value value = converter.Message(message, "");
  if (!converter.status().ok()) return converter.status();
  return value;
}

namespace {

void AppendString(const std::string& text, std::string& out) {
  absl::StrAppend(&out, "\"", internal::JsonEscape(text), "\"");
}

// Objects with their keys sorted, so that the same answer prints the same.
void AppendValue(const gp::Value& value, std::string& out) {
  switch (value.kind_case()) {
    case gp::Value::kNumberValue: {
      // Integers print as integers (within int64: the cast is defined there).
      const double n = value.number_value();
      const bool integral = std::isfinite(n) && n == std::trunc(n) && std::fabs(n) < 9.2e18;
      out += integral ? absl::StrCat(static_cast<int64_t>(n)) : absl::StrFormat("%.17g", n);
      break;
    }
    case gp::Value::kStringValue:
      AppendString(value.string_value(), out);
      break;
    case gp::Value::kBoolValue:
      out += value.bool_value() ? "true" : "false";
      break;
    case gp::Value::kStructValue: {
      std::vector<const std::string*> keys;
      for (const auto& [key, v] : value.struct_value().fields()) keys.push_back(&key);
      std::sort(keys.begin(), keys.end(), [](auto* a, auto* b) { return *a < *b; });
      out += '{';
      for (size_t i = 0; i < keys.size(); ++i) {
        if (i > 0) out += ',';
        AppendString(*keys[i], out);
        out += ':';
        AppendValue(value.struct_value().fields().at(*keys[i]), out);
      }
      out += '}';
      break;
    }
    case gp::Value::kListValue: {
      out += '[';
      for (int i = 0; i < value.list_value().values_size(); ++i) {
        if (i > 0) out += ',';
        AppendValue(value.list_value().values(i), out);
      }
      out += ']';
      break;
    }
    default:
      out += "null";
  }
}

}  // namespace

std::string JsonText(const gp::Value& value) {
  std::string out;
  AppendValue(value, out);
  return out;
}

absl::StatusOr<std::string> ToJson(const gp::Message& message) {
  CANCELABLE_ASSIGN_OR_RETURN(gp::Value value, ToJsonValue(message));
  return JsonText(value);
}

}  // namespace hother::cancelable::cancelctl
