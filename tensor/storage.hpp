// A Storage is one 64-byte aligned block of bytes. Tensors hold it through a
// shared_ptr, so views of the same data share one Storage and the block is freed
// when the last view goes away.
//
// Blocks come from a small per-thread cache: the training and sampling loops create
// tensors of the same few sizes at every step, and reusing freed blocks keeps those
// loops free of calls to the system allocator.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

namespace lambdahat {

inline constexpr std::size_t kAlignment = 64;

class Storage {
 public:
  explicit Storage(std::size_t nbytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }

 private:
  void* data_;
  std::size_t nbytes_;
};

// Allocates `nbytes` (rounded up to a size class), 64-byte aligned, from the
// calling thread's cache when possible. Freed blocks go back to the freeing thread.
void* allocate_block(std::size_t nbytes);
void free_block(void* p, std::size_t nbytes);

// Returns every cached block of the calling thread to the system.
void release_cached_blocks();

// An allocator on the same per-thread cache, for the small objects that every op
// creates (a tensor's Storage, a Variable, a graph node, with their shared_ptr
// control blocks): std::allocate_shared(CachedAllocator<T>(), ...) instead of
// make_shared keeps them off the system allocator, which took a quarter of the cost
// of a tiny op.
template <class T>
struct CachedAllocator {
  using value_type = T;
  CachedAllocator() = default;
  template <class U>
  CachedAllocator(const CachedAllocator<U>&) {}  // NOLINT: rebinding is implicit
  T* allocate(std::size_t n) { return static_cast<T*>(allocate_block(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) { free_block(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const CachedAllocator<U>&) const {
    return true;
  }
};

// make_shared on the per-thread cache.
template <class T, class... Args>
std::shared_ptr<T> make_cached_shared(Args&&... args) {
  return std::allocate_shared<T>(CachedAllocator<T>(), std::forward<Args>(args)...);
}

}  // namespace lambdahat
