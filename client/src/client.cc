#include "hother/cancelable/client/client.h"

#include <utility>

#include "client/src/client_core.h"

namespace hother::cancelable {

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(ClientOptions options) {
  if (options.initial_backoff <= absl::ZeroDuration() ||
      options.max_backoff < options.initial_backoff) {
    return absl::InvalidArgumentError(
        "initial_backoff must be positive and max_backoff at least as long");
  }
  if (options.progress_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("progress_interval must be positive");
  }
  auto core = std::make_shared<client_internal::ClientCore>(std::move(options));
  core->StartThreads();
  return std::unique_ptr<Client>(new Client(std::move(core)));
}

Client::Client(std::shared_ptr<client_internal::ClientCore> core) : core_(std::move(core)) {}

Client::~Client() {
  if (core_->Forked()) {
    // A forked child's copy: the parent's channel and threads are not the
    // child's to tear down. Left as it is (the child's exit reclaims it).
    new std::shared_ptr<client_internal::ClientCore>(std::move(core_));
    return;
  }
  core_->Stop();
}

std::unique_ptr<RemoteOperation> Client::Start(StartOptions options) {
  auto record = core_->NewOperation(std::move(options));
  return std::unique_ptr<RemoteOperation>(new RemoteOperation(core_, std::move(record)));
}

bool Client::connected() const { return core_->connected(); }
absl::Status Client::status() const { return core_->status(); }

bool Client::WaitConnected(absl::Duration timeout) const { return core_->WaitConnected(timeout); }

bool Client::WaitConnectedOrRefused(absl::Duration timeout) const {
  return core_->WaitConnected(timeout, /*or_refused=*/true);
}

uint64_t Client::session_id() const { return core_->session_id(); }

const std::string& Client::endpoint() const { return core_->endpoint(); }

RemoteOperation::RemoteOperation(std::shared_ptr<client_internal::ClientCore> core,
                                 std::shared_ptr<client_internal::OpRecord> record)
    : core_(std::move(core)), record_(std::move(record)) {}

RemoteOperation::~RemoteOperation() { Finish(Check()); }

std::string RemoteOperation::id() const { return core_->IdOf(*record_); }

bool RemoteOperation::WaitRegistered(absl::Duration timeout) const {
  return core_->WaitRegistered(*record_, timeout);
}

bool RemoteOperation::lost() const { return core_->Lost(*record_); }

absl::Status RemoteOperation::registration_error() const {
  return core_->RegistrationError(*record_);
}

const CancellationToken& RemoteOperation::token() const { return record_->scope.token(); }

const Cancelable& RemoteOperation::scope() const { return record_->scope; }

void RemoteOperation::ReportProgress(std::string message, Metadata metadata) {
  core_->ReportProgress(*record_, std::move(message), std::move(metadata));
}

bool RemoteOperation::Cancel(std::string message) {
  // Locals: a token callback run by the cancel may destroy this object.
  std::shared_ptr<client_internal::ClientCore> core = core_;
  std::shared_ptr<client_internal::OpRecord> record = record_;
  return core->Cancel(record, std::move(message));
}

void RemoteOperation::Finish(const absl::Status& outcome) { core_->Finish(record_, outcome); }

}  // namespace hother::cancelable
