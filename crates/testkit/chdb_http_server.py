"""ClickHouse's HTTP interface in front of chDB (the ClickHouse engine in-process, PyPI `chdb`), for tests.

Started by `crates/testkit/src/clickhouse.rs` on a free loopback port. It implements what ClickHouse clients
send over HTTP (the official Rust `clickhouse` crate in particular):

* `GET /ping` and `GET /` without a query answer `Ok.`;
* the query in the URL's `query` parameter and/or the POST body (joined by a newline), or a multipart body with
  a `query` field and `param_*` fields; `INSERT … FORMAT X` followed by data is a streaming insert;
* `database` (the current database for this query), `default_format` (the output format unless the query has a
  `FORMAT` clause; TabSeparated otherwise), `param_<name>` (server-side `{name:Type}` parameters), and any
  other parameter as a setting for this query only (`SET`, then back to `DEFAULT`);
* credentials in `X-ClickHouse-User`/`X-ClickHouse-Key`, HTTP Basic, or `user`/`password` parameters, checked
  when the server was started with `--password`;
* GET runs read-only queries only (ClickHouse's `readonly=2` for GET);
* errors as ClickHouse sends them: `Code: N. DB::Exception: … (version …)`, the `X-ClickHouse-Exception-Code`
  header and the HTTP status ClickHouse uses for that code.

`--schema FILE` runs an SQL file statement by statement and `--load TABLE=FILE` inserts a JSONEachRow file
before the port is written to `--port-file` (the sign it is ready). One chDB session serves every request, one
request at a time.
"""

import argparse
import base64
import email.parser
import email.policy
import http.server
import json
import os
import re
import threading
import urllib.parse

from chdb import session as chdb_session

LOCK = threading.RLock()
SESSION = None
VERSION = "unknown"
USER = "default"
PASSWORD = None

# Parameters that are not settings.
NOT_SETTINGS = {"query", "database", "default_format", "user", "password", "query_id", "session_id",
                "session_timeout", "session_check", "compress", "decompress", "role"}
# ClickHouse's HTTP status per exception code (HTTPHandler's exceptionCodeToHTTPStatus, the common ones).
STATUS = {516: 401, 192: 401, 193: 401, 194: 401, 497: 403, 164: 403,
          60: 404, 81: 404, 46: 404, 47: 404, 50: 404, 48: 501, 202: 413}
BAD_REQUEST = {6, 26, 27, 32, 33, 36, 38, 41, 42, 43, 44, 53, 62, 69, 70, 72, 115, 130, 131, 190, 386, 456, 457}
READ_ONLY_STATEMENTS = ("SELECT", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN", "WITH", "CHECK")
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
FORMAT_CLAUSE = re.compile(r"\bFORMAT\s+([A-Za-z0-9_]+)\s*;?\s*$", re.IGNORECASE)
INSERT_WITH_DATA = re.compile(r"^\s*(INSERT\s+INTO\s+.+?)\s+FORMAT\s+([A-Za-z0-9_]+)[ \t]*\r?\n?(.*)$",
                              re.IGNORECASE | re.DOTALL)


class Failure(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def failure_from(exc):
    text = str(exc).strip()
    m = re.search(r"Code: (\d+)\.", text)
    return Failure(int(m.group(1)) if m else 1002, text if m else f"Code: 1002. DB::Exception: {text}")


def quote_string(value):
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_ident(value):
    return "`" + value.replace("\\", "\\\\").replace("`", "\\`") + "`"


def content_type(fmt):
    f = fmt.lower()
    if f.startswith("rowbinary") or f in ("native", "parquet", "arrow", "arrowstream"):
        return "application/octet-stream"
    if f.startswith("json"):
        return "application/json; charset=UTF-8"
    if f.startswith("csv"):
        return "text/csv; charset=UTF-8; header=absent"
    return "text/tab-separated-values; charset=UTF-8"


def execute(sql, fmt, database, settings, params, read_only):
    """Runs one request's query; returns (body bytes, format, summary)."""
    statement = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    if read_only and statement not in READ_ONLY_STATEMENTS:
        raise Failure(164, "Code: 164. DB::Exception: Cannot execute query in readonly mode: "
                           "a GET request runs read-only queries only; use POST. (READONLY)")
    explicit = FORMAT_CLAUSE.search(sql)
    out_fmt = explicit.group(1) if explicit else fmt
    with LOCK:
        applied = []
        try:
            SESSION.query("USE " + quote_ident(database or "default"))
            for name, value in settings.items():
                if not IDENT.match(name):
                    raise Failure(115, f"Code: 115. DB::Exception: Unknown setting '{name}'. (UNKNOWN_SETTING)")
                SESSION.query(f"SET {name} = {quote_string(value)}")
                applied.append(name)
            insert = INSERT_WITH_DATA.match(sql)
            if insert:
                with SESSION.send_insert(insert.group(1), insert.group(2)) as ins:
                    ins.append(insert.group(3))
                    done = ins.finish()
                written = getattr(done, "rows_written", 0)
                return b"", out_fmt, {"written_rows": str(written() if callable(written) else written)}
            result = SESSION.query(sql, out_fmt, params=params or None)
            body = result.bytes() if hasattr(result, "bytes") else bytes(str(result), "utf-8")
            rows = result.rows_read() if callable(getattr(result, "rows_read", None)) else 0
            return body, out_fmt, {"read_rows": str(rows)}
        except Failure:
            raise
        except Exception as exc:  # chDB raises ChdbError / RuntimeError with ClickHouse's own text
            raise failure_from(exc) from exc
        finally:
            for name in applied:
                try:
                    SESSION.query(f"SET {name} = DEFAULT")
                except Exception:  # noqa: BLE001 - best effort: the next SET overrides it anyway
                    pass
            try:
                SESSION.query("USE default")
            except Exception:  # noqa: BLE001
                pass


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "chdb-http-test-server"

    def log_message(self, fmt, *args):  # quiet: the test reads errors from the answers
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def answer(self, status, body, ctype="text/plain; charset=UTF-8", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-ClickHouse-Server-Display-Name", "chdb-http-test-server")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def fail(self, err):
        text = err.args[0] if err.args else str(err)
        if "(version " not in text:
            text = f"{text} (version {VERSION})"
        status = STATUS.get(err.code, 400 if err.code in BAD_REQUEST else 500)
        self.answer(status, (text + "\n").encode(), headers={"X-ClickHouse-Exception-Code": str(err.code)})

    def credentials(self, params):
        user = self.headers.get("X-ClickHouse-User") or params.get("user")
        key = self.headers.get("X-ClickHouse-Key") or params.get("password")
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            raw = base64.b64decode(auth[6:].strip()).decode("utf-8", "replace")
            user, _, key = raw.partition(":")
        return user or "default", key or ""

    def handle_any(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/ping":
            return self.answer(200, b"Ok.\n")
        if url.path not in ("", "/"):
            return self.answer(404, f"There is no handle {url.path}\n\nUse / or /ping for health checks.\n".encode())
        params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        body = self.read_body() if self.command == "POST" else b""
        ctype = self.headers.get("Content-Type", "")
        if ctype.lower().startswith("multipart/form-data"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if name:
                    params[name] = part.get_payload(decode=True).decode("utf-8")
            body = b""
        user, key = self.credentials(params)
        if PASSWORD is not None and (user != USER or key != PASSWORD):
            return self.fail(Failure(516, f"Code: 516. DB::Exception: {user}: Authentication failed: password is "
                                          "incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)"))
        sql = "\n".join(p for p in (params.get("query", ""), body.decode("utf-8")) if p)
        if not sql.strip():
            if self.command in ("GET", "HEAD"):
                return self.answer(200, b"Ok.\n")
            return self.fail(Failure(62, "Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)"))
        query_params = {k[6:]: v for k, v in params.items() if k.startswith("param_")}
        settings = {k: v for k, v in params.items() if k not in NOT_SETTINGS and not k.startswith("param_")}
        try:
            out, fmt, summary = execute(sql, params.get("default_format") or "TabSeparated",
                                        params.get("database"), settings, query_params,
                                        read_only=self.command != "POST")
        except Failure as err:
            return self.fail(err)
        self.answer(200, out, content_type(fmt),
                    {"X-ClickHouse-Format": fmt, "X-ClickHouse-Summary": json.dumps(summary)})

    do_GET = do_POST = do_HEAD = handle_any


def run_sql_file(path):
    """Runs a file of `;`-separated statements (`--` comments dropped), as clickhouse-client --multiquery."""
    text = open(path, encoding="utf-8").read()
    lines = [line.split("--", 1)[0] for line in text.splitlines()]
    for statement in " ".join(lines).split(";"):
        if statement.strip():
            SESSION.query(statement)


def main():
    global SESSION, VERSION, USER, PASSWORD
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--schema", action="append", default=[])
    parser.add_argument("--load", action="append", default=[], metavar="TABLE=FILE")
    parser.add_argument("--user", default="default")
    parser.add_argument("--password")
    args = parser.parse_args()
    USER, PASSWORD = args.user, args.password
    SESSION = chdb_session.Session(args.data_dir)
    VERSION = SESSION.query("SELECT version()", "TabSeparated").bytes().decode().strip()
    for path in args.schema:
        run_sql_file(path)
    for spec in args.load:
        table, _, path = spec.partition("=")
        with SESSION.send_insert(f"INSERT INTO {table}", "JSONEachRow") as ins:
            ins.append(open(path, encoding="utf-8").read())
            ins.finish()
    SESSION.query("USE default")
    server = http.server.ThreadingHTTPServer((args.host, 0), Handler)
    server.daemon_threads = True
    with open(args.port_file + ".tmp", "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    os.replace(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
