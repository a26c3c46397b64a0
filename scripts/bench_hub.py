#!/usr/bin/python3
"""Admin API steps of scripts/bench's reconnect storm, against a running cloudhub.

    bench_hub.py --admin-port P --data-dir DIR label --nodes N --label KEY=VALUE [--prefix sim]
    bench_hub.py --admin-port P --data-dir DIR apply --selector KEY=VALUE --count K --bytes B --name NAME
    bench_hub.py --admin-port P --data-dir DIR wait --sessions N --timeout S [--baseline D]
                 [--ready T --drop T] [--interval 0.25]

label: gives the simulator's nodes PREFIX-00000..N-1 the label (kept with their other labels; nodes
       that have it already are left alone), so one selector reaches exactly those N nodes.
apply: PUTs K ConfigMaps of about B bytes each to the nodes of the selector; prints the messages
       that queues, as JSON.
wait:  polls /metrics until N sessions are up and no message is queued (or no more than --baseline);
       prints as JSON the epoch times when each was first seen, null if not within the timeout
       (exit status 1), and the last queue depth seen.
"""
import argparse
import http.client
import json
import os
import ssl
import sys
import time
import urllib.parse


class Hub:
    """One keep-alive HTTPS connection to the admin API, reopened when the hub closed it."""

    def __init__(self, port, data_dir):
        self.port = port
        self.ctx = ssl.create_default_context(cafile=os.path.join(data_dir, "pki", "ca.crt"))
        with open(os.path.join(data_dir, "admin.token")) as f:
            self.token = f.read().strip()
        self.conn = None

    def request(self, method, path, body=None):
        payload = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        headers = {"Authorization": "Bearer " + self.token}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=30)
            try:
                self.conn.request(method, path, body=payload, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            if resp.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return resp.status, data
        raise AssertionError("unreachable")

    def json(self, method, path, body=None, ok=(200, 201)):
        status, data = self.request(method, path, body)
        if status not in ok:
            raise RuntimeError("{} {}: HTTP {}: {}".format(method, path, status, data.decode(errors="replace")[:300]))
        return json.loads(data)


def split_label(text):
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise SystemExit("bench_hub: a label is KEY=VALUE, not " + text)
    return key, value


def label(hub, a):
    key, value = split_label(a.label)
    known = {n["id"]: n.get("labels") or {} for n in hub.json("GET", "/api/v1/nodes")["nodes"]}
    done = 0
    for i in range(a.nodes):
        node = "{}-{:05d}".format(a.prefix, i)
        labels = dict(known.get(node, {}))
        if labels.get(key) == value:
            continue
        labels[key] = value
        hub.json("PUT", "/api/v1/nodes/{}/labels".format(node), {"labels": labels})
        done += 1
    print(json.dumps({"labelled": done, "nodes": a.nodes}))


def apply(hub, a):
    # Every run stores new content, so each PUT is a change every node has to receive again.
    stamp = "{:.6f}".format(time.time())
    selector = urllib.parse.quote(a.selector, safe="=,")
    queued = 0
    for i in range(a.count):
        name = "{}-{}".format(a.name, i)
        obj = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": name, "namespace": "default"},
               "data": {"stamp": stamp, "payload": ""}}
        pad = a.bytes - len(json.dumps(obj, separators=(",", ":")))
        obj["data"]["payload"] = "x" * max(0, pad)
        answer = hub.json("PUT", "/api/v1/resources/default/configmap/{}?selector={}".format(name, selector), obj)
        queued += len(answer["nodes"])
    print(json.dumps({"objects": a.count, "object_bytes": a.bytes, "queued": queued}))


def metrics(hub):
    status, data = hub.request("GET", "/metrics")
    if status != 200:
        return None
    values = {}
    for line in data.decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def wait(hub, a):
    out = {"t_connected": None, "t_drained": None, "polls": 0, "first_queue_depth": None, "max_queue_depth": 0}
    deadline = time.time() + a.timeout
    while time.time() < deadline:
        t = time.time()
        try:
            m = metrics(hub)
        except (OSError, http.client.HTTPException):
            m = None
        out["polls"] += 1
        if m is not None:
            sessions = m.get("qedge_cloudhub_sessions", 0)
            depth = m.get("qedge_cloudhub_queue_depth", 0)
            if out["first_queue_depth"] is None:
                out["first_queue_depth"] = depth
            out["max_queue_depth"] = max(out["max_queue_depth"], depth)
            out.update(sessions=sessions, queue_depth=depth, in_flight=m.get("qedge_cloudhub_in_flight", 0))
            if sessions >= a.sessions and out["t_connected"] is None:
                out["t_connected"] = t
            if sessions >= a.sessions and depth <= a.baseline:
                out["t_drained"] = t
                break
        time.sleep(max(0.0, a.interval - (time.time() - t)))
    for key, since in (("ready", a.ready), ("drop", a.drop)):
        if since is None:
            continue
        for what in ("connected", "drained"):
            t = out["t_" + what]
            out["{}_to_{}_s".format(key, what)] = None if t is None else t - since
    print(json.dumps(out))
    return 0 if out["t_drained"] is not None else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--admin-port", type=int, required=True)
    ap.add_argument("--data-dir", required=True)
    sub = ap.add_subparsers(dest="step", required=True)
    p = sub.add_parser("label")
    p.add_argument("--nodes", type=int, required=True)
    p.add_argument("--label", required=True)
    p.add_argument("--prefix", default="sim")
    p = sub.add_parser("apply")
    p.add_argument("--selector", required=True)
    p.add_argument("--count", type=int, default=5)
    p.add_argument("--bytes", type=int, default=1024)
    p.add_argument("--name", required=True)
    p = sub.add_parser("wait")
    p.add_argument("--sessions", type=int, required=True)
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--interval", type=float, default=0.25)
    p.add_argument("--baseline", type=float, default=0,
                   help="queue depth that counts as drained: what nodes outside the fleet had queued before")
    p.add_argument("--ready", type=float, help="epoch time the hub was ready: adds ready_to_*_s")
    p.add_argument("--drop", type=float, help="epoch time the nodes were cut off: adds drop_to_*_s")
    a = ap.parse_args()
    hub = Hub(a.admin_port, a.data_dir)
    try:
        if a.step == "label":
            label(hub, a)
        elif a.step == "apply":
            apply(hub, a)
        else:
            return wait(hub, a)
    except (OSError, RuntimeError, http.client.HTTPException, ValueError, KeyError) as e:
        print("bench_hub {}: {}".format(a.step, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
