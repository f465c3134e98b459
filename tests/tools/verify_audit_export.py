#!/usr/bin/env python3
"""An independent verifier of a Latchkey audit export, written from the
docs/user-guide.md alone (Audit log -> Your own verifiable copy), sharing no code with
Latchkey: it re-hashes the chain and checks each checkpoint's Ed25519
signature and hash.

Usage: verify_audit_export.py EXPORT.jsonl PUBLIC_KEY_BASE64
Prints "OK <events> events, <checkpoints> checkpoints" and exits 0, or
"BROKEN: <why>" and exits 1.
"""
import base64, hashlib, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FIELDS = ["org_id", "seq", "occurred_at", "actor_type", "actor_id", "actor_email", "actor_name", "action",
          "target_type", "target_id", "target_label", "ip", "user_agent", "request_id", "trace_id", "details"]

def fail(why):
    print("BROKEN: " + why)
    sys.exit(1)

lines = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
key = Ed25519PublicKey.from_public_bytes(base64.b64decode(sys.argv[2]))
prev, hashes = "0" * 64, {}
for e in (line for line in lines if line.get("type") != "checkpoint"):
    if e["seq"] != len(hashes) + 1:
        fail(f"event #{len(hashes) + 1} is missing")
    if e["prev_hash"] != prev:
        fail(f"event #{e['seq']}: prev_hash does not link to the event before")
    canonical = json.dumps([1] + [e[f] for f in FIELDS], separators=(",", ":"), ensure_ascii=False)
    if hashlib.sha256(f"{prev}\n{canonical}".encode()).hexdigest() != e["hash"]:
        fail(f"event #{e['seq']}: content changed")
    prev = hashes[e["seq"]] = e["hash"]
checkpoints = [line for line in lines if line.get("type") == "checkpoint"]
for c in checkpoints:
    message = f"latchkey-audit-checkpoint-v1\n{c['org_id']}\n{c['seq']}\n{c['hash']}\n{c['signed_at']}"
    try:
        key.verify(base64.b64decode(c["signature"]), message.encode())
    except Exception:
        fail(f"checkpoint #{c['seq']}: the signature does not verify")
    if hashes.get(c["seq"]) != c["hash"]:
        fail(f"checkpoint #{c['seq']}: the chain was rewritten after it was signed")
print(f"OK {len(hashes)} events, {len(checkpoints)} checkpoints")
