"""One exchange with the real site: the request a case describes sent over HTTP, and the
record written for it in the transcripts' format (../shared/moodle-transcripts/README.md),
with tokens and private access keys redacted as the existing recordings redact them.
Uploaded files are made as the replay makes them (`file_content`), so a replay sends the
same bytes the real site received.
"""

import base64
import http.client
import json
import time
import urllib.parse
import uuid

# Headers of the answer that are the connection's, not Moodle's (the existing recordings drop them).
DROPPED_HEADERS = {"date", "server", "connection", "transfer-encoding", "keep-alive", "set-cookie"}
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")


def file_content(filename, size):
    """An uploaded file's bytes: its name and a space, repeated, cut to `size` (as the replay)."""
    unit = (filename + " ").encode()
    return (unit * (size // len(unit) + 1))[:size]


def multipart(fields, files):
    """A multipart/form-data body and its content type."""
    boundary = "----record-moodle-" + uuid.uuid4().hex
    out = bytearray()
    for name, value in fields:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                f"{value}\r\n").encode()
    for f in files:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{f['field']}\"; "
                f"filename=\"{f['filename']}\"\r\n"
                f"Content-Type: {f.get('content_type', 'application/octet-stream')}\r\n\r\n").encode()
        out += file_content(f["filename"], f["size"]) + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


class Redactor:
    """Replaces secrets by the recordings' placeholders."""

    def __init__(self, tokens):
        self.secrets = {t: "<TOKEN>" for t in tokens.values()}

    def text(self, s):
        for secret, placeholder in self.secrets.items():
            s = s.replace(secret, placeholder)
        return s

    def body(self, path, text, content_type):
        """The answer's text with tokens (login/token.php answers, known tokens) and private
        access keys redacted; JSON keeps Moodle's own encoding."""
        if path == "/login/token.php" and text.startswith("{"):
            try:
                doc = json.loads(text)
            except ValueError:
                doc = None
            if isinstance(doc, dict):
                for key in ("token", "privatetoken"):
                    if isinstance(doc.get(key), str):
                        self.secrets[doc[key]] = "<TOKEN>"
        for key in _private_keys(text, content_type):
            self.secrets[key] = "<PRIVATEACCESSKEY>"
        out = self.text(text)
        if "xml" in content_type:
            out = out.replace("<PRIVATEACCESSKEY>", "&lt;PRIVATEACCESSKEY&gt;")
        return out


def _private_keys(text, content_type):
    """`userprivateaccesskey` values of core_webservice_get_site_info answers."""
    keys = []
    if "json" in content_type and '"userprivateaccesskey"' in text:
        try:
            doc = json.loads(text)
            if isinstance(doc, dict) and isinstance(doc.get("userprivateaccesskey"), str):
                keys.append(doc["userprivateaccesskey"])
        except ValueError:
            pass
    marker = '<KEY name="userprivateaccesskey"><VALUE>'
    if marker in text:
        keys.append(text.split(marker, 1)[1].split("</VALUE>", 1)[0])
    return [k for k in keys if k]


class Client:
    """Sends the requests of cases to one site."""

    def __init__(self, url):
        parsed = urllib.parse.urlsplit(url)
        self.host = parsed.hostname
        self.port = parsed.port or 80

    def send(self, method, path, query, fields, files, headers):
        """One request; returns (status, headers, body bytes, elapsed ms)."""
        target = path
        if query:
            target += "?" + urllib.parse.urlencode(list(query.items()))
        body = None
        headers = dict(headers)
        if files:
            body, ctype = multipart(list(fields.items()), files)
            headers["Content-Type"] = ctype
        elif fields:
            body = urllib.parse.urlencode(list(fields.items())).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        start = time.monotonic()
        conn.request(method, target, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        elapsed = round((time.monotonic() - start) * 1000, 1)
        answer = (resp.status, resp.getheaders(), data, elapsed)
        conn.close()
        return answer


def record_of(case, seq, sent, answer, redactor):
    """The JSONL record of one exchange."""
    status, headers, data, elapsed = answer
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    kept = {k: redactor.text(v) for k, v in headers
            if k.lower() not in DROPPED_HEADERS and k.lower() != "content-type"}
    textual = content_type.startswith(TEXT_TYPES) or content_type == "" or "json" in content_type
    try:
        text = data.decode("utf-8") if textual else None
    except UnicodeDecodeError:
        text = None
    if text is None:
        body, encoding = base64.b64encode(data).decode(), "base64"
    else:
        body, encoding = redactor.body(sent["path"], text, content_type), "utf-8"
    rec = {
        "seq": seq,
        "case": case["name"],
        "function": case.get("function") if "path" not in case else None,
        "method": sent["method"],
        "path": sent["path"],
        "query": {k: redactor.text(v) for k, v in sent["query"].items()},
        "params": {k: redactor.text(v) for k, v in sent["fields"].items()},
    }
    if sent["files"]:
        rec["files"] = [{k: f[k] for k in ("field", "filename", "size", "content_type") if k in f}
                        for f in sent["files"]]
    if sent["headers"]:
        rec["request_headers"] = dict(sent["headers"])
    rec.update({
        "token_role": case["role"],
        "status": status,
        "content_type": content_type,
        "response_headers": kept,
        "body": body,
        "body_encoding": encoding,
        "body_length": len(data),
        "elapsed_ms": elapsed,
    })
    if case.get("note"):
        rec["note"] = case["note"]
    return rec
