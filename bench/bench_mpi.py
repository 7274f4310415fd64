#!/usr/bin/env python3
"""bench_mpi: besim across MPI ranks (docs/scaling.md), a table on stdout and JSON with --json.

  coba-auryn    the preset for --duration-ms (default 10 s) without MPI and on 1 and 2 ranks,
                and Auryn's sim_coba_benchmark --fast (--auryn PATH) on 1 and 2 ranks
  weak          coba-auryn's network with fixed in-degrees (fixed-pre, k = 64 from E and 16 from
                I: the preset's mean) on n = --weak-n x K neurons, K = 1, 2, 4 (oversubscribed)
  strong-memory the same network on --memory-n neurons for K = 1, 2, 4, 100 ms: memory per rank
  jitc          brunel2000 with JITC pathways (p = 0.1, rows of several tiles), 500 ms, K = 1, 2, 4

Columns: process_s (the whole mpirun or besim, start-up and construction included),
simulate_s (rank 0's simulate() call), loop_s (metadata.json wall_s: its step loop), each per
biological second, cpu_s (user +
system, all ranks), peak_rss_mib (VmHWM of the largest rank, /usr/bin/time %M) and synapses
(stored per rank, the network's / K). One thread per rank; every run's spikes are those of the
single-process run (tests BesimMpi.*), so only times and memory are measured here.

Usage: bench/bench_mpi.py [--besim build/bin/besim] [--auryn PATH] [--json FILE] [--quick]
                          [--cases coba-auryn,weak,strong-memory,jitc]
"""

import argparse
import json
import os
import pathlib
import shlex
import shutil
import subprocess
import tempfile
import time

MPIRUN = ["mpirun", "--oversubscribe", "--bind-to", "none"]
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_btl_vader_single_copy_mechanism": "none"}


def fixed_in_degree_toml(n):
    """coba-auryn with fixed in-degrees (its pathways' mean at p = 0.02 and n = 4000)."""
    pathways = ""
    for source, k, weight, channel in (("E", 64, 0.4, "e"), ("I", 16, 5.1, "i")):
        pathways += (f'[[pathway]]\nsource = "{source}"\ntarget = "*"\nformat = "fixed-pre"\n'
                     f'k = {k}\nweight = {weight}\ndelay_ms = 0.8\nchannel = "{channel}"\n'
                     'autapses = false\n\n')
    return f'preset = "coba-auryn"\n\n[column]\nn = {n}\n\n' + pathways


def jitc_brunel_toml():
    """brunel2000 with JITC pathways of the same mean in-degrees (p = 0.1: 1 000 from E, 250
    from I): rows of 12 500 columns in tiles of 4 096, so the ranks' windows divide them."""
    pathways = ""
    for source, weight, channel in (("E", 4.0, "e"), ("I", -20.0, "i")):
        pathways += (f'[[pathway]]\nsource = "{source}"\ntarget = "*"\nformat = "jitc"\n'
                     f'p = 0.1\nweight = {weight}\ndelay_ms = 1.5\nchannel = "{channel}"\n\n')
    return 'preset = "brunel2000"\n\n' + pathways


def run(command, ranks, work, env_extra=None):
    """Runs besim (ranks = 0: without mpirun); returns wall, cpu, peak RSS and besim's JSON."""
    rss = work / "rss"
    shutil.rmtree(rss, ignore_errors=True)
    rss.mkdir()
    timed = ["/usr/bin/time", "-f", "%M %U %S", "-o"]
    if ranks == 0:
        argv = timed + [str(rss / "0")] + command
    else:
        inner = (shlex.join(timed) + " " + shlex.quote(str(rss)) + '/"$OMPI_COMM_WORLD_RANK" ' +
                 shlex.join(command))
        argv = MPIRUN + ["-np", str(ranks), "sh", "-c", inner]
    env = dict(os.environ, **MPI_ENV, **(env_extra or {}))
    start = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    wall = time.monotonic() - start
    if done.returncode != 0:
        raise SystemExit(f"bench_mpi: {' '.join(argv)} failed ({done.returncode}):\n"
                         f"{done.stderr[-2000:]}")
    peak, cpu = 0, 0.0
    for f in rss.iterdir():
        fields = f.read_text().split()[-3:]
        peak = max(peak, int(fields[0]))
        cpu += float(fields[1]) + float(fields[2])
    return wall, cpu, peak / 1024.0, done.stdout


def besim_run(besim, source, duration_ms, ranks, work):
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    command = [besim, "run"] + source + ["--duration-ms", str(duration_ms), "--threads", "1",
                                         "--quiet", "--json", "--out", str(out)]
    wall, cpu, peak, stdout = run(command, ranks, work)
    doc = json.loads(stdout[stdout.index("{"):])
    loop = json.loads((out / "metadata.json").read_text())["wall_s"]
    bio = duration_ms / 1000.0
    return {"ranks": ranks, "neurons": doc["neurons"], "bio_s": bio,
            "process_s": wall / bio, "simulate_s": doc["wall_s"]["simulate"] / bio,
            "loop_s": loop / bio, "cpu_s": cpu,
            "peak_rss_mib": round(peak, 1),
            "synapses_per_rank": doc["synapses"] // max(1, ranks)}


def auryn_run(auryn, duration_ms, ranks, work):
    command = [auryn, "--fast", "--simtime", str(duration_ms / 1000.0), "--dir", str(work)]
    wall, cpu, peak, _ = run(command, ranks if ranks > 1 else 0, work)
    bio = duration_ms / 1000.0
    return {"ranks": ranks, "neurons": 4000, "bio_s": bio, "process_s": wall / bio,
            "simulate_s": None, "loop_s": None, "cpu_s": cpu, "peak_rss_mib": round(peak, 1),
            "synapses_per_rank": None}


def main():
    here = pathlib.Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--besim", default=str(here / "build" / "bin" / "besim"))
    parser.add_argument("--auryn", help="Auryn's examples/sim_coba_benchmark, to run beside")
    parser.add_argument("--duration-ms", type=float, default=10000.0)
    parser.add_argument("--weak-n", type=int, default=16000, help="neurons per rank (weak)")
    parser.add_argument("--memory-n", type=int, default=64000)
    parser.add_argument("--json", help="write the records here")
    parser.add_argument("--quick", action="store_true", help="1 s of coba-auryn, smaller nets")
    parser.add_argument("--cases", default="coba-auryn,weak,strong-memory,jitc",
                        help="comma-separated subset of coba-auryn, weak, strong-memory, jitc")
    args = parser.parse_args()
    cases = args.cases.split(",")
    if args.quick:
        args.duration_ms, args.weak_n, args.memory_n = 1000.0, 4000, 16000
    records = []
    with tempfile.TemporaryDirectory(prefix="bench_mpi_") as tmp:
        work = pathlib.Path(tmp)
        preset = ["--preset", "coba-auryn"]
        for ranks in (0, 1, 2) if "coba-auryn" in cases else ():
            records.append({"case": "coba-auryn", "simulator": "becore",
                            **besim_run(args.besim, preset, args.duration_ms, ranks, work)})
        for ranks in (1, 2) if args.auryn and "coba-auryn" in cases else ():
            records.append({"case": "coba-auryn", "simulator": "auryn",
                            **auryn_run(args.auryn, args.duration_ms, ranks, work)})
        for ranks in (1, 2, 4) if "weak" in cases else ():
            toml = work / "weak.toml"
            toml.write_text(fixed_in_degree_toml(args.weak_n * ranks))
            records.append({"case": "weak", "simulator": "becore",
                            **besim_run(args.besim, [str(toml)], 1000.0, ranks, work)})
        toml = work / "memory.toml"
        toml.write_text(fixed_in_degree_toml(args.memory_n))
        for ranks in (0, 1, 2, 4) if "strong-memory" in cases else ():
            records.append({"case": "strong-memory", "simulator": "becore",
                            **besim_run(args.besim, [str(toml)], 100.0, ranks, work)})
        toml = work / "jitc.toml"
        toml.write_text(jitc_brunel_toml())
        for ranks in (0, 1, 2, 4) if "jitc" in cases else ():
            records.append({"case": "jitc", "simulator": "becore",
                            **besim_run(args.besim, [str(toml)], 200.0 if args.quick else 500.0,
                                        ranks, work)})
    header = ("case", "simulator", "ranks", "neurons", "process_s", "simulate_s", "loop_s", "cpu_s",
              "peak_rss_mib", "synapses_per_rank")
    print("  ".join(f"{h:>13}" for h in header))
    for r in records:
        cells = []
        for h in header:
            v = r[h]
            if h == "ranks" and v == 0:
                v = "no MPI"
            cells.append(f"{v:>13.4f}" if isinstance(v, float) else f"{str(v):>13}")
        print("  ".join(cells))
    print("(process_s, simulate_s, loop_s: wall seconds per biological second; cpu_s: all ranks)")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(records, indent=1) + "\n")


if __name__ == "__main__":
    main()
