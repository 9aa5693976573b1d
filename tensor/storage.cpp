#include "tensor/storage.hpp"

#include <bit>
#include <cstdlib>
#include <new>
#include <vector>

#ifdef __linux__
#include <sys/mman.h>
#endif

namespace lambdahat {
namespace {

// Size classes are powers of two from 64 bytes up to 64 MiB; larger blocks bypass
// the cache. A thread keeps at most kMaxCachedBytes in its cache.
constexpr int kMinClassLog2 = 6;
constexpr int kMaxClassLog2 = 26;
constexpr std::size_t kMaxCachedBytes = std::size_t{256} << 20;

int size_class(std::size_t nbytes) {
  const std::size_t rounded = std::bit_ceil(std::max<std::size_t>(nbytes, 1));
  return std::max(std::countr_zero(rounded), kMinClassLog2);
}

// Blocks of 8 MiB and more are aligned to 2 MiB and marked for transparent huge
// pages (Linux), so that first touching one costs a page fault per 2 MiB instead of
// one per 4 KiB: for a fresh 512 MiB result that is most of the op's time.
constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kHugeBlock = 4 * kHugePage;

void* system_allocate(std::size_t bytes) {
  if (bytes < kHugeBlock) {
    void* p = std::aligned_alloc(kAlignment, bytes);
    if (!p) throw std::bad_alloc();
    return p;
  }
  const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  void* p = std::aligned_alloc(kHugePage, rounded);
  if (!p) throw std::bad_alloc();
#ifdef __linux__
  madvise(p, rounded, MADV_HUGEPAGE);  // a hint: where it fails, small pages serve
#endif
  return p;
}

#ifdef LAMBDAHAT_NO_BLOCK_CACHE
constexpr bool kUseCache = false;
#else
constexpr bool kUseCache = true;
#endif

// aligned_alloc wants a multiple of the alignment.
std::size_t round_up(std::size_t nbytes) {
  return (std::max(nbytes, kAlignment) + kAlignment - 1) / kAlignment * kAlignment;
}

// Set when this thread's cache has been destroyed (thread or program exit), after
// which blocks go straight back to the system.
thread_local bool cache_gone = false;

struct BlockCache {
  std::vector<void*> free_lists[kMaxClassLog2 + 1];
  std::size_t cached_bytes = 0;

  void release() {
    for (auto& list : free_lists) {
      for (void* p : list) std::free(p);
      list.clear();
    }
    cached_bytes = 0;
  }
  ~BlockCache() {
    release();
    cache_gone = true;
  }
};

BlockCache& thread_cache() {
  thread_local BlockCache cache;
  return cache;
}

}  // namespace

void* allocate_block(std::size_t nbytes) {
  const int c = size_class(nbytes);
  const std::size_t bytes = std::size_t{1} << c;
  if (!kUseCache || c > kMaxClassLog2 || cache_gone) return system_allocate(round_up(nbytes));
  auto& cache = thread_cache();
  auto& list = cache.free_lists[c];
  if (!list.empty()) {
    void* p = list.back();
    list.pop_back();
    cache.cached_bytes -= bytes;
    return p;
  }
  return system_allocate(bytes);
}

void free_block(void* p, std::size_t nbytes) {
  if (!p) return;
  const int c = size_class(nbytes);
  const std::size_t bytes = std::size_t{1} << c;
  if (!kUseCache || c > kMaxClassLog2 || cache_gone) {
    std::free(p);
    return;
  }
  auto& cache = thread_cache();
  if (cache.cached_bytes + bytes > kMaxCachedBytes) {
    std::free(p);
    return;
  }
  cache.free_lists[c].push_back(p);
  cache.cached_bytes += bytes;
}

void release_cached_blocks() { thread_cache().release(); }

Storage::Storage(std::size_t nbytes) : data_(allocate_block(nbytes)), nbytes_(nbytes) {}

Storage::~Storage() { free_block(data_, nbytes_); }

}  // namespace lambdahat
