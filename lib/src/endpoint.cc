#include "hother/cancelable/internal/endpoint.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace hother::cancelable {

std::string NormalizeEndpoint(absl::string_view endpoint) {
  if (absl::StartsWith(endpoint, "/")) return absl::StrCat("unix:", endpoint);
  return std::string(endpoint);
}

std::optional<std::string> UnixSocketPath(absl::string_view endpoint) {
  if (absl::StartsWith(endpoint, "unix://")) return std::string(endpoint.substr(7));
  if (absl::StartsWith(endpoint, "unix:")) return std::string(endpoint.substr(5));
  return std::nullopt;
}

std::string PerUserSocketDir() { return absl::StrCat("/tmp/canceld-", getuid()); }

std::string ResolveEndpoint(absl::string_view explicit_endpoint) {
  if (!explicit_endpoint.empty()) return NormalizeEndpoint(explicit_endpoint);
  if (const char* env = std::getenv("CANCELD_ENDPOINT"); env != nullptr && *env != '\0') {
    return NormalizeEndpoint(env);
  }
  // The system daemon's socket: used when it is there (a member of its
  // group need not be able to write the directory), or when this process
  // could create it (the daemon itself).
  struct stat st;
  if ((lstat(kSystemSocket, &st) == 0 && S_ISSOCK(st.st_mode)) ||
      access("/run/canceld", R_OK | W_OK | X_OK) == 0) {
    return absl::StrCat("unix:", kSystemSocket);
  }
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && *xdg != '\0') {
    return absl::StrCat("unix:", xdg, "/canceld.sock");
  }
  return absl::StrCat("unix:", PerUserSocketDir(), "/canceld.sock");
}

}  // namespace hother::cancelable
