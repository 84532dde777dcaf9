"""How bench/swarm starts each leecher: a cold process with its own empty download folder and its own HOME.

leecher(client, ...) returns a Leecher: argv, environment, and `dial_port` when the seeders have to dial it
(transmission). Every client listens on 127.0.0.1 only, with DHT, local discovery, PEX, uTP and port mapping off.

How each finds the seeders:
- bitveil, libtorrent (the Python lt_peer.py) and libtorrent-cpp (the C++ bench/lt_driver) dial every seeder (--peer),
  from the tracker-less copy of the torrent.
- aria2 cannot dial a given address: it learns the seeders from opentracker (the torrent with the tracker).
- transmission drops 127.0.0.0/8 peers that come from trackers, so the seeders dial its port (tracker-less torrent).
  It keeps one connection per IP address, hence the seeders bind 127.0.0.1, .2 and .3.
Encryption: plain = plaintext only where the client can say so (aria2 and transmission cannot refuse MSE, but the
seeders can: they run pe_disabled); rc4 = MSE with RC4 required.
"""
import json
import os
from dataclasses import dataclass, field

CLIENTS = ("bitveil", "libtorrent", "libtorrent-cpp", "aria2", "transmission")
SEEDERS = ("bitveil", "libtorrent", "aria2", "transmission")  # bench/swarm --seed; libtorrent is lt_driver there


@dataclass
class Leecher:
    argv: list
    env: dict = field(default_factory=dict)
    dial_port: int = 0  # > 0: the seeders must connect to 127.0.0.1:dial_port


def leecher(client, *, bitveil, lt_peer, lt_driver, python, torrent, tracker_torrent, dest, home, seeders, mode, port,
            timeout):
    """client: one of CLIENTS; seeders: ["host:port", ...]; mode: plain|rc4; port: a free port for clients
    that need a fixed one; home: an empty folder used as HOME and XDG_* base (nothing is shared between runs)."""
    rc4 = mode == "rc4"
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"),
               XDG_DATA_HOME=os.path.join(home, ".local", "share"), XDG_STATE_HOME=os.path.join(home, ".local", "state"),
               XDG_CACHE_HOME=os.path.join(home, ".cache"))
    peers = [x for s in seeders for x in ("--peer", s)]
    if client == "bitveil":
        # The torrent with the tracker, as a user's would be: the announce (and what it loads) counts in the
        # peak RSS. --peer dials the seeders at once, so the wall time does not include the announce.
        argv = [bitveil, "download", tracker_torrent, "-d", dest, "--port", "0", "--listen-address", "127.0.0.1", *peers,
                "--quiet", "--encryption", "require" if rc4 else "disable", "--encryption-level", "rc4",
                "--stats-json", os.path.join(home, "stats.json")]
        return Leecher(argv, env)
    if client == "libtorrent":
        argv = [python, lt_peer, torrent, "--leech", "--save", dest, "--port", "0", *peers, "--no-tracker",
                "--timeout", str(timeout), "--interval", "1", "--encryption", "required" if rc4 else "disabled"]
        return Leecher(argv, env)
    if client == "libtorrent-cpp":
        return Leecher(lt_driver_leecher(lt_driver, torrent, dest, "127.0.0.1", seeders, mode, timeout), env)
    if client == "aria2":
        argv = ["aria2c", "--no-conf", f"--dir={dest}", f"--listen-port={port}", "--interface=127.0.0.1",
                "--disable-ipv6=true", "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
                "--enable-peer-exchange=false", "--file-allocation=none", "--allow-overwrite=true",
                "--auto-save-interval=0", "--summary-interval=0", "--console-log-level=warn", "--enable-color=false",
                "--max-overall-upload-limit=0", "--max-overall-download-limit=0", "--bt-save-metadata=false",
                "--follow-torrent=false", "--seed-time=0",
                "--bt-require-crypto=" + ("true" if rc4 else "false"),
                "--bt-min-crypto-level=" + ("arc4" if rc4 else "plain"), tracker_torrent]
        return Leecher(argv, env)
    if client == "transmission":
        config = os.path.join(home, "transmission")
        os.makedirs(config, exist_ok=True)
        settings = {
            "dht-enabled": False, "lpd-enabled": False, "pex-enabled": False, "utp-enabled": False,
            "port-forwarding-enabled": False, "blocklist-enabled": False, "rpc-enabled": False,
            "bind-address-ipv4": "127.0.0.1", "bind-address-ipv6": "::1", "peer-port": port,
            "peer-port-random-on-start": False, "encryption": 2 if rc4 else 0, "download-dir": dest,
            "incomplete-dir-enabled": False, "speed-limit-down-enabled": False, "speed-limit-up-enabled": False,
            "alt-speed-enabled": False, "ratio-limit-enabled": True, "ratio-limit": 0,  # exit 0 at 100 %
            "idle-seeding-limit-enabled": False, "message-level": 1,
        }
        with open(os.path.join(config, "settings.json"), "w") as f:
            json.dump(settings, f)
        argv = ["transmission-cli", "-g", config, "-w", dest, "-p", str(port), "-er" if rc4 else "-et",
                "-M", "-B", "-D", "-U", torrent]
        return Leecher(argv, env, dial_port=port)
    raise ValueError(f"unknown client {client!r} (known: {', '.join(CLIENTS)})")


def lt_driver_leecher(lt_driver, torrent, dest, address, seeders, mode, timeout):
    """argv of bench/lt_driver downloading `torrent` into `dest` from `seeders` (it dials each), bound to `address`."""
    peers = [x for s in seeders for x in ("--peer", s)]
    return [lt_driver, torrent, "--leech", "--save", dest, "--address", address, "--port", "0", *peers,
            "--timeout", str(timeout), "--encryption", "required" if mode == "rc4" else "disabled"]


@dataclass
class SeederSpec:
    """How bench/swarm --seed starts one seeder: argv, environment, files to write first, and how it tells that it
    checked its data and listens (`ready`: "lt_driver" a SEEDING line, "bitveil" its check report line, "aria2" /
    "transmission" their RPC on 127.0.0.1:rpc_port)."""
    argv: list
    env: dict
    ready: str
    rpc_port: int = 0


def seeder(client, *, bitveil, lt_driver, torrent, data_parent, home, address, port, rpc_port, mode):
    """client: one of SEEDERS, seeding `torrent` (tracker-less) from data_parent (the folder holding its file or top
    folder) on address:port; home: an empty folder (HOME, XDG_*, the client's settings and resume data);
    rpc_port: a free port for aria2's and Transmission's RPC (127.0.0.1 only), used to add the torrent and to see
    that the check is over. mode: plain|rc4."""
    rc4 = mode == "rc4"
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"),
               XDG_DATA_HOME=os.path.join(home, ".local", "share"), XDG_STATE_HOME=os.path.join(home, ".local", "state"),
               XDG_CACHE_HOME=os.path.join(home, ".cache"))
    if client == "bitveil":
        # A fresh --resume-dir: it hashes the data as the others do, rather than trusting an earlier run's record.
        argv = [bitveil, "seed", torrent, "-d", data_parent, "--port", str(port), "--listen-address", address,
                "--encryption", "require" if rc4 else "disable", "--encryption-level", "rc4",
                "--resume-dir", os.path.join(home, "resume"), "--stats-json", os.path.join(home, "stats.json")]
        return SeederSpec(argv, env, "bitveil")
    if client == "libtorrent":
        argv = [lt_driver, torrent, "--seed", "--save", data_parent, "--address", address, "--port", str(port),
                "--encryption", "required" if rc4 else "disabled"]
        return SeederSpec(argv, env, "lt_driver")
    if client == "aria2":
        # --seed-ratio=0.0 with no --seed-time: seed until stopped. The RPC only tells when the check is over.
        argv = ["aria2c", "--no-conf", f"--dir={data_parent}", f"--listen-port={port}", f"--interface={address}",
                "--disable-ipv6=true", "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
                "--enable-peer-exchange=false", "--check-integrity=true", "--seed-ratio=0.0",
                "--file-allocation=none", "--auto-save-interval=0", "--summary-interval=0", "--console-log-level=warn",
                "--enable-color=false", "--max-overall-upload-limit=0", "--bt-save-metadata=false",
                "--follow-torrent=false", "--enable-rpc=true", f"--rpc-listen-port={rpc_port}",
                "--rpc-listen-all=false", "--bt-require-crypto=" + ("true" if rc4 else "false"),
                "--bt-min-crypto-level=" + ("arc4" if rc4 else "plain"), torrent]
        return SeederSpec(argv, env, "aria2", rpc_port)
    if client == "transmission":
        config = os.path.join(home, "transmission")
        os.makedirs(config, exist_ok=True)
        settings = {
            "dht-enabled": False, "lpd-enabled": False, "pex-enabled": False, "utp-enabled": False,
            "port-forwarding-enabled": False, "blocklist-enabled": False,
            "bind-address-ipv4": address, "bind-address-ipv6": "::1", "peer-port": port,
            "peer-port-random-on-start": False, "encryption": 2 if rc4 else 1,  # required / preferred
            "download-dir": data_parent, "incomplete-dir-enabled": False, "watch-dir-enabled": False,
            "speed-limit-down-enabled": False, "speed-limit-up-enabled": False, "alt-speed-enabled": False,
            "ratio-limit-enabled": False, "idle-seeding-limit-enabled": False, "start-added-torrents": True,
            "rpc-enabled": True, "rpc-bind-address": "127.0.0.1", "rpc-port": rpc_port,
            "rpc-authentication-required": False, "rpc-whitelist-enabled": False,
            "rpc-host-whitelist-enabled": False, "message-level": 1,
        }
        with open(os.path.join(config, "settings.json"), "w") as f:
            json.dump(settings, f)
        argv = ["transmission-daemon", "-f", "-g", config]
        return SeederSpec(argv, env, "transmission", rpc_port)
    raise ValueError(f"unknown seeder {client!r} (known: {', '.join(SEEDERS)})")


def versions(bitveil, python, lt_driver=None):
    """{client: version string} for the report (best effort)."""
    import subprocess

    def first_line(argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            return (r.stdout or r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "?"

    return {
        "bitveil": first_line([bitveil, "--version"]),
        "libtorrent": "libtorrent " + first_line([python, "-c", "import libtorrent; print(libtorrent.__version__)"]),
        "libtorrent-cpp": first_line([lt_driver, "--version"]) if lt_driver else "?",
        "aria2": first_line(["aria2c", "--version"]),
        "transmission": first_line(["transmission-cli", "--version"]),
        "transmission-daemon": first_line(["transmission-daemon", "--version"]),
    }
