// The kvcache internals against plain models: flat_map64 and slot_index against
// std::unordered_map, ghost_fifo against a deque of entries, bucket_queue against indexed_heap.
#include <doctest/doctest.h>

#include <deque>
#include <random>
#include <unordered_map>

#include "gpusched/kvcache/detail/bucket_queue.hpp"
#include "gpusched/kvcache/detail/flat_map.hpp"
#include "gpusched/kvcache/detail/ghost_fifo.hpp"
#include "gpusched/kvcache/detail/indexed_heap.hpp"
#include "gpusched/kvcache/detail/slot_index.hpp"
#include "gpusched/kvcache/detail/slot_list.hpp"

namespace kd = gpusched::kvcache::detail;

TEST_CASE("flat_map64: random operations agree with std::unordered_map") {
  for (const std::uint32_t seed : {1u, 2u, 3u}) {
    std::mt19937_64 g(seed);
    kd::flat_map64 m(8);  // small start: rehashes happen
    std::unordered_map<std::uint64_t, std::uint32_t> ref;
    for (int step = 0; step < 20000; ++step) {
      const std::uint64_t k = g() % 512;  // dense keys: long probe runs, backward shifts
      const auto v = static_cast<std::uint32_t>(g() % 1000);
      switch (g() % 4) {
        case 0: m.set(k, v); ref[k] = v; break;
        case 1: CHECK(m.erase(k) == (ref.erase(k) == 1)); break;
        case 2: {
          std::uint32_t& x = m.at_or_insert(k, v);
          const auto [it, fresh] = ref.try_emplace(k, v);
          CHECK(x == it->second);
          if (!fresh) x = it->second = v + 1;
          break;
        }
        default: {
          const auto it = ref.find(k);
          CHECK(m.find(k) == (it == ref.end() ? kd::flat_map64::npos : it->second));
        }
      }
      REQUIRE(m.size() == ref.size());
    }
  }
}

TEST_CASE("slot_index: random operations agree with a key -> id map") {
  for (const std::uint32_t seed : {1u, 2u, 3u}) {
    std::mt19937_64 g(seed);
    const std::uint32_t ids = 40;
    kd::slot_index m(ids);  // 256 cells: keys < 200 with identity homes still collide
    std::unordered_map<std::uint64_t, std::uint32_t> ref;  // key -> id
    std::vector<std::uint64_t> holder(ids, 0);
    std::vector<bool> used(ids, false);
    auto free_id = [&]() -> std::uint32_t {  // a random id that holds no key, or npos
      const auto start = static_cast<std::uint32_t>(g() % ids);
      for (std::uint32_t d = 0; d < ids; ++d)
        if (!used[(start + d) % ids]) return (start + d) % ids;
      return kd::slot_index::npos;
    };
    for (int step = 0; step < 20000; ++step) {
      // Keys < 200 with the identity as "hash" half of the time: dense homes, many collisions.
      const std::uint64_t k = g() % 200;
      const std::uint64_t h = seed == 1 ? k : kd::slot_index::hash(k);
      auto find = [&](std::uint64_t key) {
        return seed == 1 ? m.find(key, key) : m.find(key);
      };
      switch (g() % 5) {
        case 0: {  // assign a free id; the key's old id (if any) is released
          const std::uint32_t id = free_id();
          if (id == kd::slot_index::npos) break;
          const auto it = ref.find(k);
          const std::uint32_t old = it == ref.end() ? kd::slot_index::npos : it->second;
          CHECK(m.assign(k, h, id) == old);
          if (old != kd::slot_index::npos) used[old] = false;
          ref[k] = id;
          used[id] = true;
          holder[id] = k;
          break;
        }
        case 1: {  // erase by id
          const auto id = static_cast<std::uint32_t>(g() % ids);
          CHECK(m.mapped(id) == used[id]);
          if (!used[id]) break;
          CHECK(m.key_of(id) == holder[id]);
          m.erase_id(id);
          ref.erase(holder[id]);
          used[id] = false;
          break;
        }
        case 2: {  // retag an id to a free one
          const auto from = static_cast<std::uint32_t>(g() % ids);
          const std::uint32_t to = free_id();
          if (!used[from] || to == kd::slot_index::npos) break;
          m.retag(from, to);
          ref[holder[from]] = to;
          holder[to] = holder[from];
          used[from] = false;
          used[to] = true;
          break;
        }
        case 3:  // erase by key (only with the real hash: erase(key) hashes it)
          if (seed != 1) {
            const auto it = ref.find(k);
            CHECK(m.erase(k) == (it != ref.end()));
            if (it != ref.end()) {
              used[it->second] = false;
              ref.erase(it);
            }
          }
          break;
        default: {
          const auto it = ref.find(k);
          CHECK(find(k) == (it == ref.end() ? kd::slot_index::npos : it->second));
        }
      }
      REQUIRE(m.size() == ref.size());
      if (step % 97 == 0) {  // every key findable, every id where it says
        for (const auto& [key, id] : ref) {
          REQUIRE(find(key) == id);
          REQUIRE(m.key_of(id) == key);
        }
        std::size_t n = 0;
        m.for_each([&](std::uint64_t key, std::uint32_t id) {
          ++n;
          CHECK(ref.at(key) == id);
        });
        CHECK(n == ref.size());
      }
    }
  }
  CHECK_THROWS_AS(kd::slot_index(std::size_t{1} << 31), gpusched::error);
}

TEST_CASE("ghost_fifo: random operations agree with a ring of entries") {
  struct entry {
    std::uint64_t key;
    std::size_t id;
  };
  for (const std::uint32_t seed : {4u, 5u, 6u}) {
    std::mt19937_64 g(seed);
    const std::size_t cap = 9;
    kd::ghost_fifo gf;
    gf.reserve(cap);
    std::deque<entry> ring;  // stale entries stay until they reach the front
    std::unordered_map<std::uint64_t, std::size_t> live;  // key -> its live entry
    std::size_t next_id = 0;
    auto drop_front = [&] {
      const entry e = ring.front();
      ring.pop_front();
      const auto it = live.find(e.key);
      if (it == live.end() || it->second != e.id) return false;
      live.erase(it);
      return true;
    };
    for (int step = 0; step < 20000; ++step) {
      const std::uint64_t k = g() % 30;
      switch (g() % 3) {
        case 0:
          gf.push(k);
          if (ring.size() == cap) drop_front();
          ring.push_back({k, next_id});
          live[k] = next_id++;
          break;
        case 1: CHECK(gf.erase(k) == (live.erase(k) == 1)); break;
        default:
          gf.pop_oldest();
          while (!ring.empty() && !drop_front()) {
          }
      }
      REQUIRE(gf.size() == live.size());
      CHECK(gf.contains(k) == (live.count(k) == 1));
    }
  }
}

TEST_CASE("bucket_queue: random operations agree with an indexed heap keyed by (priority, tick)") {
  struct key {
    std::uint64_t value = 0, tick = 0;
    bool operator<(const key& o) const noexcept {
      return value != o.value ? value < o.value : tick < o.tick;
    }
  };
  for (const std::uint32_t seed : {1u, 2u, 3u, 4u}) {
    std::mt19937_64 g(seed);
    constexpr std::uint32_t n = 300;
    kd::bucket_queue q;
    kd::indexed_heap<key> ref;
    q.reserve(n);
    ref.reserve(n);
    std::uint64_t floor = 0, tick = 0;
    // Wide spreads on some seeds: priorities far above the floor force the ring to grow.
    const std::uint64_t spread = seed % 2 == 0 ? 5000 : 40;
    for (int step = 0; step < 30000; ++step) {
      const auto s = static_cast<std::uint32_t>(g() % n);
      switch (g() % 5) {
        case 0:
        case 1: {
          const std::uint64_t p = floor + g() % spread;
          q.push(s, p);
          ref.set(s, key{p, ++tick});
          break;
        }
        case 2:
          q.erase(s);
          ref.erase(s);
          break;
        case 3: {  // raise the floor to the minimum, as LFU-DA's aging does
          if (ref.empty()) break;
          const std::uint64_t m = ref.key(ref.top()).value;
          REQUIRE(q.min_priority() == m);
          floor = m;
          q.raise_floor(m);
          break;
        }
        default: {  // the first slot passing a filter (pinned slots skipped), in heap order
          const std::uint32_t mod = 1 + static_cast<std::uint32_t>(g() % 4);
          auto ok = [&](std::uint32_t x) { return x % mod == 0; };
          CHECK(q.find_first(ok) == ref.find_first(ok));
        }
      }
      REQUIRE(q.size() == ref.size());
      REQUIRE(q.contains(s) == ref.contains(s));
      if (ref.contains(s)) REQUIRE(q.priority(s) == ref.key(s).value);
    }
  }
}

TEST_CASE("slot_list: rotate(r) is r moves of the tail to the head") {
  for (std::size_t n = 1; n <= 6; ++n)
    for (std::size_t r = 0; r < n; ++r) {
      kd::slot_links la, lb;
      la.reserve(8);
      lb.reserve(8);
      kd::slot_list a, b;
      for (std::uint32_t s = 0; s < n; ++s) {
        a.push_front(la, s);
        b.push_front(lb, s);
      }
      a.rotate(la, r);
      for (std::size_t i = 0; i < r; ++i) b.move_to_front(lb, b.tail());
      CAPTURE(n);
      CAPTURE(r);
      REQUIRE(a.size() == n);
      REQUIRE(a.head() == b.head());
      REQUIRE(a.tail() == b.tail());
      // Both directions of the links agree, end to end.
      std::vector<std::uint32_t> fa, fb, ba;
      for (std::uint32_t s = a.head(); s != kd::no_slot; s = la.next[s]) fa.push_back(s);
      for (std::uint32_t s = b.head(); s != kd::no_slot; s = lb.next[s]) fb.push_back(s);
      for (std::uint32_t s = a.tail(); s != kd::no_slot; s = la.prev[s]) ba.insert(ba.begin(), s);
      CHECK(fa == fb);
      CHECK(fa == ba);
    }
}
