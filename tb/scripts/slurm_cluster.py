# SPDX-License-Identifier: Apache-2.0
"""A private one-node Slurm cluster for tests (Debian 12's slurm-wlm and munge).

    with SlurmCluster() as c:
        c.run(["sbatch", script])          # client commands see this cluster
        c.wait_job(job_id)

Everything lives in a fresh directory under /tmp: slurm.conf, the MUNGE key
and socket, the controller's state, slurmd's spool, pid files and the
daemons' logs. The daemons run in the foreground as children of this process
(munged -F, slurmctld -D, slurmd -D), each in a process group of its own,
on two free TCP ports, so two clusters (or a system Slurm) on the same
machine do not meet. The client commands find the cluster through
SLURM_CONF in `env`. stop() (also on an exception, and from __exit__)
cancels the jobs, terminates the daemons, kills any process still carrying
this cluster's marker variable in its environment (slurmstepd and job
processes leave the daemons' process groups), and removes the directory.
The daemons also die with this process (PR_SET_PDEATHSIG) if it is killed.

Python 3 standard library only; runs as root (SlurmUser=root).
"""
import ctypes
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time

# Each program the cluster needs and the Debian package that ships it
# (installed by `scripts/deps.sh slurm`).
PROGRAMS = {
    "mungekey": "munge", "munged": "munge",
    "slurmctld": "slurmctld", "slurmd": "slurmd",
    "sbatch": "slurm-client", "squeue": "slurm-client", "scontrol": "slurm-client",
    "scancel": "slurm-client", "sinfo": "slurm-client",
}
MARKER = "PRISIM_SLURM_CLUSTER"


class ClusterError(Exception):
    pass


def processes_of(cluster_dir):
    """Pids of the processes of the cluster in cluster_dir: its marker in
    their environment (daemons, slurmstepd, job processes) or the directory
    on their command line."""
    want = f"{MARKER}={cluster_dir}".encode()
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open(f"/proc/{d}/environ", "rb") as f:
                env = f.read().split(b"\0")
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if want in env or cluster_dir.encode() + b"/" in cmdline:
            pids.append(int(d))
    return pids


def _which(prog):
    """The program in PATH, or in /usr/sbin (daemons) when PATH lacks it."""
    return shutil.which(prog, path=os.environ.get("PATH", "") + ":/usr/sbin:/usr/bin:/sbin:/bin")


def missing_programs():
    """[(program, Debian package)] of the PROGRAMS not installed."""
    return [(p, pkg) for p, pkg in PROGRAMS.items() if _which(p) is None]


def _free_ports(n):
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _die_with_parent():
    """preexec_fn: SIGKILL when the process that started the daemon dies."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _node_hardware(slurmd):
    """CPUs, topology and RealMemory as slurmd detects them (`slurmd -C`),
    so that the node registers without being drained for a mismatch."""
    hw = {}
    try:
        p = subprocess.run([slurmd, "-C"], capture_output=True, text=True, timeout=20)
        for word in p.stdout.split("\n", 1)[0].split():
            k, _, v = word.partition("=")
            if k in ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore", "RealMemory"):
                hw[k] = v
    except (OSError, subprocess.SubprocessError):
        pass
    if "CPUs" not in hw or "RealMemory" not in hw:
        hw = {"CPUs": str(os.cpu_count() or 1)}
        with open("/proc/meminfo") as f:
            kib = int(next(line for line in f if line.startswith("MemTotal:")).split()[1])
        hw["RealMemory"] = str(kib // 1024 * 95 // 100)
    return hw


class SlurmCluster:
    """start_timeout: seconds each daemon has to come up (ClusterError with
    their logs otherwise); keep: leave the directory (logs) after stop()."""

    def __init__(self, start_timeout=30.0, keep=False):
        self.start_timeout = start_timeout
        self.keep = keep
        self.dir = None
        self.procs = {}
        self.env = None
        self.node = socket.gethostname().split(".")[0] or "localhost"
        self.hardware = {}

    # -- set-up ---------------------------------------------------------
    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def path(self, *names):
        return os.path.join(self.dir, *names)

    def start(self):
        if os.geteuid() != 0:
            raise ClusterError("the cluster runs its daemons as root (SlurmUser=root): run as root")
        absent = missing_programs()
        if absent:
            raise ClusterError("missing " + ", ".join(f"{p} (Debian package {pkg})" for p, pkg in absent)
                               + "; install them with scripts/deps.sh slurm")
        # A short path: the MUNGE socket's name must fit in sockaddr_un.
        self.dir = tempfile.mkdtemp(prefix="prisim-slurm-", dir="/tmp")
        os.chmod(self.dir, 0o711)  # munged wants its socket's directory searchable
        for d in ("state", "spool"):
            os.makedirs(self.path(d))
        self.env = dict(os.environ, SLURM_CONF=self.path("slurm.conf"), **{MARKER: self.dir})
        for k in ("SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID"):
            self.env.pop(k, None)
        self.hardware = _node_hardware(_which("slurmd"))
        self._write_conf()

        p = subprocess.run([_which("mungekey"), "--create", "--keyfile", self.path("munge.key")],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise ClusterError(f"mungekey exited {p.returncode}: {p.stderr.strip()}")
        self._spawn("munged", [_which("munged"), "--foreground", "--force",
                               "--socket", self.path("munge.sock"), "--key-file", self.path("munge.key"),
                               "--pid-file", self.path("munged.pid"), "--log-file", self.path("munged.log"),
                               "--seed-file", self.path("munged.seed")])
        self._wait("munged's socket", lambda: os.path.exists(self.path("munge.sock")), ("munged",))
        self._spawn("slurmctld", [_which("slurmctld"), "-D", "-f", self.path("slurm.conf")])
        self._spawn("slurmd", [_which("slurmd"), "-D", "-f", self.path("slurm.conf"), "-N", self.node])
        self._wait(f"node {self.node} idle in sinfo", lambda: self.node_state() == "idle",
                   ("munged", "slurmctld", "slurmd"))

    def _write_conf(self):
        ctld_port, slurmd_port = _free_ports(2)
        hw = " ".join(f"{k}={v}" for k, v in self.hardware.items())
        conf = f"""# Generated by tb/scripts/slurm_cluster.py: a private one-node cluster.
ClusterName=prisimtest
SlurmctldHost={self.node}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.path("munge.sock")}
StateSaveLocation={self.path("state")}
SlurmdSpoolDir={self.path("spool")}
SlurmctldPidFile={self.path("slurmctld.pid")}
SlurmdPidFile={self.path("slurmd.pid")}
SlurmctldLogFile={self.path("slurmctld.log")}
SlurmdLogFile={self.path("slurmd.log")}
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc={self.path("jobcomp.txt")}
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
NodeName={self.node} NodeAddr=127.0.0.1 NodeHostname={self.node} {hw} State=UNKNOWN
PartitionName=prisim Nodes={self.node} Default=YES MaxTime=INFINITE State=UP
"""
        with open(self.path("slurm.conf"), "w") as f:
            f.write(conf)

    def _spawn(self, name, argv):
        out = open(self.path(f"{name}.out"), "w")
        try:
            self.procs[name] = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                                env=self.env, cwd=self.dir, start_new_session=True,
                                                preexec_fn=_die_with_parent)
        finally:
            out.close()

    def _wait(self, what, cond, daemons):
        deadline = time.monotonic() + self.start_timeout
        while True:
            for d in daemons:
                rc = self.procs[d].poll()
                if rc is not None:
                    raise ClusterError(f"{d} exited {rc} while waiting for {what}\n{self.logs()}")
            if cond():
                return
            if time.monotonic() > deadline:
                raise ClusterError(f"no {what} after {self.start_timeout:.0f} s "
                                   f"(sinfo: {self.node_state() or '-'})\n{self.logs()}")
            time.sleep(0.1)

    # -- clients ----------------------------------------------------------
    def run(self, argv, timeout=60, **kw):
        """A command with this cluster's environment; CompletedProcess, text."""
        return subprocess.run(argv, env=self.env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, **kw)

    def node_state(self):
        try:
            p = self.run(["sinfo", "-h", "-N", "-n", self.node, "-o", "%T"], timeout=10)
        except subprocess.TimeoutExpired:
            return ""
        return p.stdout.strip() if p.returncode == 0 else ""

    def job_active(self, job_id):
        """True while any task of the job is pending, running or finishing."""
        p = self.run(["squeue", "-h", "-j", str(job_id), "-t", "PD,R,CG,CF,S", "-o", "%i"], timeout=10)
        if p.returncode != 0:
            # squeue refuses a job id the controller has already purged.
            if "Invalid job id" in p.stderr:
                return False
            raise ClusterError(f"squeue exited {p.returncode}: {p.stderr.strip()}")
        return bool(p.stdout.strip())

    def wait_job(self, job_id, timeout=120):
        deadline = time.monotonic() + timeout
        while self.job_active(job_id):
            for d, proc in self.procs.items():
                if proc.poll() is not None:
                    raise ClusterError(f"{d} exited {proc.returncode} while job {job_id} ran\n{self.logs()}")
            if time.monotonic() > deadline:
                q = self.run(["squeue", "-j", str(job_id)], timeout=10)
                raise ClusterError(f"job {job_id} still queued after {timeout} s:\n{q.stdout}{q.stderr}\n"
                                   f"{self.logs()}")
            time.sleep(0.2)

    def array_tasks(self, job_id):
        """{array task id: (JobState, ExitCode)} from `scontrol show job`."""
        p = self.run(["scontrol", "-o", "show", "job", str(job_id)], timeout=10)
        if p.returncode != 0:
            raise ClusterError(f"scontrol show job {job_id} exited {p.returncode}: {p.stderr.strip()}")
        tasks = {}
        for line in p.stdout.splitlines():
            f = dict(w.partition("=")[::2] for w in line.split() if "=" in w)
            if f.get("ArrayJobId") == str(job_id) and f.get("ArrayTaskId", "").isdigit():
                tasks[int(f["ArrayTaskId"])] = (f.get("JobState"), f.get("ExitCode"))
        return tasks

    def logs(self, lines=40):
        """The last lines of each daemon's log and output, for a failure message."""
        if not self.dir:
            return ""
        parts = []
        for name in ("munged.out", "slurmctld.log", "slurmctld.out", "slurmd.log", "slurmd.out"):
            try:
                with open(self.path(name), errors="replace") as f:
                    tail = f.read().splitlines()[-lines:]
            except OSError:
                continue
            parts.append(f"--- {self.path(name)} (last {len(tail)} lines)\n" + "\n".join(tail))
        return "\n".join(parts)

    # -- tear-down ----------------------------------------------------------
    def stop(self):
        """Cancel the jobs and let them end, then stop slurmd, slurmctld and
        munged in that order (a step that ends needs the controller and
        MUNGE to report it), then kill whatever of the cluster is left.
        SIGINT and SIGTERM wait until it is done."""
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            self._stop()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)

    def _stop(self):
        ctld = self.procs.get("slurmctld")
        if self.env and ctld is not None and ctld.poll() is None:
            try:
                self.run(["scancel", "--full", "-u", "root"], timeout=10)
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    q = self.run(["squeue", "-h", "-o", "%i"], timeout=10)
                    if q.returncode != 0 or not q.stdout.strip():
                        break
                    time.sleep(0.2)
            except (OSError, subprocess.SubprocessError):
                pass
        for name in ("slurmd", "slurmctld", "munged"):
            proc = self.procs.get(name)
            # poll() is None: not reaped, so the group is still this daemon's.
            if proc is None or proc.poll() is not None:
                continue
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self.dir:
            for _ in range(50):
                left = processes_of(self.dir)
                if not left:
                    break
                for pid in left:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.1)
            if not self.keep:
                shutil.rmtree(self.dir, ignore_errors=True)
        self.procs = {}

    def describe(self):
        return f"slurm cluster in {self.dir}: SLURM_CONF={shlex.quote(self.path('slurm.conf'))}"
