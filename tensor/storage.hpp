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

}  // namespace lambdahat
