// forwarding_policy (policies/wrapper.hpp): pinning and queue_aware take part in exactly the
// optional protocols of the policy they wrap, and pass it what it needs.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "gpusched/kvcache/policies.hpp"
#include "gpusched/kvcache/replay.hpp"
#include "gpusched/kvcache/synthetic.hpp"
#include "kv_test_support.hpp"

namespace kv = gpusched::kvcache;
namespace pol = gpusched::kvcache::policies;

namespace {
template <class P>
constexpr bool takes_queue = requires(P& p) {
  p.attach_queue(static_cast<const kv::queue_view*>(nullptr));
};
template <class P>
constexpr bool sees_requests = requires(P& p, const kv::request& r) {
  p.on_request_begin(r, 0);
};

// One block per request, arriving at the given times.
std::vector<kv::request> timed(const std::string& ids, const std::vector<double>& at) {
  std::vector<kv::request> rs(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    rs[i].blocks = {static_cast<kv::block_id>(ids[i])};
    rs[i].arrival = at[i];
  }
  return rs;
}
using kv_test::resident;
}  // namespace

// A hook exists on the wrapper iff the wrapped policy has it (the replay's fast path for policies
// without a queue, and the oracle for Belady, depend on this).
static_assert(kv::needs_future<pol::pinning<pol::belady>> &&
              kv::needs_future<pol::queue_aware<pol::belady>>);
static_assert(!kv::needs_future<pol::pinning<pol::lru>> &&
              !kv::needs_future<pol::queue_aware<pol::lru>>);
static_assert(!takes_queue<pol::pinning<pol::lru>> &&
              takes_queue<pol::pinning<pol::queue_aware<pol::lru>>>);
static_assert(takes_queue<pol::queue_aware<pol::lru>>);
static_assert(sees_requests<pol::pinning<pol::hit_density>> &&
              sees_requests<pol::queue_aware<pol::hit_density>>);
// pinning always sees requests: its TTL clock moves to each request's arrival.
static_assert(sees_requests<pol::pinning<pol::lru>> && !sees_requests<pol::queue_aware<pol::lru>>);
static_assert(kv::ghost_keeping<pol::pinning<pol::arc>> &&
              !kv::ghost_keeping<pol::pinning<pol::lru>>);

TEST_CASE(
    "wrappers: an unmarked pinning<belady> replays exactly like belady (next uses forwarded)") {
  kv::synthetic_options o;
  o.requests = 800;
  const auto rs = kv::synthetic_trace(o);
  for (const std::size_t cap : {20, 100, 400}) {
    kv::tier<pol::belady> plain(cap);
    kv::tier<pol::pinning<pol::belady>> wrapped(cap);
    kv::tier<pol::queue_aware<pol::belady>> queued(cap);
    const auto a = kv::replay(plain, rs), b = kv::replay(wrapped, rs), c = kv::replay(queued, rs);
    CAPTURE(cap);
    CHECK(a.hits == b.hits);
    CHECK(a.evictions == b.evictions);
    CHECK(a.hits == c.hits);
  }
}

TEST_CASE("wrappers: pinning passes the queue to a queue_aware inside it") {
  // Capacity 2, lookahead 1: when c arrives the next request uses a, so b goes (LRU: a).
  const auto rs = timed("abca", {0, 1, 2, 3});
  kv::tier<pol::pinning<pol::queue_aware<pol::lru>>> t(2);
  kv::replay_options o;
  o.lookahead = 1;
  CHECK(kv::replay(t, rs, o).hits == 1);
}

TEST_CASE("wrappers: pinning reads trace time from every access, ghost-keeping inner included") {
  // Capacity 2, a marked for 10 s. At c (t=20) the clock reads c's arrival: a's mark has
  // expired and a, the least recently used, goes; at d (t=21) b goes. A clock stuck at 0 would
  // keep a and drop c.
  const auto rs = timed("abcd", {0, 1, 20, 21});
  pol::pinning<pol::lru> p;
  p.pin('a', 0, 10.0);
  kv::tier<pol::pinning<pol::lru>> t(2, std::move(p));
  (void)kv::replay(t, rs);
  CHECK(resident(t) == "cd");
  pol::pinning<pol::arc> q;
  q.pin('a', 0, 10.0);
  kv::tier<pol::pinning<pol::arc>> u(2, std::move(q));
  (void)kv::replay(u, rs);
  CHECK(resident(u) == "cd");
}
