"""Log a person in through the real login form and keep what a browser would: the session
cookie and the CSRF token of the page, for the htmx form posts of the load runs."""
from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass

CSRF_PATTERN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True, slots=True)
class BrowserSession:
    username: str
    cookie_header: str
    csrf_token: str


def log_in(base_url: str, username: str, password: str, page_path: str) -> BrowserSession:
    """Post the login form, then open ``page_path`` to read its CSRF token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = _read(opener, base_url + "/login")
    form = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrf_token": _csrf(login_page)}).encode()
    after_login = _read(opener, base_url + "/login", form)
    if 'name="password"' in after_login:
        raise RuntimeError(f"logging in as {username} failed")
    page = _read(opener, base_url + page_path)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return BrowserSession(username, cookie, _csrf(page))


def _read(opener: urllib.request.OpenerDirector, url: str, data: bytes | None = None) -> str:
    with opener.open(url, data=data, timeout=30) as response:
        return str(response.read().decode("utf-8"))


def _csrf(html: str) -> str:
    match = CSRF_PATTERN.search(html)
    if match is None:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)
