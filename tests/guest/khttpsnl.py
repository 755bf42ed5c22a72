# SPDX-License-Identifier: GPL-2.0
"""khttps's generic netlink family from Python, for the guest tests.

Commands, attributes and counters are numbered as include/uapi/linux/khttps.h
numbers them (read from it, so nothing here goes stale); counters are named
by their enum name, lower case, without KHTTPS_STAT_ ("hs_ok", "bad_records").
Runs as root, in the caller's network namespace.
"""
import os
import re
import socket
import struct

HEADER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "../../include/uapi/linux/khttps.h")
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
CTRL_ATTR_MCAST_GROUPS, CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_MCAST_GRP_ID = 7, 1, 2


def _enum(text, name, prefix):
    """{NAME: value} of the C enum @name, for members starting with @prefix."""
    body = re.search(r"enum %s \{(.*?)\};" % name, text, re.S).group(1)
    out, value = {}, -1
    for member in re.findall(r"^\s*(\w+)(?:\s*=\s*(\w+))?,", body, re.M):
        value = int(member[1], 0) if member[1] else value + 1
        if member[0].startswith(prefix):
            out[member[0][len(prefix):]] = value
    return out


with open(HEADER) as _f:
    _TEXT = _f.read()
CMD = _enum(_TEXT, "khttps_cmd", "KHTTPS_CMD_")
ATTR = _enum(_TEXT, "khttps_attr", "KHTTPS_A_")
STAT_NAMES = {v: k.lower() for k, v in _enum(_TEXT, "khttps_stat", "KHTTPS_STAT_").items()}


def attrs(data):
    """[(type, payload)] of the netlink attributes in @data."""
    out, off = [], 0
    while off + 4 <= len(data):
        ln, typ = struct.unpack_from("=HH", data, off)
        if ln < 4:
            break
        out.append((typ & 0x3fff, data[off + 4:off + ln]))
        off += (ln + 3) & ~3
    return out


class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)  # NETLINK_GENERIC
        self.seq = 0
        name = b"khttps\x00"
        attr = struct.pack("=HH", 4 + len(name), CTRL_ATTR_FAMILY_NAME) + name
        attr += bytes(-len(attr) % 4)
        reply = self.messages(self.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0, attr))
        self.family, self.groups = None, {}
        for typ, payload in attrs(reply[0][20:]) if reply else ():
            if typ == CTRL_ATTR_FAMILY_ID:
                self.family = struct.unpack("=H", payload[:2])[0]
            elif typ == CTRL_ATTR_MCAST_GROUPS:
                for _, grp in attrs(payload):
                    a = dict(attrs(grp))
                    name = a.get(CTRL_ATTR_MCAST_GRP_NAME, b"").rstrip(b"\0").decode()
                    if CTRL_ATTR_MCAST_GRP_ID in a:
                        self.groups[name] = struct.unpack("=I", a[CTRL_ATTR_MCAST_GRP_ID])[0]
        if self.family is None:
            raise RuntimeError("no khttps family (module not loaded?)")

    def request(self, family, cmd, flags, payload=b""):
        """Send one request; return every reply byte, raw, up to its end."""
        self.seq += 1
        body = struct.pack("=BBH", cmd, 1, 0) + payload
        self.sock.send(struct.pack("=IHHII", 16 + len(body), family, NLM_F_REQUEST | flags,
                                   self.seq, 0) + body)
        got = b""
        while True:
            data = self.sock.recv(1 << 20)
            got += data
            for msg in self.messages(data):
                typ = struct.unpack_from("=H", msg, 4)[0]
                if typ in (NLMSG_ERROR, NLMSG_DONE) or not flags & NLM_F_DUMP:
                    return got

    @staticmethod
    def messages(data):
        out, off = [], 0
        while off + 16 <= len(data):
            ln = struct.unpack_from("=I", data, off)[0]
            out.append(data[off:off + ln])
            off += (ln + 3) & ~3
        return out

    def command(self, name, dump=False):
        return self.request(self.family, CMD[name], NLM_F_DUMP if dump else 0)

    def hs_accept(self, payload=b""):
        """One HS_ACCEPT, as a worker sends it: (errno or 0, {attr: payload})."""
        for msg in self.messages(self.request(self.family, CMD["HS_ACCEPT"], 0, payload)):
            if struct.unpack_from("=H", msg, 4)[0] == NLMSG_ERROR:
                err = struct.unpack_from("=i", msg, 16)[0]
                if err:
                    return -err, {}
                continue
            return 0, dict(attrs(msg[20:]))
        return 0, {}

    def stats(self):
        """The namespace's counters: {name: value}."""
        out = {}
        for msg in self.messages(self.command("STATS_GET")):
            for typ, payload in attrs(msg[20:]):
                if typ != ATTR["STATS"]:
                    continue
                for st, val in attrs(payload):
                    if len(val) == 8 and st in STAT_NAMES:
                        out[STAT_NAMES[st]] = struct.unpack("=Q", val)[0]
        if "active" not in out:
            raise RuntimeError("no counters in the STATS_GET reply")
        return out
