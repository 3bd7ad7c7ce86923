# Measures, on a real GPU, the figures the cost model's efficiency factors stand for:
# streaming HBM bandwidth, GEMM throughput by rows (small-M decode GEMMs vs large prefill GEMMs),
# and the fixed cost of a kernel launched eagerly and from a CUDA graph. Prints JSON lines.
import json, sys, time
import torch

def timed(fn, iters):
    torch.cuda.synchronize()
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    start = torch.cuda.Event(enable_timing=True); end = torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iters):
        fn()
    end.record(); torch.cuda.synchronize()
    return start.elapsed_time(end) / 1e3 / iters

def timed_graph(fn, per_graph):
    """GPU time of fn alone: per_graph calls captured in one CUDA graph, so host launch cost
    (which dominates small GEMMs in an eager loop) is not measured."""
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        fn()
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        for _ in range(per_graph):
            fn()
    return timed(lambda: g.replay(), 10) / per_graph

def out(**kw):
    print(json.dumps(kw), flush=True)

dev = torch.cuda.get_device_properties(0)
out(kind="device", name=dev.name, memory_gib=dev.total_memory / 2**30, sms=dev.multi_processor_count,
    torch=torch.__version__, cuda=torch.version.cuda)

# HBM: device-to-device copy of 4 GiB (reads + writes both count).
n = 1 << 30
a = torch.empty(n, dtype=torch.float32, device="cuda"); b = torch.empty_like(a)
t = timed(lambda: b.copy_(a), 20)
out(kind="hbm_copy", bytes=2 * 4 * n, seconds=t, gb_per_s=2 * 4 * n / t / 1e9)
del a, b

# GEMM by rows M against a 7168 x 2048 weight (a DeepSeek-V3 expert's up projection is 7168 x 2048).
for dtype_name in ["bf16", "fp8"]:
    for m in [1, 16, 64, 128, 256, 512, 1024, 4096, 16384]:
        k, nn = 7168, 4096
        try:
            if dtype_name == "bf16":
                x = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
                w = torch.randn(nn, k, device="cuda", dtype=torch.bfloat16)
                fn = lambda: torch.matmul(x, w.t())
            else:
                x = torch.randn(m, k, device="cuda").to(torch.float8_e4m3fn)
                w = torch.randn(nn, k, device="cuda").to(torch.float8_e4m3fn)
                one = torch.ones((), device="cuda")
                fn = lambda: torch._scaled_mm(x, w.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
            t = timed_graph(fn, 20)
            elem = 1 if dtype_name == "fp8" else 2
            byts = (m * k + nn * k) * elem + m * nn * 2
            out(kind="gemm", dtype=dtype_name, m=m, n=nn, k=k, seconds=t,
                tflops=2 * m * nn * k / t / 1e12, gb_per_s=byts / t / 1e9)
        except Exception as e:  # fp8 GEMM needs a recent torch
            out(kind="gemm_error", dtype=dtype_name, m=m, error=str(e)[:200])
            break

# Batched expert GEMM (torch.bmm over E experts of 7168 x 4096 BF16, M rows each): what a decode
# step's routed experts reach with few rows per expert.
for m in [4, 16, 64, 256]:
    e, k, nn = 32, 7168, 4096
    x = torch.randn(e, m, k, device="cuda", dtype=torch.bfloat16)
    w = torch.randn(e, k, nn, device="cuda", dtype=torch.bfloat16)
    t = timed_graph(lambda: torch.bmm(x, w), 10)
    byts = (e * m * k + e * k * nn + e * m * nn) * 2
    out(kind="bmm", dtype="bf16", experts=e, m=m, n=nn, k=k, seconds=t,
        tflops=2 * e * m * nn * k / t / 1e12, gb_per_s=byts / t / 1e9)
    del x, w

# Kernel fixed cost: a chain of 1,000 dependent tiny kernels, eager and as one CUDA graph.
x = torch.zeros(1024, device="cuda")
def chain():
    for _ in range(1000):
        x.add_(1.0)
t_eager = timed(chain, 5) / 1000
g = torch.cuda.CUDAGraph()
s = torch.cuda.Stream()
s.wait_stream(torch.cuda.current_stream())
with torch.cuda.stream(s):
    chain()
torch.cuda.current_stream().wait_stream(s)
with torch.cuda.graph(g):
    chain()
t_graph = timed(lambda: g.replay(), 5) / 1000
out(kind="kernel_latency", eager_us=t_eager * 1e6, graph_us=t_graph * 1e6)
