# PyTorch peer for `npm run bench` (child process): one training step (plain; modified exact by
# torch.autograd.grad(create_graph=True); modified finite-difference) of the bench's MLP or WRN.
#
# Usage: python3 bench/peer_torch.py --request '{"model": "mlp:1024x3", "batch": 128, "kind": "plain",
#   "threads": 2, "warmup": 2, "maxReps": 10, "budgetSeconds": 20}'   → prints one "@@PEER {json}" line.

import json
import math
import sys
import time

FD_RADIUS = 2.0 ** -10
LAMBDA = 2.0 ** -6
LR = 2.0 ** -8


def machine_busy_seconds():
    try:
        with open('/proc/stat') as f:
            v = [float(x) for x in f.readline().split()[1:]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = v[:8]
        return (user + nice + system + irq + softirq + steal) / 100.0
    except OSError:
        return float('nan')


def finish(result):
    sys.stdout.write('\n@@PEER ' + json.dumps(result) + '\n')
    sys.stdout.flush()
    sys.exit(0)


def median_ms(f, warmup, reps):
    for _ in range(warmup):
        f()
    s = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        s.append((time.perf_counter() - t) * 1000)
    s.sort()
    return s[(len(s) - 1) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2


def blas_libraries():
    """The BLAS shared objects mapped into this process (realpaths from /proc/self/maps): what really
    runs, whatever torch.__config__.show() says about the build (Debian's torch: BLAS_INFO=generic,
    i.e. whatever libblas.so.3 the alternatives system points at)."""
    found = []
    try:
        with open('/proc/self/maps') as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ''
                name = path.rsplit('/', 1)[-1]
                if ('blas' in name or 'mkl' in name or 'blis' in name) and path not in found:
                    found.append(path)
    except OSError:
        pass
    return found


def blas_kind(libraries):
    joined = ' '.join(libraries)
    if 'openblas' in joined:
        return 'OpenBLAS'
    if 'mkl' in joined:
        return 'MKL'
    if 'blis' in joined:
        return 'BLIS'
    if 'libblas' in joined:
        return 'reference BLAS (netlib)'
    return 'no BLAS library mapped'


def blas_probe(torch, request):
    """Which BLAS torch runs on, and float32 1024² GEMM GFLOP/s (median of the timed products)."""
    n = 1024
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    ms = median_ms(lambda: torch.mm(a, b), 2, int(request.get('reps', 10)))
    libraries = blas_libraries()
    return {'blas': blas_kind(libraries), 'libraries': libraries, 'gemmGflops': 2 * n ** 3 / (ms * 1e6), 'gemmMs': ms,
            'threads': torch.get_num_threads(), 'torch': torch.__version__, 'python': sys.executable}


def conv_layers(torch, request):
    """Median ms of aten's conv2d and convolution_backward (input, weight) for 3×3 layers, padding 1."""
    import torch.nn.functional as F
    out = []
    reps = int(request.get('reps', 15))
    with torch.no_grad():
        for layer in request['convLayers']:
            n, c, h, o, stride = (int(layer[k]) for k in ('batch', 'channels', 'size', 'out', 'stride'))
            x = torch.randn(n, c, h, h)
            w = torch.randn(o, c, 3, 3)
            g = torch.randn_like(F.conv2d(x, w, stride=stride, padding=1))

            def backward(mask):
                return lambda: torch.ops.aten.convolution_backward(g, x, w, None, [stride, stride], [1, 1], [1, 1], False, [0, 0], 1, mask)
            out.append({
                'forward': median_ms(lambda: F.conv2d(x, w, stride=stride, padding=1), 3, reps),
                'inputGrad': median_ms(backward([True, False, False]), 3, reps),
                'weightGrad': median_ms(backward([False, True, False]), 3, reps),
            })
    return {'layers': out, 'note': f'PyTorch {torch.__version__}, torch.set_num_threads({torch.get_num_threads()}), mkldnn {torch.backends.mkldnn.is_available()}'}


def main():
    request = json.loads(sys.argv[sys.argv.index('--request') + 1])
    try:
        import torch
        import torch.nn.functional as F
    except ImportError as e:
        finish({'msPerStep': None, 'bestMsPerStep': None, 'reps': 0, 'foreignLoad': None, 'warmupMs': None,
                'note': f'{sys.executable}: cannot import torch ({e})'})

    threads = int(request['threads'])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    if 'convLayers' in request:
        finish(conv_layers(torch, request))
    if request.get('probe') == 'blas':
        finish(blas_probe(torch, request))
    B = int(request['batch'])
    kind = request['kind']
    spec = request['model']
    note = (f'PyTorch {torch.__version__} ({sys.executable}), float32, torch.set_num_threads({threads}) → '
            f'{torch.get_num_threads()}, eager autograd')
    # The BLAS that runs is known only once it is mapped: a first product loads it if import did not.
    torch.mm(torch.ones(2, 2), torch.ones(2, 2))
    note += f', BLAS at run time: {blas_kind(blas_libraries())}'

    def normal(shape, std):
        return (torch.randn(*shape) * std).requires_grad_()

    if spec.startswith('mlp:'):
        width, depth = (int(v) for v in spec[4:].split('x'))
        sizes = [784] + [width] * depth + [10]
        params = []
        for i in range(1, len(sizes)):
            params += [normal((sizes[i - 1], sizes[i]), math.sqrt(2 / sizes[i - 1])), torch.zeros(sizes[i], requires_grad=True)]

        def apply(p, x):
            h = x
            n = len(p) // 2
            for i in range(n):
                h = torch.addmm(p[2 * i + 1], h, p[2 * i])
                if i < n - 1:
                    h = torch.relu(h)
            return h
        x = torch.randn(B, 784)
    else:
        depth, k = (int(v) for v in spec[4:].split('-'))
        per_stage = (depth - 4) // 6
        plan = []
        cin = 16
        for stage, cout in enumerate([16 * k, 32 * k, 64 * k]):
            for b in range(per_stage):
                stride = 2 if b == 0 and stage > 0 else 1
                plan.append((cin, cout, stride, cin != cout or stride != 1))
                cin = cout

        def conv(cout, ci, kk):
            return normal((cout, ci, kk, kk), math.sqrt(2 / (ci * kk * kk)))
        params = [conv(16, 3, 3)]
        index = []
        for (ci, cout, stride, sc) in plan:
            entry = [len(params), len(params) + 1, len(params) + 2, -1]
            params += [conv(cout, ci, 3), conv(cout, cout, 3), torch.zeros((), requires_grad=True)]  # SkipInit gate = 0
            if sc:
                entry[3] = len(params)
                params.append(conv(cout, ci, 1))
            index.append(entry)
        params += [normal((64 * k, 10), math.sqrt(1 / (64 * k))), torch.zeros(10, requires_grad=True)]

        def apply(p, x):
            h = F.conv2d(x, p[0], padding=1)
            for (ci, cout, stride, sc), (c1, c2, g, s) in zip(plan, index):
                pre = torch.relu(h)
                branch = F.conv2d(torch.relu(F.conv2d(pre, p[c1], stride=stride, padding=1)), p[c2], padding=1) * p[g]
                skip = F.conv2d(pre, p[s], stride=stride) if s >= 0 else h
                h = skip + branch
            return torch.relu(h).mean(dim=(2, 3)) @ p[-2] + p[-1]
        x = torch.randn(B, 3, 32, 32)
    y = torch.arange(B) * 7 % 10

    def cost(p):
        return F.cross_entropy(apply(p, x), y)

    def step():
        if kind == 'plain':
            d = torch.autograd.grad(cost(params), params)
        elif kind == 'modified-exact':
            c = cost(params)
            g = torch.autograd.grad(c, params, create_graph=True)
            total = c + (LAMBDA / 4) * sum((gi * gi).sum() for gi in g)
            d = torch.autograd.grad(total, params)
        else:
            g = torch.autograd.grad(cost(params), params)
            with torch.no_grad():
                h = FD_RADIUS / max(math.sqrt(sum(float((gi * gi).sum()) for gi in g)), 1e-30)
                shifted = [(w + h * gi).requires_grad_() for w, gi in zip(params, g)]
            gs = torch.autograd.grad(cost(shifted), shifted)
            with torch.no_grad():
                d = [gi + (LAMBDA / 2 / h) * (si - gi) for gi, si in zip(g, gs)]
        with torch.no_grad():  # every call starts from the same parameters, as the other systems' rows
            updated = [w - LR * di for w, di in zip(params, d)]
        if not math.isfinite(float(updated[0].view(-1)[0])):
            raise RuntimeError('non-finite parameters after the step')

    try:
        t0 = time.perf_counter()
        for _ in range(int(request['warmup'])):
            step()
        warmup_ms = (time.perf_counter() - t0) * 1000
        samples = []
        busy0, own0, wall0 = machine_busy_seconds(), time.process_time(), time.perf_counter()
        spent = 0.0
        while len(samples) < int(request['maxReps']):
            if samples and spent + sorted(samples)[len(samples) // 2] > float(request['budgetSeconds']) * 1000:
                break
            t = time.perf_counter()
            step()
            dt = (time.perf_counter() - t) * 1000
            samples.append(dt)
            spent += dt
        wall = time.perf_counter() - wall0
        foreign = max(0.0, (machine_busy_seconds() - busy0 - (time.process_time() - own0)) / wall)
        s = sorted(samples)
        n = len(s)
        med = s[(n - 1) // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
        finish({'msPerStep': med, 'bestMsPerStep': s[0], 'reps': n, 'foreignLoad': foreign, 'warmupMs': warmup_ms, 'note': note})
    except Exception as e:  # noqa: BLE001 — any failure becomes a null row with its message
        finish({'msPerStep': None, 'bestMsPerStep': None, 'reps': 0, 'foreignLoad': None, 'warmupMs': None,
                'note': f'{note}; failed: {str(e).splitlines()[0][:300] if str(e) else type(e).__name__}'})


main()
