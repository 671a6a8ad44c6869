"""Confirm requests in process (Flask test client, SQLite, no HTTP): one tree against another.

Each tree runs in its own process, alternately, ROUNDS times; the figures are each round's
median and the ratio of the trees' medians (this machine is shared and noisy, so compare side
by side). To compare with an earlier commit:

    git worktree add /tmp/before 905aea7 && ln -s "$PWD/.venv" /tmp/before/.venv
    .venv/bin/python bench/checkin_inprocess.py /tmp/before . [--people 600] [--rounds 4]
    git worktree remove /tmp/before
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def measure(root, people):
    """Run in a child process: time `people` confirms against the tree at `root`."""
    sys.path.insert(0, os.path.join(root, "bench"))
    sys.path.insert(0, root)
    os.chdir(root)
    import checkin_storm as storm  # the tree's own benchmark helpers (prepare, tickets)
    url = f"sqlite:///{tempfile.mkdtemp(prefix='gl-inproc-')}/bench.db"
    app, tokens, _cookies, trainings = storm.prepare(url, people)
    client = app.test_client()
    times = []
    for cookie, csrf, device in storm.ticket_cookies(app, tokens, trainings[1:2]):
        client.set_cookie("gl_session", cookie)
        client.set_cookie("gl_device", device)
        started = time.perf_counter()
        response = client.post("/checkin", data={"csrf_token": csrf})
        times.append(time.perf_counter() - started)
        assert response.status_code == 303 and "/checkin/result" in response.headers["Location"]
    print(json.dumps(statistics.median(times[len(times) // 10:]) * 1000))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--people", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure(args.child, args.people)
        return
    medians = {tree: [] for tree in args.trees}
    for _round in range(args.rounds):
        for tree in args.trees:
            out = subprocess.run([sys.executable, __file__, "--child", os.path.abspath(tree),
                                  "--people", str(args.people), tree],
                                 capture_output=True, text=True, check=True).stdout
            medians[tree].append(json.loads(out.strip().splitlines()[-1]))
    for tree, values in medians.items():
        print(f"{tree}: confirm median per round " + ", ".join(f"{v:.2f}" for v in values)
              + f" ms; median {statistics.median(values):.2f} ms")
    first = statistics.median(medians[args.trees[0]])
    for tree in args.trees[1:]:
        print(f"ratio {tree} / {args.trees[0]}: {statistics.median(medians[tree]) / first:.2f}")


if __name__ == "__main__":
    main()
