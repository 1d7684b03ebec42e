// What the benchmark needs from the host: free ports, a process's resident
// memory, a description of the machine for the report, and awaiting a line a
// child process writes.
#ifndef HOTHER_CANCELABLE_TESTS_BENCH_HOST_H_
#define HOTHER_CANCELABLE_TESTS_BENCH_HOST_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace grpc {
class Channel;
}

namespace hother::cancelable::bench {

// An insecure channel to `endpoint` with a connection of its own. (Channels
// with the same arguments share connections by default; a trigger and the
// stream it reaches must not, as they would be different processes.)
std::shared_ptr<grpc::Channel> OwnChannel(const std::string& endpoint);

// A TCP port on 127.0.0.1 that was free a moment ago (for peers that cannot
// bind port 0 and report it).
int FreeTcpPort();

// VmRSS of `pid` in bytes (0 if unknown); with `peak`, VmHWM (the highest
// RSS so far).
size_t ResidentBytes(pid_t pid, bool peak = false);

// "2 x AMD EPYC ..., 24 GiB, Debian GNU/Linux 12 (bookworm)".
std::string MachineDescription();

// The text after `key` on the first line of file `path` containing `marker`,
// up to the next space, quote or end of line, once it appears (within
// `timeout`).
absl::StatusOr<std::string> AwaitLogValue(const std::string& path, const std::string& marker,
                                          const std::string& key, absl::Duration timeout);

}  // namespace hother::cancelable::bench

#endif  // HOTHER_CANCELABLE_TESTS_BENCH_HOST_H_
