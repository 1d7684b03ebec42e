// Who is calling, as the daemon verified it (never as the client says):
// the peer credentials of a unix-socket connection (SO_PEERCRED and
// SO_PEERGROUPS, taken when the daemon accepted it), the name in a TLS
// client certificate, or nothing verified (plaintext TCP on loopback, with
// --insecure-tcp). What the client says about itself (a process name, an
// actor text) is kept apart as its words (see Cancellation.actor_note).
#ifndef HOTHER_CANCELABLE_DAEMON_CORE_PRINCIPAL_H_
#define HOTHER_CANCELABLE_DAEMON_CORE_PRINCIPAL_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hother::cancelable::daemon {

// The credentials of a unix-socket peer, as the kernel gave them.
struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups (SO_PEERGROUPS)
};

struct Principal {
  enum class Kind {
    kUnix,         // a local process: uid, gid, groups and pid verified
    kCertificate,  // a TLS client certificate: its name verified
    kUnverified,   // plaintext TCP (--insecure-tcp) or in-process: nothing verified
  };
  Kind kind = Kind::kUnverified;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  std::vector<gid_t> groups;
  pid_t pid = 0;
  std::string user;       // the uid's name on this host (resolved by the daemon)
  std::string cert_name;  // the certificate's CN or SAN URI
  std::string address;    // the peer's address, for unverified ones
  // Root, or a member of the admin group: may do everything.
  bool admin = false;

  // "uid=1000(alice) pid=4242", "cert=CN=backup-job", "unverified peer
  // ipv4:127.0.0.1:5555".
  std::string Text() const;
  // "uid:1000", "cert:NAME", "unverified": the key of ownership and quotas.
  std::string Key() const;
  bool InGroup(gid_t group) const;
};

// A unix peer's principal: its user name resolved here, admin when root or
// in `admin_group` (if that group exists: -1 for none).
Principal UnixPrincipal(const PeerCredentials& peer, gid_t admin_group);

// The name of `uid` on this host ("" if it has none).
std::string UserName(uid_t uid);

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_CORE_PRINCIPAL_H_
