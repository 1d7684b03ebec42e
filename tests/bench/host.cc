#include "tests/bench/host.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "tests/lib/test_util.h"

namespace hother::cancelable::bench {
namespace {

// The value of the first line of `path` starting with `key`, after the colon
// (or '='), trimmed.
std::string FieldOf(const std::string& path, const std::string& key, char separator) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key, 0) != 0) continue;
    size_t at = line.find(separator);
    if (at == std::string::npos) continue;
    std::string value = line.substr(at + 1);
    value.erase(0, value.find_first_not_of(" \t\""));
    while (!value.empty() && (value.back() == '"' || value.back() == ' ')) value.pop_back();
    return value;
  }
  return "";
}

}  // namespace

std::shared_ptr<grpc::Channel> OwnChannel(const std::string& endpoint) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(endpoint, grpc::InsecureChannelCredentials(), args);
}

int FreeTcpPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

size_t ResidentBytes(pid_t pid, bool peak) {
  const std::string kb =
      FieldOf(absl::StrCat("/proc/", pid, "/status"), peak ? "VmHWM:" : "VmRSS:", ':');
  return kb.empty() ? 0 : std::stoull(kb) * 1024;
}

std::string MachineDescription() {
  const std::string cpu = FieldOf("/proc/cpuinfo", "model name", ':');
  const std::string mem_kb = FieldOf("/proc/meminfo", "MemTotal:", ':');
  const std::string os = FieldOf("/etc/os-release", "PRETTY_NAME", '=');
  const double gib = mem_kb.empty() ? 0 : std::stod(mem_kb) / (1024.0 * 1024.0);
  return absl::StrFormat("%u x %s, %.0f GiB, %s", std::thread::hardware_concurrency(),
                         cpu.empty() ? "unknown CPU" : cpu, gib, os.empty() ? "unknown OS" : os);
}

absl::StatusOr<std::string> AwaitLogValue(const std::string& path, const std::string& marker,
                                          const std::string& key, absl::Duration timeout) {
  std::string value;
  const bool found = Eventually(
      [&] {
        std::ifstream in(path);
        for (std::string line; std::getline(in, line);) {
          if (line.find(marker) == std::string::npos) continue;
          size_t at = line.find(key);
          if (at == std::string::npos) continue;
          value = line.substr(at + key.size());
          value = value.substr(0, value.find_first_of(" \"\n"));
          return true;
        }
        return false;
      },
      timeout);
  if (!found) {
    return absl::DeadlineExceededError(absl::StrCat("no line with '", marker, "' in ", path,
                                                    " within ", absl::FormatDuration(timeout)));
  }
  return value;
}

}  // namespace hother::cancelable::bench
