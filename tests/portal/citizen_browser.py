"""A citizen's browser over real HTTP (``requests.Session``): follows redirects one hop at a
time, reads links and forms from the pages and submits them as a browser would."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import requests


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str | None, str | None, str]] = field(default_factory=list)


class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self.links: list[tuple[str, str]] = []
        self._link: str | None = None
        self._button: tuple[str | None, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(Form(a.get("action") or "", (a.get("method") or "get").lower()))
        elif tag == "input" and self.forms and a.get("name"):
            if a.get("type") in ("radio", "checkbox") and "checked" not in a:
                return
            self.forms[-1].fields.setdefault(a["name"], a.get("value") or "")
        elif tag == "button" and self.forms:
            self._button, self._text = (a.get("name"), a.get("value")), []
        elif tag == "a" and a.get("href"):
            self._link, self._text = a["href"], []

    def handle_data(self, data):
        self._text.append(data)

    def handle_endtag(self, tag):
        text = " ".join("".join(self._text).split())
        if tag == "button" and self._button is not None:
            self.forms[-1].buttons.append((*self._button, text))
            self._button = None
        elif tag == "a" and self._link is not None:
            self.links.append((text, self._link))
            self._link = None


def parse_page(html: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(html)
    return parser


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


class CitizenBrowser:
    """One browser: a cookie jar shared by every site on 127.0.0.1, like a real one."""

    def __init__(self):
        self.http = requests.Session()
        self.visited: list[str] = []
        # A test may tamper with redirects as an attacker in the middle would.
        self.rewrite_location: Callable[[str], str] = lambda location: location

    def get(self, url: str) -> requests.Response:
        return self.browse(self.http.get(url, allow_redirects=False, timeout=15))

    def browse(self, response: requests.Response) -> requests.Response:
        """Follow redirects hop by hop (each URL noted in ``visited``)."""
        self.visited.append(response.url)
        while response.status_code in (301, 302, 303, 307):
            target = self.rewrite_location(urljoin(response.url, response.headers["Location"]))
            response = self.http.get(target, allow_redirects=False, timeout=15)
            self.visited.append(response.url)
        return response

    def click(self, page: requests.Response, label: str) -> requests.Response:
        """Follow the link whose text is ``label``."""
        links = dict(parse_page(page.text).links)
        assert label in links, f"no link {label!r} on {page.url}: {sorted(links)}"
        return self.get(urljoin(page.url, links[label]))

    def submit(
        self, page: requests.Response, data: dict | None = None, button: str | None = None
    ) -> requests.Response:
        """Submit the form holding ``button`` (by its text), or the page's first form."""
        forms = parse_page(page.text).forms
        assert forms, f"no form on {page.url}"
        form, pressed = forms[0], None
        if button is not None:
            matches = [(f, b) for f in forms for b in f.buttons if b[2] == button]
            assert matches, f"no button {button!r} on {page.url}"
            form, pressed = matches[0]
        fields = dict(form.fields)
        if pressed and pressed[0]:
            fields[pressed[0]] = pressed[1] or ""
        fields.update(data or {})
        url = urljoin(page.url, form.action or page.url)
        response = self.http.post(url, data=fields, allow_redirects=False, timeout=15)
        return self.browse(response)
