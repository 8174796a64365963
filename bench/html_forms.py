"""The forms of an HTML page, as a browser sees them: action, fields and submit buttons."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    """One ``<form>``: where it posts, its named fields with their values, its buttons."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # (label, name, value)

    def has_field(self, name: str) -> bool:
        """Whether the form carries an input named ``name``."""
        return name in self.fields

    def submission(self, button_label: str | None = None, **values: str) -> dict[str, str]:
        """The data a browser sends: the fields, ``values`` typed in, the pressed button."""
        data = {**self.fields, **values}
        for label, name, value in self.buttons:
            if name and (button_label is None or label == button_label):
                data[name] = value
                break
        return data


class _FormCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._button: list[str] | None = None
        self._button_attrs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append(Form(named.get("action", ""), named.get("method", "get").lower()))
        elif not self.forms:
            return
        elif tag == "input" and named.get("name"):
            kind = named.get("type", "text").lower()
            if kind == "submit":
                self.forms[-1].buttons.append(
                    (named.get("value", ""), named["name"], named.get("value", ""))
                )
            elif kind not in ("checkbox", "radio") or "checked" in named:
                self.forms[-1].fields[named["name"]] = named.get("value", "")
        elif tag == "button" and named.get("type", "submit").lower() == "submit":
            self._button, self._button_attrs = [], named

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._button is not None and self.forms:
            label = " ".join("".join(self._button).split())
            attrs = self._button_attrs
            self.forms[-1].buttons.append((label, attrs.get("name", ""), attrs.get("value", "")))
            self._button = None


def forms_of(html: str) -> list[Form]:
    """Every form on the page, in document order."""
    collector = _FormCollector()
    collector.feed(html)
    collector.close()
    return collector.forms
