#include "daemon/config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/core/labels.h"
#include "toml++/toml.h"

namespace hother::cancelable::daemon {
namespace {

absl::Status At(const std::string& source, const toml::source_region& where,
                absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat(source, ":", where.begin.line, ":", where.begin.column, ": ", message));
}

// One [conditions.NAME] table into a Condition, via the same text parser
// clients use, so both accept exactly the same values.
absl::StatusOr<Condition> ConditionFrom(const std::string& source, const std::string& name,
                                        const toml::table& table) {
  auto kind = table["kind"].value<std::string>();
  if (!kind)
    return At(source, table.source(), absl::StrCat("conditions.", name, ": 'kind' is required"));
  auto str = [&](const char* key) { return table[key].value<std::string>(); };
  auto num = [&](const char* key) -> std::optional<double> {
    if (auto d = table[key].value<double>()) return d;
    if (auto i = table[key].value<int64_t>()) return static_cast<double>(*i);
    return std::nullopt;
  };
  auto missing = [&](const char* key) {
    return At(source, table.source(),
              absl::StrCat("conditions.", name, ": kind '", *kind, "' needs '", key, "'"));
  };
  std::string text;
  if (*kind == "command") {
    Condition c;
    c.kind = ConditionKind::kCommand;
    if (auto line = str("command")) {
      c.command = {"/bin/sh", "-c", *line};
    } else if (const toml::array* argv = table["command"].as_array()) {
      for (const toml::node& arg : *argv) {
        auto s = arg.value<std::string>();
        if (!s) return At(source, arg.source(), "command: every element must be a string");
        c.command.push_back(*s);
      }
    }
    if (c.command.empty()) return missing("command");
    if (auto timeout = str("timeout")) {
      if (!absl::ParseDuration(*timeout, &c.command_timeout) ||
          c.command_timeout <= absl::ZeroDuration()) {
        return At(source, table["timeout"].node()->source(),
                  absl::StrCat("timeout: '", *timeout, "' is not a duration like 5s"));
      }
    }
    return c;
  } else if (*kind == "file_exists" || *kind == "file_absent") {
    if (!str("path")) return missing("path");
    text = absl::StrCat(*kind, "(", *str("path"), ")");
  } else if (*kind == "memory_available_below") {
    if (num("percent")) {
      text = absl::StrCat(*kind, "(", *num("percent"), "%)");
    } else if (str("bytes")) {
      text = absl::StrCat(*kind, "(", *str("bytes"), ")");
    } else if (num("bytes")) {
      text = absl::StrCat(*kind, "(", static_cast<uint64_t>(*num("bytes")), ")");
    } else {
      return missing("percent' or 'bytes");
    }
  } else if (*kind == "load_average_above") {
    if (!num("load")) return missing("load");
    text = absl::StrCat(*kind, "(", *num("load"), ")");
  } else if (*kind == "disk_free_below") {
    if (!str("path")) return missing("path");
    if (!num("percent")) return missing("percent");
    text = absl::StrCat(*kind, "(", *str("path"), ", ", *num("percent"), "%)");
  } else if (*kind == "process_exited") {
    if (!num("pid")) return missing("pid");
    text = absl::StrCat(*kind, "(", static_cast<int64_t>(*num("pid")), ")");
  } else {
    return At(source, table["kind"].node()->source(),
              absl::StrCat("conditions.", name, ": unknown kind '", *kind, "'"));
  }
  absl::StatusOr<Condition> c = ParseCondition(text);
  if (!c.ok())
    return At(source, table.source(),
              absl::StrCat("conditions.", name, ": ", c.status().message()));
  return c;
}

}  // namespace

absl::StatusOr<DaemonConfig> ParseConfig(const std::string& text, const std::string& source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return At(source, e.source(), std::string(e.description()));
  }
  DaemonConfig config;
  for (auto& [key, node] : root) {
    if (key != "conditions" && key != "state") {
      return At(source, node.source(),
                absl::StrCat("unknown section '", std::string(key.str()), "'"));
    }
  }
  if (toml::node* state_node = root.get("state")) {
    const toml::table* state = state_node->as_table();
    if (state == nullptr) return At(source, state_node->source(), "state must be a table");
    for (auto& [key, node] : *state) {
      const std::optional<std::string> value = node.value<std::string>();
      if (key == "dir" && value.has_value() && !value->empty()) {
        config.state_dir = *value;
      } else if (key == "durability" && (value == "sync" || value == "batch")) {
        config.durability = *value;
      } else if (key == "dir" || key == "durability") {
        return At(source, node.source(),
                  absl::StrCat("state.", std::string(key.str()),
                               key == "dir" ? ": a directory path, or \"none\""
                                            : ": \"sync\" or \"batch\""));
      } else {
        return At(source, node.source(),
                  absl::StrCat("unknown key 'state.", std::string(key.str()), "'"));
      }
    }
  }
  if (toml::table* conditions = root["conditions"].as_table()) {
    for (auto& [key, node] : *conditions) {
      std::string name(key.str());
      if (absl::Status valid = ValidateTokenName("condition name", name); !valid.ok()) {
        return At(source, node.source(), valid.message());
      }
      const toml::table* table = node.as_table();
      if (table == nullptr) {
        return At(source, node.source(), absl::StrCat("conditions.", name, " must be a table"));
      }
      absl::StatusOr<Condition> c = ConditionFrom(source, name, *table);
      if (!c.ok()) return c.status();
      config.conditions[name] = *std::move(c);
    }
  }
  return config;
}

absl::StatusOr<DaemonConfig> LoadConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    const int error = errno;
    const std::string why =
        absl::StrCat("cannot read the configuration file ", path, ": ", std::strerror(error));
    return error == ENOENT ? absl::NotFoundError(why) : absl::PermissionDeniedError(why);
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseConfig(text.str(), path);
}

}  // namespace hother::cancelable::daemon
