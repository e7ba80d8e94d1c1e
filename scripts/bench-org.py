#!/usr/bin/env python3
"""Time and memory of organization-wide scanning, against a local fake of GitHub's API.

Serves REPOS repositories (the real-world-like repositories of bench.py, cycled, plus README,
sources and a lock file that are never fetched) on 127.0.0.1, with an optional delay per
request to stand for GitHub's latency, then measures `org plan` over the whole organization,
`org scan` of one job's repositories and `org report` over a full set of results:

    scripts/bench-org.py [--repos 10000] [--job 40] [--latency-ms 0] [--bin target/release/portcullis]

Per-repository numbers (wall, requests, peak memory) and a projection for the organization at
`--max-parallel` jobs are printed. Nothing leaves the machine.
"""

import argparse
import base64
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

TOKEN = "ghs_benchmarkFakeInstallationToken000000"


def sha(data):
    return hashlib.sha1(data).hexdigest()


def load_shapes(count):
    """The files of `count` generated repositories: [(path, bytes)] each."""
    root = tempfile.mkdtemp(prefix="portcullis-org-bench-")
    try:
        bench.generate_real_world_like(root, count)
        shapes = []
        for org in sorted(os.listdir(root)):
            for repo in sorted(os.listdir(os.path.join(root, org))):
                top = os.path.join(root, org, repo)
                files = []
                for folder, _, names in os.walk(top):
                    for name in names:
                        path = os.path.join(folder, name)
                        with open(path, "rb") as f:
                            files.append((os.path.relpath(path, top), f.read()))
                files.append(("package-lock.json", b'{"lockfileVersion": 3}\n' * 200))
                shapes.append(sorted(files))
        return shapes
    finally:
        shutil.rmtree(root)


class Fake:
    def __init__(self, repos, shapes, latency):
        self.repos = repos
        self.shapes = shapes
        self.latency = latency
        self.blobs = {}
        self.trees = []
        for files in shapes:
            tree = []
            for path, data in files:
                blob = sha(data)
                self.blobs[blob] = data
                tree.append({"path": path, "mode": "100644", "type": "blob", "sha": blob, "size": len(data)})
            self.trees.append(tree)
        self.requests = 0
        self.graphql = 0
        self.lock = threading.Lock()

    def shape(self, name):
        return int(name.rsplit("-", 1)[1]) % len(self.shapes)


def handler(fake):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def send(self, status, value):
            body = json.dumps(value).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def begin(self):
            with fake.lock:
                fake.requests += 1
            if fake.latency:
                time.sleep(fake.latency)
            return self.headers.get("authorization") == f"Bearer {TOKEN}"

        def do_GET(self):
            if not self.begin():
                return self.send(401, {"message": "Bad credentials"})
            path, _, query = self.path.partition("?")
            params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
            if path == "/orgs/bench/repos":
                page = int(params.get("page", "1"))
                names = range((page - 1) * 100, min(page * 100, fake.repos))
                return self.send(200, [{"full_name": f"bench/repo-{i:05}", "archived": False, "fork": False,
                                        "size": 900 + i % 5000, "topics": [], "default_branch": "main"} for i in names])
            parts = path.split("/")
            if len(parts) < 4 or parts[1] != "repos":
                return self.send(404, {"message": "Not Found"})
            name, route = parts[3], "/".join(parts[4:])
            shape = fake.shape(name)
            commit = sha(name.encode())  # as the GraphQL answer names it
            if route == "":
                return self.send(200, {"default_branch": "main"})
            if route == "git/ref/heads/main":
                return self.send(200, {"object": {"sha": commit}})
            if route == f"git/trees/{commit}":
                return self.send(200, {"sha": commit, "tree": fake.trees[shape], "truncated": False})
            if route.startswith("git/blobs/"):
                data = fake.blobs.get(route[len("git/blobs/"):])
                if data is None:
                    return self.send(404, {"message": "Not Found"})
                return self.send(200, {"encoding": "base64", "content": base64.b64encode(data).decode()})
            return self.send(404, {"message": "Not Found"})

        def do_POST(self):
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            if not self.begin():
                return self.send(401, {"message": "Bad credentials"})
            if self.path == "/graphql":
                with fake.lock:
                    fake.graphql += 1
                answer = {}
                query = body.get("query", "")
                if "defaultBranchRef" in query:
                    variables = body["variables"]
                    if "o0" not in variables:
                        head = {"name": "main", "target": {"oid": sha(variables["name"].encode())}}
                        return self.send(200, {"data": {"repository": {"defaultBranchRef": head}}})
                    # Up to fifty repositories at once: `r0` for `$o0/$n0`, ….
                    i = 0
                    while f"n{i}" in variables:
                        head = {"name": "main", "target": {"oid": sha(variables[f"n{i}"].encode())}}
                        answer[f"r{i}"] = {"defaultBranchRef": head}
                        i += 1
                    return self.send(200, {"data": answer})
                for part in query.split(" f")[1:]:
                    alias, _, rest = part.partition(": object(oid: \"")
                    oid = rest[:40]
                    data = fake.blobs.get(oid)
                    answer["f" + alias] = None if data is None else {
                        "text": data.decode(), "isBinary": False, "isTruncated": False, "byteSize": len(data)}
                return self.send(200, {"data": {"repository": answer}})
            return self.send(202, {"id": "bench-upload"})

    return Handler


def measured(cmd, env, cwd):
    """Run `cmd`; wall seconds and the child's peak RSS in MiB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if out.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr}")
    return wall, max(peak, before) / 1024, out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repos", type=int, default=10_000)
    parser.add_argument("--job", type=int, default=40, help="repositories scanned in the measured job")
    parser.add_argument("--shapes", type=int, default=200, help="distinct generated repositories")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--max-parallel", type=int, default=20)
    parser.add_argument("--bin", default="target/release/portcullis")
    parser.add_argument("--rest-limit", type=int, default=15_000,
                        help="REST requests an hour (a GitHub App on Enterprise Cloud: 15,000)")
    parser.add_argument("--graphql-limit", type=int, default=10_000,
                        help="GraphQL points an hour (a GitHub App on Enterprise Cloud: 10,000)")
    args = parser.parse_args()
    binary = os.path.abspath(args.bin)

    shapes = load_shapes(args.shapes)
    fake = Fake(args.repos, shapes, args.latency_ms / 1000)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(fake))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    env = {"PATH": os.environ.get("PATH", ""), "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": url}
    work = tempfile.mkdtemp(prefix="portcullis-org-bench-run-")
    files = sum(len(s) for s in shapes) / len(shapes)
    print(f"{args.repos} repositories of {files:.1f} files on average; GitHub latency {args.latency_ms:g} ms a request\n")
    try:
        fake.requests = 0
        wall, peak, out = measured([binary, "org", "plan", "--org", "bench", "--output", "matrix.json"], env, work)
        jobs = json.load(open(os.path.join(work, "matrix.json")))["include"]
        print(f"plan: {wall:.2f} s, {peak:.0f} MiB, {fake.requests} requests -> {len(jobs)} jobs of "
              f"{len(jobs[0]['repositories'].split())} repositories")

        names = [f"bench/repo-{i:05}" for i in random.Random(3).sample(range(args.repos), args.job)]
        fake.requests = fake.graphql = 0
        job_env = dict(env, PORTCULLIS_REPOSITORIES=" ".join(names))
        wall, peak, out = measured([binary, "org", "scan", "--results", "results"], job_env, work)
        per_repo = wall / args.job
        requests = fake.requests / args.job
        graphql = fake.graphql / args.job
        results = [json.load(open(os.path.join(work, "results", n + ".json"))) for n in names]
        fetch = sum(r["timing"]["fetch_ms"] for r in results) / len(results)
        scan = sum(r["timing"]["scan_ms"] for r in results) / len(results)
        fetched = sum(r["files"] for r in results) / len(results)
        findings = sum(len(r["findings"]) for r in results) / len(results)
        print(f"scan: {args.job} repositories in {wall:.2f} s, {peak:.0f} MiB peak: per repository {per_repo * 1000:.0f} ms "
              f"(fetch {fetch:.0f} ms, scan {scan:.1f} ms), {requests:.1f} requests ({graphql:.1f} GraphQL), "
              f"{fetched:.1f} files fetched, "
              f"{findings:.1f} findings")

        # A full set of results for the report: the job's results, copied under every name.
        full = os.path.join(work, "all")
        for i in range(args.repos):
            result = dict(results[i % len(results)], repository=f"bench/repo-{i:05}")
            folder = os.path.join(full, "bench")
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, f"repo-{i:05}.json"), "w") as f:
                json.dump(result, f)
        wall, peak, out = measured([binary, "org", "report", "all", "--plan", "matrix.json", "--markdown", "summary.md",
                                    "--html", "report.html", "--json", "merged.json"], env, work)
        size = os.path.getsize(os.path.join(work, "report.html")) / 1e6
        print(f"report: {args.repos} results in {wall:.2f} s, {peak:.0f} MiB; HTML page {size:.1f} MB")

        # GitHub's hourly limits bound the whole run: REST and GraphQL are counted apart.
        rest_hours = (requests - graphql) * args.repos / args.rest_limit
        graphql_hours = graphql * args.repos / args.graphql_limit
        print(f"rate limits: {(requests - graphql) * args.repos:.0f} REST requests ({rest_hours:.2f} h of a "
              f"{args.rest_limit}/h limit), {graphql * args.repos:.0f} GraphQL queries ({graphql_hours:.2f} h of "
              f"{args.graphql_limit}/h)")
        per_job = args.repos / len(jobs)
        job_minutes = per_job * per_repo / 60
        waves = -(-len(jobs) // args.max_parallel)
        print(f"\nprojection at max-parallel {args.max_parallel}: {len(jobs)} jobs of {per_job:.0f} repositories, "
              f"{job_minutes:.1f} min of scanning each (+ runner start-up), {waves} waves: "
              f"~{waves * (job_minutes + 1):.0f} min wall, ~{len(jobs) * (job_minutes + 1):.0f} runner minutes; "
              f"{requests * args.repos:.0f} API requests in all")
    finally:
        server.shutdown()
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
