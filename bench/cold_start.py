"""Cold-start init of every handler as it ships, against a bare boto3 client, and the layer's size.

Each sample is a fresh `python3.12 -I -S -B` process (-B: like Lambda, it can write no byte-code, so no
run warms the next) with only the function's asset (staged and compiled as synth stages it), the layer
(built and compiled as synth builds it) and a boto3/botocore stand-in for the Lambda runtime
on its path (see tests/infra/shipped.py). Init is what Lambda's init phase pays for our code: importing
the handler module plus building its first client (`shared.core.aws.client`). The baseline is
`import boto3; boto3.client("dynamodb")` in the same kind of process, sampled in the same rounds.
Interpreter start-up is the same for both and not counted.

Each handler also gets its libraries' floor, sampled in the same rounds: a fresh process that imports
exactly the modules outside `shared/` and `lambdas/` that the handler's init loaded (Powertools,
pydantic, botocore's parts...) and builds the same bare client, with none of our code. `libs ratio` is
that floor over the baseline, the least the handler could cost with the libraries it uses, and
`own cpu` is what our code adds on top (module bodies, class creation, settings, loggers).

Prints one JSON object on stdout and a table on stderr. A handler over `--target` times the baseline
also gets its costliest top-level imports from `python -X importtime`.

Each sample also records the process's CPU time over the same span (`cpu_ms`, `cpu_ratio`). Init is
single-threaded, so on an idle machine (as on Lambda) the two agree; on a busy one the wall clock
mostly measures the wait for a core, and the CPU ratio is the steadier comparison.

    .venv/bin/python bench/cold_start.py [--runs 5] [--target 1.3] [--against ../other-checkout]

`--against` also stages every function from another checkout of the repo (say, main before a change)
and samples it in the same rounds, beside this one: a before/after under the same load and baseline.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from leadflow import wiring
from leadflow.config import load_stage
from tests.infra import shipped

MAX_RUNS = 20
LAYER_LIMIT_MB = 40.0
#: the client a handler builds first, by the kind of resource its environment names
SERVICE_BY_REF = (
    (wiring.TableName, "dynamodb"),
    (wiring.QueueUrl, "sqs"),
    (wiring.BucketName, "s3"),
    (wiring.SecretArn, "secretsmanager"),
    (wiring.BusName, "events"),
    (wiring.TopicArn, "sns"),
)

TIMER = r"""
import json, sys, time
started, cpu_started = time.perf_counter(), time.process_time()
paths, module, service, libraries = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
before = set(sys.modules)
sys.path[:0] = paths
if module:
    import importlib
    importlib.import_module(module)
    imported = time.perf_counter()
    from shared.core.aws import client
    client(service)
elif libraries:
    import importlib
    for name in json.loads(open(libraries).read()):
        try:
            importlib.import_module(name)
        except Exception:
            pass
    import boto3
    imported = time.perf_counter()
    boto3.client(service)
else:
    import boto3
    imported = time.perf_counter()
    boto3.client(service)
done, cpu_done = time.perf_counter(), time.process_time()
loaded = [m for m in sys.modules if m not in before and m.split(".")[0] not in ("shared", "lambdas")]
print(json.dumps({
    "import_ms": (imported - started) * 1000,
    "init_ms": (done - started) * 1000,
    "cpu_ms": (cpu_done - cpu_started) * 1000,
    "libraries": loaded if module else [],
}))
"""


_POWERTOOLS = "from aws_lambda_powertools import Logger, Metrics\nLogger()\nMetrics()\n"
_MODEL = "from pydantic import BaseModel\nclass A(BaseModel):\n    x: int\nA(x=1)\n"
#: `--components`: what the libraries cost by themselves, each on top of the bare client
COMPONENTS = (
    ("bare boto3 client", ""),
    ("+ Powertools Logger", "from aws_lambda_powertools import Logger\nLogger()\n"),
    ("+ Powertools Metrics", "from aws_lambda_powertools import Metrics\nMetrics()\n"),
    ("+ import pydantic", "from pydantic import BaseModel\n"),
    ("+ pydantic, one model built", _MODEL),
    ("+ Logger, Metrics, one model", _POWERTOOLS + _MODEL),
    ("+ Powertools batch", "from aws_lambda_powertools.utilities.batch import BatchProcessor\n"),
    (
        "+ REST resolver",
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\nAPIGatewayRestResolver()\n",
    ),
    (
        "+ REST resolver, validating",
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
        "APIGatewayRestResolver(enable_validation=True)\n",
    ),
)
COMPONENT_TIMER = r"""
import json, sys, time
cpu_started = time.process_time()
sys.path[:0] = json.loads(sys.argv[1])
import boto3
boto3.client("dynamodb")
exec(sys.argv[2])
print(json.dumps({"cpu_ms": (time.process_time() - cpu_started) * 1000}))
"""


def component(python: str, path: list[str], code: str, env: dict[str, str]) -> float:
    out = subprocess.run(
        [python, *shipped.READ_ONLY, "-c", COMPONENT_TIMER, json.dumps(path), code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    cpu: float = json.loads(out.stdout.strip().splitlines()[-1])["cpu_ms"]
    return cpu


def first_service(fn: wiring.Function) -> str:
    for ref_type, service in SERVICE_BY_REF:
        if any(isinstance(ref, ref_type) for ref in fn.env.values()):
            return service
    return "dynamodb"


def env_for(fn: wiring.Function) -> dict[str, str]:
    """The function's settings as deployed to dev; resource names are placeholders (init calls no AWS)."""
    config = load_stage("dev")
    env = {}
    for name, ref in fn.env.items():
        if isinstance(ref, wiring.Setting):
            env[name] = wiring.render_setting(getattr(config, ref.attribute))
        elif hasattr(ref, "value"):
            env[name] = str(ref.value)
        else:
            env[name] = f"https://placeholder.invalid/{name.lower()}" if name.endswith(("_URL", "ENDPOINT")) else name
    return {**env, "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}


def sample(
    python: str, path: list[str], module: str, service: str, env: dict[str, str], libraries: str = ""
) -> dict[str, Any]:
    """One fresh process: the handler `module`'s init; or, with `libraries` (a JSON file of module names),
    only those modules and a bare client: the libraries' floor; or, with neither, the bare baseline."""
    out = subprocess.run(
        [python, *shipped.READ_ONLY, "-c", TIMER, json.dumps(path), module, service, libraries],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{module or 'baseline'} failed to start:\n{out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def top_imports(python: str, path: list[str], module: str, env: dict[str, str], n: int = 6) -> list[tuple[str, float]]:
    """The top-level packages with the largest cumulative import time (ms), from -X importtime."""
    code = f"import sys; sys.path[:0] = {path!r}; import {module}"
    out = subprocess.run(
        [python, *shipped.READ_ONLY, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    # children print before their parent, indented by depth: walk from the end to meet parents first,
    # and charge an entry to its package when its parent belongs to another package
    entries = []
    for line in out.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|", 2)
            if cumulative.strip().isdigit():
                depth = (len(name) - len(name.lstrip()) - 1) // 2
                entries.append((depth, int(cumulative) / 1000, name.strip().split(".")[0]))
    costs: dict[str, float] = {}
    parents: dict[int, str] = {}
    for depth, ms, package in reversed(entries):
        if parents.get(depth - 1) != package and package not in ("lambdas", "encodings"):
            costs[package] = costs.get(package, 0.0) + ms
        parents[depth] = package
    return sorted(costs.items(), key=lambda kv: -kv[1])[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help=f"fresh processes per handler (at most {MAX_RUNS})")
    parser.add_argument("--target", type=float, default=1.3, help="allowed ratio to the bare boto3 baseline")
    parser.add_argument("--against", type=Path, help="another checkout whose handlers are sampled in the same rounds")
    parser.add_argument(
        "--components", action="store_true", help="also what each library costs by itself (CPU, on the bare client)"
    )
    args = parser.parse_args()
    runs = max(1, min(args.runs, MAX_RUNS))

    python = shipped.lambda_python()
    layer = shipped.layer()
    runtime = shipped.runtime_standin()
    with tempfile.TemporaryDirectory() as tmp:
        assets = {fn.key: shipped.asset(fn, Path(tmp)) for fn in wiring.FUNCTIONS}
        other = (
            {fn.key: shipped.asset(fn, Path(tmp) / "against", repo_root=args.against) for fn in wiring.FUNCTIONS}
            if args.against
            else {}
        )
        baseline_env = env_for(wiring.FUNCTIONS[0])
        samples: dict[str, list[dict[str, Any]]] = {"baseline": [], **{fn.key: [] for fn in wiring.FUNCTIONS}}
        # the libraries' floor of each handler: the modules outside shared/ and lambdas/ that its init
        # loads (Powertools, pydantic, botocore's pieces...), imported with nothing of ours, plus the client
        libraries = {}
        for fn in wiring.FUNCTIONS:
            path = shipped.lambda_path(assets[fn.key], layer, runtime)
            found = sample(python, path, fn.handler.rsplit(".", 1)[0], first_service(fn), env_for(fn))
            libraries[fn.key] = Path(tmp) / f"libraries-{fn.key}.json"
            libraries[fn.key].write_text(json.dumps(found["libraries"]))
        # round-robin, so that a busy moment on the machine falls on every handler alike; within a
        # round the order of a handler's samples turns each time, so that no variant always runs
        # right after the same other one
        for round_ in range(runs):
            samples["baseline"].append(sample(python, [str(runtime)], "", "dynamodb", baseline_env))
            for fn in wiring.FUNCTIONS:
                module = fn.handler.rsplit(".", 1)[0]
                variants = [(fn.key, assets[fn.key], "")]
                variants.append((f"floor:{fn.key}", None, str(libraries[fn.key])))
                if fn.key in other:
                    variants.append((f"against:{fn.key}", other[fn.key], ""))
                turn = round_ % len(variants)
                for label, asset, floor_of in variants[turn:] + variants[:turn]:
                    path = shipped.lambda_path(asset, layer, runtime) if asset else [str(layer), str(runtime)]
                    got = sample(python, path, "" if floor_of else module, first_service(fn), env_for(fn), floor_of)
                    samples.setdefault(label, []).append(got)

        baseline = statistics.median(s["init_ms"] for s in samples["baseline"])
        baseline_cpu = statistics.median(s["cpu_ms"] for s in samples["baseline"])
        handlers = {}
        for fn in wiring.FUNCTIONS:
            init = statistics.median(s["init_ms"] for s in samples[fn.key])
            cpu = statistics.median(s["cpu_ms"] for s in samples[fn.key])
            floor_cpu = statistics.median(s["cpu_ms"] for s in samples[f"floor:{fn.key}"])
            handlers[fn.key] = {
                "init_ms": round(init, 1),
                "import_ms": round(statistics.median(s["import_ms"] for s in samples[fn.key]), 1),
                "first_client": first_service(fn),
                "ratio": round(init / baseline, 2),
                "cpu_ms": round(cpu, 1),
                "cpu_ratio": round(cpu / baseline_cpu, 2),
                "libraries_cpu_ms": round(floor_cpu, 1),
                "libraries_cpu_ratio": round(floor_cpu / baseline_cpu, 2),
                "own_cpu_ms": round(cpu - floor_cpu, 1),
            }
            if other:
                before = samples[f"against:{fn.key}"]
                init_against = statistics.median(s["init_ms"] for s in before)
                handlers[fn.key]["against"] = {
                    "init_ms": round(init_against, 1),
                    "ratio": round(init_against / baseline, 2),
                    "cpu_ratio": round(statistics.median(s["cpu_ms"] for s in before) / baseline_cpu, 2),
                }
        misses = [key for key, h in handlers.items() if h["ratio"] > args.target]
        over_by_libraries = [key for key, h in handlers.items() if h["libraries_cpu_ratio"] > args.target]
        for key in misses:
            fn = wiring.function(key)
            path = shipped.lambda_path(assets[key], layer, runtime)
            top = top_imports(python, path, fn.handler.rsplit(".", 1)[0], env_for(fn))
            handlers[key]["top_imports_ms"] = {name: round(ms, 1) for name, ms in top}

        components: dict[str, dict[str, float]] = {}
        if args.components:
            parts: dict[str, list[float]] = {label: [] for label, _ in COMPONENTS}
            for _ in range(runs):
                for label, code in COMPONENTS:
                    parts[label].append(component(python, [str(layer), str(runtime)], code, baseline_env))
            bare = statistics.median(parts[COMPONENTS[0][0]])
            components = {
                label: {"cpu_ms": round(statistics.median(v), 1), "cpu_ratio": round(statistics.median(v) / bare, 2)}
                for label, v in parts.items()
            }

    layer_mb = shipped.size_mb(layer)
    report = {
        "python": python,
        "runs": runs,
        "against": str(args.against) if args.against else None,
        "baseline_init_ms": round(baseline, 1),
        "baseline_cpu_ms": round(baseline_cpu, 1),
        "target_ratio": args.target,
        "layer_unzipped_mb": round(layer_mb, 1),
        "layer_limit_mb": LAYER_LIMIT_MB,
        "layer_ok": layer_mb < LAYER_LIMIT_MB,
        "handlers": handlers,
        "misses": misses,
        #: handlers whose libraries alone (CPU, no code of ours) are over the target: no change to our
        #: code can bring them under it, only a change of what they import
        "over_by_libraries": over_by_libraries,
        "components": components,
    }
    print(json.dumps(report))
    err = sys.stderr
    print(f"\ncold start ({runs} fresh processes each, median), python {python}", file=err)
    head = f"{'function':<16} {'init ms':>8} {'import ms':>10} {'ratio':>6} {'cpu ms':>7} {'cpu ratio':>9}"
    print(head + f" {'libs cpu':>8} {'libs ratio':>10} {'own cpu':>7}  first client", file=err)
    line = f"{'bare boto3':<16} {baseline:>8.1f} {'':>10} {1.0:>6.2f} {baseline_cpu:>7.1f} {1.0:>9.2f}"
    line += f" {'':>8} {'':>10} {'':>7}  dynamodb"
    print(line, file=err)
    for key, h in sorted(handlers.items(), key=lambda kv: -float(kv[1]["ratio"])):
        mark = "  MISS" if key in misses else ""
        if "against" in h:
            mark += f"  (against: {h['against']['init_ms']:.1f} ms, ratio {h['against']['ratio']:.2f})"
        line = (
            f"{key:<16} {h['init_ms']:>8.1f} {h['import_ms']:>10.1f} {h['ratio']:>6.2f} {h['cpu_ms']:>7.1f} "
            f"{h['cpu_ratio']:>9.2f} {h['libraries_cpu_ms']:>8.1f} {h['libraries_cpu_ratio']:>10.2f} "
            f"{h['own_cpu_ms']:>7.1f}  {h['first_client']}{mark}"
        )
        print(line, file=err)
    print(f"layer unzipped: {layer_mb:.1f} MB (limit {LAYER_LIMIT_MB:.0f} MB)", file=err)
    for label, part in components.items():
        print(f"{label:<32} {part['cpu_ms']:>7.1f} ms CPU  {part['cpu_ratio']:>5.2f}x", file=err)
    met = len(handlers) - len(misses)
    print(
        f"{met} of {len(handlers)} handlers within {args.target}x by the wall clock; for "
        f"{len(over_by_libraries)} the libraries alone are over {args.target}x by CPU: {', '.join(over_by_libraries)}",
        file=err,
    )
    for key in misses:
        print(f"{key}: top imports (ms) {handlers[key].get('top_imports_ms')}", file=err)


if __name__ == "__main__":
    main()
