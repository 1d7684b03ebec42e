// Streams: iterate a range inside a scope, stopping cleanly on cancellation.
//
//   auto op = Cancelable::WithTimeout(absl::Seconds(10));
//   absl::Status s = op.Run([&](Cancelable& self) -> absl::Status {
//     auto lines = self.Stream(ReadLines(file), {.report_interval = 1000});
//     for (const std::string& line : lines) Process(line);
//     return lines.status();   // OK, or why it stopped early
//   });
//
// Cancellation is checked before each pull from the underlying range, so no
// item is pulled and then dropped. Iteration ends when the range ends or the
// scope is cancelled; `status()` then says which (like a leveldb iterator).
// Every `report_interval` items the scope gets progress "Processed N items"
// with metadata {count, latest}. When the stream object is destroyed, on every
// path (completed, cancelled, failed by an exception, abandoned early), the
// scope's partial result is set to a StreamPartialResult<T> of one shape.
//
// The range is held by reference when given as an lvalue (it must outlive the
// stream) and moved into the stream when given as an rvalue. Any type with
// begin()/end() works; <ranges> is not required (clang 14 cannot compile
// libstdc++ 12's views, and our clang build must stay clean).
//
// Thread-safety: a stream is used by one thread at a time.
#ifndef HOTHER_CANCELABLE_STREAM_H_
#define HOTHER_CANCELABLE_STREAM_H_

#include <cstddef>
#include <deque>
#include <iterator>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "hother/cancelable/cancelable.h"

namespace hother::cancelable {

template <typename T>
struct StreamPartialResult {
  size_t count = 0;        // items yielded
  std::deque<T> buffer;    // the last items (oldest first), when buffering
  bool completed = false;  // the range was exhausted
};

namespace internal {
template <typename R>
using RangeIterator = decltype(std::begin(std::declval<R&>()));
template <typename R>
using RangeItem = std::decay_t<decltype(*std::begin(std::declval<R&>()))>;
}  // namespace internal

// R is `T&` for a borrowed range, `T` for an owned one.
template <typename R>
class CancelableStream {
 public:
  using Item = internal::RangeItem<R>;

  CancelableStream(Cancelable op, R&& range, StreamOptions options)
      : op_(std::move(op)), range_(std::forward<R>(range)), options_(options) {}
  CancelableStream(const CancelableStream&) = delete;
  CancelableStream& operator=(const CancelableStream&) = delete;
  ~CancelableStream() {
    op_.SetPartialResult(StreamPartialResult<Item>{count_, std::move(buffer_), completed_});
  }

  struct Sentinel {};
  class Iterator {
   public:
    using value_type = Item;
    using difference_type = std::ptrdiff_t;

    decltype(auto) operator*() const { return *stream_->it_; }
    Iterator& operator++() {
      stream_->Advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const Iterator& it, Sentinel) { return it.AtEnd(); }

   private:
    friend class CancelableStream;
    explicit Iterator(CancelableStream* stream) : stream_(stream) {}
    bool AtEnd() const { return stream_->done_; }
    CancelableStream* stream_;
  };

  // Begins the iteration (once per stream).
  Iterator begin() {
    if (CheckBeforePull()) {
      it_ = std::begin(range_);
      Arrive();
    }
    return Iterator(this);
  }
  Sentinel end() { return {}; }

  // OK while running or once the range is exhausted; the cancellation status
  // if the scope was cancelled before the range ended.
  const absl::Status& status() const { return status_; }
  size_t count() const { return count_; }
  bool completed() const { return completed_; }

 private:
  // False (and done, with the status) when cancelled.
  bool CheckBeforePull() {
    if (!op_.IsCancelled()) return true;
    status_ = op_.Check();
    done_ = true;
    return false;
  }

  void Advance() {
    if (done_) return;
    if (CheckBeforePull()) {
      ++it_;
      Arrive();
    }
  }

  // At a new position: the end, or one more item.
  void Arrive() {
    if (it_ == std::end(range_)) {
      completed_ = true;
      done_ = true;
      return;
    }
    ++count_;
    const bool report = options_.report_interval != 0 && count_ % options_.report_interval == 0;
    if constexpr (std::is_copy_constructible_v<Item>) {
      // Only when asked: a second dereference of a move_iterator would
      // steal the item from the caller.
      if (options_.buffer_partial || report) {
        const Item& item = *it_;
        if (options_.buffer_partial) {
          buffer_.push_back(item);
          if (buffer_.size() > options_.buffer_limit) buffer_.pop_front();
        }
        if (report) Report(&item);
        return;
      }
    }
    if (report) Report(nullptr);
  }

  void Report(const Item* latest) {
    Metadata metadata = {{"count", absl::StrCat(count_)}};
    if constexpr (std::is_constructible_v<absl::AlphaNum, const Item&>) {
      if (latest != nullptr) metadata["latest"] = absl::StrCat(*latest);
    }
    op_.ReportProgress(absl::StrCat("Processed ", count_, " items"), std::move(metadata));
  }

  Cancelable op_;
  R range_;
  const StreamOptions options_;
  internal::RangeIterator<R> it_{};
  size_t count_ = 0;
  std::deque<Item> buffer_;
  bool completed_ = false;
  bool done_ = false;
  absl::Status status_;
};

template <typename R>
class ChunkedCancelableStream {
 public:
  using Item = internal::RangeItem<R>;
  using Chunk = std::vector<Item>;

  ChunkedCancelableStream(Cancelable op, R&& range, size_t chunk_size)
      : op_(op),
        items_(std::move(op), std::forward<R>(range), StreamOptions{}),
        chunk_size_(chunk_size == 0 ? 1 : chunk_size) {}

  struct Sentinel {};
  class Iterator {
   public:
    using value_type = Chunk;
    using difference_type = std::ptrdiff_t;
    const Chunk& operator*() const { return stream_->chunk_; }
    Iterator& operator++() {
      stream_->Fill();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const Iterator& it, Sentinel) { return it.AtEnd(); }

   private:
    friend class ChunkedCancelableStream;
    explicit Iterator(ChunkedCancelableStream* stream) : stream_(stream) {}
    bool AtEnd() const { return stream_->done_; }
    ChunkedCancelableStream* stream_;
  };

  Iterator begin() {
    it_.emplace(items_.begin());
    Fill();
    return Iterator(this);
  }
  Sentinel end() { return {}; }

  const absl::Status& status() const { return items_.status(); }

 private:
  // Collects the next chunk; done when nothing is left to yield. The item
  // after a full chunk is pulled only when the next chunk is asked for.
  void Fill() {
    chunk_.clear();
    if (started_ && !(*it_ == items_.end())) ++*it_;
    started_ = true;
    while (!(*it_ == items_.end())) {
      chunk_.push_back(**it_);
      if (chunk_.size() == chunk_size_) break;
      ++*it_;
    }
    if (chunk_.empty()) {
      done_ = true;
      return;
    }
    // "final" only when the range really ended (not cut short by a cancel).
    const bool final = chunk_.size() < chunk_size_ && items_.completed();
    op_.ReportProgress(absl::StrCat(final ? "Processed final chunk of " : "Processed chunk of ",
                                    chunk_.size(), " items"),
                       {{"chunk_size", absl::StrCat(chunk_.size())}});
  }

  Cancelable op_;
  CancelableStream<R> items_;
  const size_t chunk_size_;
  std::optional<typename CancelableStream<R>::Iterator> it_;
  Chunk chunk_;
  bool started_ = false;
  bool done_ = false;
};

template <typename R>
auto Cancelable::Stream(R&& range, StreamOptions options) const {
  return CancelableStream<R>(*this, std::forward<R>(range), options);
}

template <typename R>
auto Cancelable::ChunkedStream(R&& range, size_t chunk_size) const {
  return ChunkedCancelableStream<R>(*this, std::forward<R>(range), chunk_size);
}

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_STREAM_H_
