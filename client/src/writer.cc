// ClientCore's writer thread: everything sent on the session stream, in
// order, merged into as few messages as the wire allows. Callers queue with
// WriteLocked and never wait for the daemon to read.
#include <deque>
#include <utility>

#include "client/src/client_core.h"
#include "proto/wire.h"

namespace hother::cancelable::client_internal {

void ClientCore::WriteLocked(pb::SessionRequest request) {
  if (stream_ == nullptr || stop_writer_) return;
  const size_t bytes = request.ByteSizeLong();
  if (outbox_.empty() ||
      !wire::MergeBatch(outbox_.back().message, outbox_.back().bytes, request, bytes)) {
    outbox_.push_back({std::move(request), bytes});
  }
  writable_.Signal();
}

void ClientCore::DetachStreamLocked() {
  // TRICKY: the writer may be writing to this stream outside the lock; the
  // caller cancels the call (which fails such a write) and then waits here,
  // so the stream is never finished or destroyed under a write, and nothing
  // queued for it goes to the next one.
  stream_ = nullptr;
  outbox_.clear();
  writable_.SignalAll();
}

void ClientCore::WriterLoop() {
  for (;;) {
    std::deque<Queued> batch;
    Stream* stream;
    {
      internal::MutexLock lock(&mu_);
      while (!stop_writer_ && (outbox_.empty() || stream_ == nullptr)) writable_.Wait(&mu_);
      if (outbox_.empty() || stream_ == nullptr) return;  // stopping, nothing left to send
      batch.swap(outbox_);
      stream = stream_;
      writing_ = true;
    }
    // The stream stays valid while writing_ is set (see DetachStreamLocked).
    bool ok = true;
    for (Queued& queued : batch) {
      for (const pb::SessionRequest& part : wire::SplitBatch(std::move(queued.message))) {
        ok = ok && stream->Write(part);
      }
    }
    internal::MutexLock lock(&mu_);
    writing_ = false;
    writable_.SignalAll();
  }
}

}  // namespace hother::cancelable::client_internal
