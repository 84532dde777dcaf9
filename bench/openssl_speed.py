"""`openssl speed` figures for bench/swarm and bench/micro (standard library only).

digest_or_cipher(name, size) runs `openssl speed -mr -seconds S -bytes SIZE -evp NAME` (RC4 needs the legacy
provider in OpenSSL 3, so it is loaded for every run) and returns bytes per second of CPU (user) time, which is
what `openssl speed` divides by unless -elapsed is given. dsa_sign(bits) returns DSA signatures per second.
"""
import re
import subprocess

LEGACY = ["-provider", "legacy", "-provider", "default"]


def _run(args, timeout=120):
    r = subprocess.run(["openssl", "speed", "-mr", *args], capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"openssl speed {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()[-300:]}")
    return r.stdout + r.stderr


def digest_or_cipher(name, size, seconds=1):
    """Bytes/s for EVP `name` (sha1, rc4, ...) on `size`-byte buffers."""
    text = _run(["-seconds", str(seconds), "-bytes", str(size), *LEGACY, "-evp", name])
    m = re.search(r"^\+F:\d+:[^:]+:([0-9.]+)", text, re.M)
    if not m:
        raise RuntimeError(f"no +F line in `openssl speed -evp {name}` output: {text[-300:]!r}")
    return float(m.group(1))


def dsa_sign(bits, seconds=1):
    """DSA signatures/s at `bits` (512, 1024, 2048): one modexp with a 160-bit (224/256 at 2048) exponent each."""
    text = _run(["-seconds", str(seconds), f"dsa{bits}"])
    m = re.search(rf"^\+F3:\d+:{bits}:([0-9.]+):([0-9.]+)", text, re.M)
    if not m:
        raise RuntimeError(f"no +F3 line for dsa{bits}: {text[-300:]!r}")
    return float(m.group(1))


def version():
    r = subprocess.run(["openssl", "version"], capture_output=True, text=True)
    return r.stdout.strip()
