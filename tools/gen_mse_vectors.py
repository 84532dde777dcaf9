#!/usr/bin/env python3
"""Independent reference for Message Stream Encryption (spec/mse.md), used to generate test vectors.

Plain python3 only: pow() for Diffie-Hellman, hashlib for SHA-1, and the small RC4 below. It shares no
code with src/mse or src/crypto, so agreement between the two is evidence that both follow the spec.

Writes tests/data/mse/keys.txt (key derivation) and tests/data/mse/transcripts.txt (whole handshakes,
both directions, with stream bytes after the handshake). The files are committed; tests never run this.

    python3 tools/gen_mse_vectors.py            # rewrite the files
    python3 tools/gen_mse_vectors.py --check    # fail if the committed files differ
"""
import hashlib
import os
import sys

P = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF"
    "9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563",
    16,
)
G = 2
VC = bytes(8)


def rc4_drop1024(key):
    s, j = list(range(256)), 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) & 255
        s[i], s[j] = s[j], s[i]
    state = {"i": 0, "j": 0}

    def crypt(data):
        out, i, j = bytearray(), state["i"], state["j"]
        for b in data:
            i = (i + 1) & 255
            j = (j + s[i]) & 255
            s[i], s[j] = s[j], s[i]
            out.append(b ^ s[(s[i] + s[j]) & 255])
        state["i"], state["j"] = i, j
        return bytes(out)

    crypt(bytes(1024))
    return crypt


def h(*parts):
    return hashlib.sha1(b"".join(parts)).digest()


def b96(v):
    return v.to_bytes(96, "big")


def derive(xa, xb, skey):
    ya, yb = pow(G, xa, P), pow(G, xb, P)
    s1, s2 = pow(yb, xa, P), pow(ya, xb, P)
    assert s1 == s2
    s = b96(s1)
    d = {
        "ya": b96(ya),
        "yb": b96(yb),
        "s": s,
        "req1": h(b"req1", s),
        "req2": h(b"req2", skey),
        "req3": h(b"req3", s),
        "key_a": h(b"keyA", s, skey),
        "key_b": h(b"keyB", s, skey),
    }
    d["req2_xor_req3"] = bytes(a ^ b for a, b in zip(d["req2"], d["req3"]))
    d["vc_a"] = rc4_drop1024(d["key_a"])(VC)
    d["vc_b"] = rc4_drop1024(d["key_b"])(VC)
    return d


def seeded(label, n):
    """Deterministic filler bytes."""
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.sha1(label.encode() + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:n]


def be16(v):
    return v.to_bytes(2, "big")


def be32(v):
    return v.to_bytes(4, "big")


def bt_handshake(skey, peer_id):
    return b"\x13BitTorrent protocol" + bytes([0, 0, 0, 0, 0, 0x10, 0, 0x05]) + skey + peer_id


def transcript(case):
    xa, xb, skey = case["x_a"], case["x_b"], case["skey"]
    d = derive(int.from_bytes(xa, "big"), int.from_bytes(xb, "big"), skey)
    provide, allowed, prefer = case["provide"], case["allowed"], case["prefer_rc4"]
    common = provide & allowed & 3
    assert common, "transcripts only cover successful handshakes"
    select = 2 if (common & 2 and (prefer or not common & 1)) else 1

    enc_a, enc_b = rc4_drop1024(d["key_a"]), rc4_drop1024(d["key_b"])
    ia, pad_c, pad_d = case["ia"], case["pad_c_len"], case["pad_d_len"]
    msg1 = d["ya"] + case["pad_a"]
    msg2 = d["yb"] + case["pad_b"]
    msg3 = d["req1"] + d["req2_xor_req3"]
    msg3 += enc_a(VC + be32(provide) + be16(pad_c) + bytes(pad_c) + be16(len(ia)))
    msg3 += enc_a(ia)
    msg4 = enc_b(VC + be32(select) + be16(pad_d) + bytes(pad_d))
    a_payload, b_payload = case["a_payload"], case["b_payload"]
    # After the handshake: RC4 continues each keystream; plaintext passes the bytes through.
    a_stream = enc_a(a_payload) if select == 2 else a_payload
    b_stream = enc_b(b_payload) if select == 2 else b_payload
    return {
        "a_msg1": msg1,
        "a_msg3": msg3,
        "b_msg2": msg2,
        "b_msg4": msg4,
        "select": select,
        "a_stream": a_stream,
        "b_stream": b_stream,
    }


def hexs(b):
    return b.hex()


def spec_self_check():
    """The §12.1 vector of spec/mse.md, so the generator itself is checked against the spec."""
    xa = int("0102030405060708090a0b0c0d0e0f1011121314", 16)
    xb = int("2122232425262728292a2b2c2d2e2f3031323334", 16)
    skey = bytes.fromhex("0123456789abcdef0123456789abcdef01234567")
    d = derive(xa, xb, skey)
    assert d["req1"].hex() == "361e3668027ecec9d1086d5f839d191781e8de17"
    assert d["req2"].hex() == "9b0e3139e33164f3e4682f23d7706103e892d63a"
    assert d["req3"].hex() == "3636fc5ac2a9bdd097857f8b02403004817d467d"
    assert d["req2_xor_req3"].hex() == "ad38cd632198d92373ed50a8d530510769ef9047"
    assert d["key_a"].hex() == "79ce4dc6d2b4726533e515706315ec6d1fc03b61"
    assert d["key_b"].hex() == "e1b1817be0f05519c2a22c106a850cbaff80a8ab"
    assert d["vc_a"].hex() == "5e880a01ca88131c"
    assert d["vc_b"].hex() == "6fc771f02c4db0eb"
    assert rc4_drop1024(d["key_a"])(VC + be32(3) + be16(0) + be16(0)).hex() == "5e880a01ca88131ce8c73845ded47dcb"
    assert d["s"].hex().startswith("cd8536d5f2c98f01")
    lz = derive(xa, int("2122232425262728292a2b2c2d2e2f30313233b7", 16), skey)
    assert lz["s"][:4].hex() == "00804ec8"
    assert lz["req1"].hex() == "bffa0ab6ce946dbf72a111a2a84adef83fc1f0c6"
    assert h(b"req1", lz["s"].lstrip(b"\0")).hex() == "3782479e5f85b002fd32d94097c7a3272461365e"
    # Not Oakley group 1: same leading bytes, tail ...A63A3620 FFFFFFFF FFFFFFFF there, and
    # P_MSE - P_Oakley1 = 591204 (spec §1).
    oakley1 = int(P.to_bytes(96, "big")[:84].hex() + "A63A3620FFFFFFFFFFFFFFFF", 16)
    assert P - oakley1 == 591204, P - oakley1
    # The standard RC4 "Key"/"Plaintext" check.
    s, j = list(range(256)), 0
    k = b"Key"
    for i in range(256):
        j = (j + s[i] + k[i % 3]) & 255
        s[i], s[j] = s[j], s[i]
    i = j = 0
    out = bytearray()
    for b in b"Plaintext":
        i = (i + 1) & 255
        j = (j + s[i]) & 255
        s[i], s[j] = s[j], s[i]
        out.append(b ^ s[(s[i] + s[j]) & 255])
    assert out.hex() == "bbf316e8d940af0ad3"


def first_x_with_leading_zero_y(seed):
    """Smallest 160-bit exponent from a seeded counter whose public key starts with a 0x00 byte."""
    counter = 0
    while True:
        x = hashlib.sha1(seed + counter.to_bytes(4, "big")).digest()
        if b96(pow(G, int.from_bytes(x, "big"), P))[0] == 0:
            return x
        counter += 1


def key_cases():
    skey = bytes.fromhex("0123456789abcdef0123456789abcdef01234567")
    xa = bytes.fromhex("0102030405060708090a0b0c0d0e0f1011121314")
    cases = [
        ("spec_12_1", xa, bytes.fromhex("2122232425262728292a2b2c2d2e2f3031323334"), skey),
        ("secret_leading_zero", xa, bytes.fromhex("2122232425262728292a2b2c2d2e2f30313233b7"), skey),
        ("public_key_leading_zero", first_x_with_leading_zero_y(b"mse-lz-ya"), seeded("xb3", 20), seeded("skey3", 20)),
        ("seeded_160_bit", seeded("xa4", 20), seeded("xb4", 20), seeded("skey4", 20)),
        # A full-width exponent (as rakshasa/libtorrent's OpenSSL DH uses), reduced below P.
        (
            "full_width_exponent",
            (int.from_bytes(seeded("xa5", 96), "big") % (P - 3) + 2).to_bytes(96, "big"),
            seeded("xb5", 20),
            seeded("skey5", 20),
        ),
        ("short_exponent", bytes([0x02]), bytes([0x03, 0x01]), bytes(20)),
    ]
    return cases


def transcript_cases():
    skey = bytes.fromhex("0123456789abcdef0123456789abcdef01234567")
    xa = bytes.fromhex("0102030405060708090a0b0c0d0e0f1011121314")
    xb = bytes.fromhex("2122232425262728292a2b2c2d2e2f3031323334")
    ia68 = bt_handshake(skey, b"-BV0001-abcdefghijkl")
    a_pay = bytes.fromhex("0000000502") + seeded("a-bitfield", 2)  # interested + 2 junk bytes
    b_pay = bt_handshake(skey, b"-XX0100-responder012") + bytes.fromhex("00000001") + b"\x01"
    base = dict(x_a=xa, x_b=xb, skey=skey, a_payload=a_pay, b_payload=b_pay)
    return [
        dict(base, name="rc4_ia68_no_pads", pad_a=b"", pad_b=b"", pad_c_len=0, pad_d_len=0, provide=3, allowed=3,
             prefer_rc4=1, ia=ia68),
        dict(base, name="rc4_ia0_max_pads", pad_a=seeded("pa", 512), pad_b=seeded("pb", 512), pad_c_len=512,
             pad_d_len=512, provide=2, allowed=3, prefer_rc4=1, ia=b""),
        dict(base, name="plaintext_preferred_ia68", pad_a=seeded("pa", 10), pad_b=seeded("pb", 130), pad_c_len=0,
             pad_d_len=265, provide=3, allowed=3, prefer_rc4=0, ia=ia68),
        dict(base, name="plaintext_only_ia0", pad_a=seeded("pa", 1), pad_b=seeded("pb", 511), pad_c_len=7,
             pad_d_len=0, provide=1, allowed=3, prefer_rc4=1, ia=b""),
        dict(base, name="receiver_allows_plaintext_only", pad_a=b"", pad_b=seeded("pb", 20), pad_c_len=0,
             pad_d_len=3, provide=3, allowed=1, prefer_rc4=1, ia=ia68),
        dict(base, name="receiver_allows_rc4_only", pad_a=seeded("pa", 300), pad_b=b"", pad_c_len=100,
             pad_d_len=0, provide=3, allowed=2, prefer_rc4=0, ia=ia68[:20]),
        dict(base, name="secret_leading_zero_rc4", x_b=bytes.fromhex("2122232425262728292a2b2c2d2e2f30313233b7"),
             pad_a=seeded("pa", 33), pad_b=seeded("pb", 44), pad_c_len=5, pad_d_len=6, provide=2, allowed=2,
             prefer_rc4=1, ia=ia68),
    ]


HEADER = (
    "# Generated by tools/gen_mse_vectors.py (independent Python reference: pow, hashlib, own RC4).\n"
    "# Do not edit; rerun the script. Records are separated by blank lines; values are hex unless noted.\n"
)


def render_keys():
    out = [HEADER]
    for name, xa, xb, skey in key_cases():
        d = derive(int.from_bytes(xa, "big"), int.from_bytes(xb, "big"), skey)
        out.append(f"name = {name}\nx_a = {hexs(xa)}\nx_b = {hexs(xb)}\nskey = {hexs(skey)}\n")
        for k in ("ya", "yb", "s", "req1", "req2", "req3", "req2_xor_req3", "key_a", "key_b", "vc_a", "vc_b"):
            out.append(f"{k} = {hexs(d[k])}\n")
        out.append("\n")
    return "".join(out)


def render_transcripts():
    out = [HEADER, "# provide/allowed/select/prefer_rc4/pad_*_len are decimal.\n"]
    for c in transcript_cases():
        t = transcript(c)
        out.append(f"name = {c['name']}\n")
        for k in ("x_a", "x_b", "skey", "pad_a", "pad_b"):
            out.append(f"{k} = {hexs(c[k])}\n")
        for k in ("pad_c_len", "pad_d_len", "provide", "allowed", "prefer_rc4"):
            out.append(f"{k} = {c[k]}\n")
        out.append(f"ia = {hexs(c['ia'])}\n")
        out.append(f"a_payload = {hexs(c['a_payload'])}\nb_payload = {hexs(c['b_payload'])}\n")
        out.append(f"select = {t['select']}\n")
        for k in ("a_msg1", "b_msg2", "a_msg3", "b_msg4", "a_stream", "b_stream"):
            out.append(f"{k} = {hexs(t[k])}\n")
        out.append("\n")
    return "".join(out)


def main():
    spec_self_check()
    here = os.path.dirname(os.path.abspath(__file__))
    data = os.path.join(here, "..", "tests", "data", "mse")
    files = {"keys.txt": render_keys(), "transcripts.txt": render_transcripts()}
    check = "--check" in sys.argv[1:]
    status = 0
    for name, text in files.items():
        path = os.path.join(data, name)
        if check:
            with open(path, encoding="ascii") as f:
                if f.read() != text:
                    print(f"{path} is stale: rerun tools/gen_mse_vectors.py", file=sys.stderr)
                    status = 1
        else:
            os.makedirs(data, exist_ok=True)
            with open(path, "w", encoding="ascii") as f:
                f.write(text)
            print(f"wrote {path}")
    return status


if __name__ == "__main__":
    sys.exit(main())
