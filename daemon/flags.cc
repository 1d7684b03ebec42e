#include "daemon/flags.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace hother::cancelable::daemon {
namespace {

// A CLI11 option that parses an absl duration ("300ms", "2s") into `out`.
void AddDuration(CLI::App& app, const std::string& name, absl::Duration& out,
                 const std::string& help) {
  app.add_option_function<std::string>(
         name,
         [&out, name](const std::string& text) {
           absl::Duration d;
           if (!absl::ParseDuration(text, &d) || d <= absl::ZeroDuration()) {
             throw CLI::ValidationError(
                 name, "'" + text + "' is not a positive duration like 300ms or 2s");
           }
           out = d;
         },
         help)
      ->type_name("DURATION");
}

// The durable state's flags (store/state_dir.h, store/store.h).
void AddStateFlags(CLI::App& app, DaemonOptions& options, MainFlags& main_flags) {
  app.add_option("--state-dir", options.state_dir,
                 "Where the durable state lives (named tokens, cancel records, history), or "
                 "'none' to keep nothing across restarts. Default: the configuration's "
                 "[state] dir, else /var/lib/canceld when writable, else "
                 "$XDG_STATE_HOME/canceld, else ~/.local/state/canceld")
      ->type_name("DIR");
  app.add_option_function<std::string>(
         "--durability",
         [&options](const std::string& text) {
           if (text == "sync") {
             options.durability = Durability::kSync;
           } else if (text == "batch") {
             options.durability = Durability::kBatch;
           } else {
             throw CLI::ValidationError("--durability", "'" + text + "': use sync or batch");
           }
         },
         "sync (default): an RPC's OK waits until its change is on disk; batch: OK at once, "
         "committed moments later (a crash loses those moments)")
      ->type_name("MODE");
  AddDuration(app, "--cancel-retention", options.cancel_retention,
              "How long cancel records of live operations and selector cancels are kept for "
              "owners that register again after a restart (default 24h)");
  AddDuration(app, "--history-age", options.history_age,
              "Finished operations older than this leave the stored history (default 168h)");
  app.add_flag("--print-state-dir", main_flags.print_state_dir,
               "Print the state directory canceld would use, and exit");
  app.add_flag("--reset-state", main_flags.reset_state,
               "Move the state store aside (renamed with the time) and exit");
}

}  // namespace

void AddDaemonFlags(CLI::App& app, DaemonOptions& options, MainFlags& main_flags) {
  app.add_option("--listen,--endpoint", options.listen,
                 "Endpoint to listen on: unix:/path or host:port (repeatable). Default: "
                 "$CANCELD_ENDPOINT, /run/canceld/canceld.sock, $XDG_RUNTIME_DIR/canceld.sock, "
                 "/tmp/canceld-$UID/canceld.sock");
  app.add_flag("--insecure-tcp", options.insecure_tcp,
               "Allow --listen on plaintext TCP: its callers are not verified (one shared "
               "unverified principal) and the traffic is not encrypted");
  app.add_option("--admin-group", options.admin_group,
                 "Members of this group (and root) may cancel anyone's operations "
                 "(default canceld-admin; a group that does not exist: root only)");
  AddDuration(app, "--heartbeat-interval", options.limits.heartbeat_interval,
              "How often clients send heartbeats (default 2s)");
  AddDuration(app, "--lease-timeout", options.limits.lease_timeout,
              "A session silent for this long is ended and its operations LOST (default 10s)");
  app.add_option("--max-operations", options.limits.max_operations,
                 "Live operations at most (default 1000000)")
      ->check(CLI::PositiveNumber);
  app.add_option("--history", options.limits.history,
                 "Finished operations kept for get/list --all, newest first (default 10000)");
  app.add_option("--max-sessions", options.limits.max_sessions,
                 "Client sessions at most, streams still in their handshake included (default "
                 "10000, lowered to fit the file descriptor limit)")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-tokens", options.limits.max_tokens, "Named tokens at most (default 100000)")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-watchers", options.limits.max_watchers,
                 "Concurrent Watch streams at most (default 1000)")
      ->check(CLI::PositiveNumber);
  app.add_option("--watch-queue-bytes", options.limits.watch_queue_bytes,
                 "Bytes of events one watcher may have waiting before it is ended as fallen "
                 "behind (default 67108864)")
      ->check(CLI::PositiveNumber);
  AddDuration(app, "--handshake-timeout", options.limits.handshake_timeout,
              "A Session stream that sends no Hello for this long is ended (default 10s)");
  app.add_option("--max-handshakes-per-peer", options.limits.max_handshakes_per_peer,
                 "Session streams without a Hello yet, per client connection (default 100)")
      ->check(CLI::PositiveNumber);
  app.add_option("--session-queue-bytes", options.limits.session_queue_bytes,
                 "Bytes of replies waiting for one session to read them before it is ended "
                 "(default 268435456)")
      ->check(CLI::PositiveNumber);
  app.add_option_function<std::string>(
         "--log-level",
         [&options](const std::string& text) {
           std::optional<LogLevel> level = ParseLogLevel(text);
           if (!level)
             throw CLI::ValidationError("--log-level",
                                        "'" + text + "': use debug, info, warning or error");
           options.log_level = *level;
         },
         "debug, info (default), warning or error")
      ->type_name("LEVEL");
  app.add_option_function<std::string>(
         "--log-format",
         [&options](const std::string& text) {
           std::optional<LogFormat> format = ParseLogFormat(text);
           if (!format)
             throw CLI::ValidationError("--log-format", "'" + text + "': use text or json");
           options.log_format = *format;
         },
         "text (default) or json")
      ->type_name("FORMAT");
  app.add_option("--config", options.config_path,
                 "TOML configuration file (named conditions), re-read on SIGHUP");
  AddStateFlags(app, options, main_flags);
  app.add_flag("--version", main_flags.version, "Print the version and exit");
  app.add_flag("--print-endpoint", main_flags.print_endpoint,
               "Print the endpoint(s) canceld would listen on, and exit");
}

}  // namespace hother::cancelable::daemon
