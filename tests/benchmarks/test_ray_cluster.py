"""`zoo bench --executor ray --address`: a real two-node Ray cluster on one machine.

The cluster is a head (`--resources '{"head": 1}'`) and a second node
(`'{"node2": 1}'`), one CPU each, each started with `ray start` in its own
process and `--temp-dir`; every node runs with `RAY_AUTH_MODE=token` and the
token of a temporary HOME (Ray 2.6x refuses a second node without it). The
fake run functions (`fake_cluster_runs`) reach the workers through the nodes'
PYTHONPATH only: the driver does not have them on its path. Each `zoo bench`
runs in its own process, as a user runs it. The cases share the cluster and
run in file order: the node-loss case kills the second node, the cases after
it run on the head alone. `ray stop --force` runs at the end whatever happens.
"""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import pytest

import conftest

pytestmark = pytest.mark.slow
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SUITE = conftest.tiny_suite("tiny", 'optimizer = ["sgd", "adam"]\nbatch_size = [16, 32, 64]',
                            fixed="", description="6 fake runs on a Ray cluster")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """The running cluster: its address, environment, node ids and the second node's process."""

    def __init__(self, root):
        self.root, self.port = root, _free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.started = root / "started"
        self.started.mkdir()
        (root / "home").mkdir()
        base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "RAY_ADDRESS")}
        # The driver's environment: token auth, a temporary HOME holding the token.
        self.env = {**base, "HOME": str(root / "home"), "RAY_AUTH_MODE": "token",
                    "TF_CPP_MIN_LOG_LEVEL": "2", "RAY_USAGE_STATS_ENABLED": "0"}
        # The nodes': the fake runs' folder on PYTHONPATH; a node death noticed within ~3 s.
        self.node_env = {**self.env, "PYTHONPATH": HERE, "ZOO_TEST_STARTED": str(self.started),
                         "ZOO_TEST_SLEEP": "3", "RAY_health_check_period_ms": "1000",
                         "RAY_health_check_failure_threshold": "3"}
        self.node2 = None
        self.nodes = {}

    def ray(self, *args, **kwargs):
        return subprocess.run(["ray", *args], env=self.node_env, capture_output=True, text=True,
                              timeout=120, **kwargs)

    def start(self):
        out = self.ray("get-auth-token", "--generate")
        assert out.returncode == 0, out.stderr[-2000:]
        out = self.ray("start", "--head", "--node-ip-address", "127.0.0.1", "--port",
                       str(self.port), "--num-cpus", "1", "--resources", '{"head": 1}',
                       "--temp-dir", str(self.root / "head"), "--include-dashboard", "false",
                       "--disable-usage-stats")
        assert out.returncode == 0, out.stderr[-2000:]
        # --block: this process group is the node (raylet, workers), killed as one.
        self.node2 = subprocess.Popen(
            ["ray", "start", "--address", self.address, "--node-ip-address", "127.0.0.1",
             "--num-cpus", "1", "--resources", '{"node2": 1}', "--temp-dir",
             str(self.root / "node2"), "--disable-usage-stats", "--block"],
            env=self.node_env, start_new_session=True, stdout=subprocess.DEVNULL,
            stderr=open(self.root / "node2.log", "w"))
        deadline = time.time() + 90
        while time.time() < deadline and len(self.nodes) < 2:
            time.sleep(1)
            self.nodes = self.alive_nodes()
        assert set(self.nodes) == {"head", "node2"}, (self.root / "node2.log").read_text()

    def alive_nodes(self) -> dict:
        """{"head" | "node2": node id} of the alive nodes."""
        code = ("import json, ray; ray.init(address=%r, logging_level='ERROR'); "
                "print(json.dumps({n['NodeID']: n['Resources'] for n in ray.nodes() "
                "if n['Alive']}))" % self.address)
        out = subprocess.run([sys.executable, "-c", code], env=self.env, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        nodes = json.loads(out.stdout.strip().splitlines()[-1])
        return {name: nid for nid, res in nodes.items() for name in ("head", "node2")
                if name in res}

    def kill_node2(self):
        os.killpg(self.node2.pid, signal.SIGKILL)
        self.node2.wait()

    def stop(self):
        if self.node2 and self.node2.poll() is None:
            self.kill_node2()
        self.ray("stop", "--force")

    def bench(self, store, run_fn, *extra, wait=True):
        """`zoo bench` of the 6-run suite on the cluster, in its own process (group)."""
        path = self.root / "tiny.toml"
        path.write_text(SUITE)
        argv = ["bench", str(path), "--store", str(store), "--executor", "ray", "--address",
                self.address, *extra]
        code = (f"import sys; from benchmarks.cli import bench; from zoo.cli import "
                f"build_parser; sys.exit(bench(build_parser().parse_args({argv!r}), "
                f"run_fn={run_fn!r}))")
        proc = subprocess.Popen([sys.executable, "-c", code], env=self.env, cwd=str(self.root),
                                start_new_session=True, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        if not wait:
            return proc
        out, err = proc.communicate(timeout=300)
        print(out)
        return proc.returncode, out, err

    def starts(self) -> list[tuple[str, str]]:
        """(run id, node name) of every start of a run (retries included), then cleared."""
        names = {nid: name for name, nid in self.nodes.items()}
        found = [(f.name.split(".")[0], names.get(f.name.split(".")[1], "?"))
                 for f in self.started.iterdir()]
        for f in self.started.iterdir():
            f.unlink()
        return found


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    pytest.importorskip("ray")
    running = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        running.start()
        yield running
    finally:
        running.stop()


def _runs(store):
    runs = conftest.runs_of(str(store), "tiny")
    assert len(runs) == len({r["run_id"] for r in runs})  # one row per run
    return runs


def _node(run, cluster):
    names = {nid: name for name, nid in cluster.nodes.items()}
    return names[run["record"]["host"]["ray_node"]["node_id"]]


def test_dry_run_reports_the_clusters_nodes_and_cpus(cluster):
    path = cluster.root / "dry.toml"
    path.write_text(SUITE)
    out = subprocess.run([sys.executable, "-m", "zoo", "bench", str(path), "--dry-run",
                          "--executor", "ray", "--address", cluster.address,
                          "--store", str(cluster.root / "dry.sqlite")],
                         env=cluster.env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    print(out.stdout)
    assert f"ray cluster {cluster.address}: 2 nodes, 2 CPUs" in out.stdout
    assert "(head), head=1" in out.stdout and ", node2=1" in out.stdout


def test_every_run_finishes_once_on_both_nodes(cluster):
    store = cluster.root / "both.sqlite"
    code, out, err = cluster.bench(store, "fake_cluster_runs:slow_ok")
    assert code == 0, err[-3000:]
    assert "6 ok, 0 diverged, 0 failed" in out
    runs = _runs(store)
    assert len(runs) == 6 and {r["status"] for r in runs} == {"ok"}
    assert all(r["attempts"] == 1 for r in runs)
    assert {_node(r, cluster) for r in runs} == {"head", "node2"}
    assert all(r["record"]["host"]["ray_node"]["hostname"] == socket.gethostname() for r in runs)
    assert sorted(rid for rid, _ in cluster.starts()) == sorted(r["run_id"] for r in runs)


def test_a_failing_run_is_not_retried_and_a_dying_one_a_bounded_number_of_times(cluster):
    store = cluster.root / "failures.sqlite"
    code, out, err = cluster.bench(store, "fake_cluster_runs:adam_raises_or_dies")
    assert code == 1, err[-3000:]
    runs = {(r["config"]["optimizer"], r["config"]["batch_size"]): r for r in _runs(store)}
    assert len(runs) == 6 and all(r["attempts"] == 1 for r in runs.values())
    assert {k for k, r in runs.items() if r["status"] == "failed"} == {("adam", 16), ("adam", 32)}
    assert "adam exploded on purpose" in runs[("adam", 16)]["error"]
    assert "Ray task failed after 2 retries" in runs[("adam", 32)]["error"]
    starts = [rid for rid, _ in cluster.starts()]
    assert starts.count(runs[("adam", 16)]["run_id"]) == 1  # raised: not retried
    assert starts.count(runs[("adam", 32)]["run_id"]) == 3  # died: 1 + max_retries (2)


def test_a_killed_driver_resumes_with_nothing_lost_or_duplicated(cluster):
    store = cluster.root / "resume.sqlite"
    proc = cluster.bench(store, "fake_cluster_runs:slow_ok", wait=False)
    before, deadline = {}, time.time() + 120
    try:
        while not before and time.time() < deadline and proc.poll() is None:
            time.sleep(0.2)
            try:
                with sqlite3.connect(store, timeout=5) as conn:
                    before = dict(conn.execute("SELECT run_id, finished_at FROM runs WHERE "
                                               "status = 'ok'").fetchall())
            except sqlite3.OperationalError:
                continue
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
    assert before and len(before) < 6, "the driver finished before it could be killed"
    cluster.starts()
    code, out, err = cluster.bench(store, "fake_cluster_runs:slow_ok")
    assert code == 0, err[-3000:]
    runs = _runs(store)
    assert len(runs) == 6 and {r["status"] for r in runs} == {"ok"}
    for run in runs:
        if run["run_id"] in before:
            assert run["finished_at"] == before[run["run_id"]] and run["attempts"] == 1
    assert not {rid for rid, _ in cluster.starts()} & set(before)  # finished: not rerun


def test_a_node_lost_mid_matrix_its_runs_finish_on_the_other(cluster):
    store = cluster.root / "lost.sqlite"
    cluster.starts()
    proc = cluster.bench(store, "fake_cluster_runs:slow_ok", wait=False)
    deadline, on_node2 = time.time() + 120, []
    while not on_node2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
        on_node2 = [rid for rid, node in cluster.starts() if node == "node2"]
    assert on_node2, "no run started on node2"
    cluster.kill_node2()  # its raylet and its workers, while the run is in flight
    out, err = proc.communicate(timeout=300)
    print(out)
    assert proc.returncode == 0, err[-3000:]
    assert "6 ok, 0 diverged, 0 failed" in out
    runs = {r["run_id"]: r for r in _runs(store)}
    assert len(runs) == 6 and {r["status"] for r in runs.values()} == {"ok"}
    assert all(r["attempts"] == 1 for r in runs.values())
    lost = on_node2[0]
    assert _node(runs[lost], cluster) == "head"  # retried on the surviving node
    assert "node2" not in cluster.alive_nodes()
