"""Filler that surrounds (or replaces) leaked rows: prose, web pages, code, logs, configs.

Re-posts sit inside noisy documents, and most of what a monitor reads is not a re-post at
all. The generators here give both: plausible text of many shapes, cheap enough to make
tens of megabytes for a throughput run. No generator here ever emits a synthetic
detainee's name; everything is built from common English words and invented identifiers.
"""
from __future__ import annotations

import html
import random

# Word lists are written as prose (easier to read and extend than list literals).
_WORDS = """the of and to in a is that for it as was with be by on not he this are or his from at which but
have an they you were her she there been one all we their has would when if so no will more about up out
who them some could what its into time only two may like then other than these over any new also after
first most made did many before must through back years where much your way well down should because
each just those people how too little state good very make world still own see men work long get here
between both life being under never day same another know while last might us great old year off come
since against go came right used take three states himself few house use during without again place
around however home small found thought went say part once general high upon school every does got
united left number course war until always away something fact though water less public put think
almost hand enough far took head yet government system better set told nothing night end why called
didn't eyes find going look asked later knew point next program city business give group toward young
days let room president side social given present several order national possible rather second face
per among form important often things looking early white case john become large big need four within
felt along children saw best church ever least power development light thing seemed family interest
want members mind country area others done turned although open god service certain kind problem began
different door thus help sense means whole matter perhaps itself york times law human line above name
example action company hands local show whether five history gave today either act feet across taken
past quite anything seen having death week experience body word half really field am car words already
themselves information tell together college shall money period held keep sure probably free seems
real behind cannot miss political air question making office brought whose special heard major
problems ago became federal moment study available known result street economic boy position reason
change south board individual job society areas west close turn love community true court force full
committee meeting budget report quarterly minutes review approved session members agenda motion vote
project release version update server client database request response value default feature issue
bug commit branch merge test build deploy config user account password token session cache queue
recipe garden weather football season league match player coach score ticket travel hotel flight
museum concert festival market price product shipping order customer review rating discount""".split()  # noqa: SIM905

_SPANISH = """el la de que y en los se del las por un para con no una su al es lo como más pero sus le ya o
este sí porque esta entre cuando muy sin sobre también me hasta hay donde quien desde todo nos durante
todos uno les ni contra otros ese eso ante ellos e esto mí antes algunos qué unos yo otro otras otra él
tanto esa estos mucho quienes nada muchos cual poco ella estar estas algunas algo nosotros comunidad
reunión informe ciudad gobierno trabajo familia escuela mercado precio noticias""".split()  # noqa: SIM905

_TLDS = ("com", "org", "net", "io", "dev", "info")
_HOSTS = ("example", "acme", "globex", "initech", "umbrella", "hooli", "piedpiper", "vandelay", "wayne")


class Filler:
    """Random text of several registers, deterministic for its ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def words(self, n: int, spanish: bool = False) -> list[str]:
        return self.rng.choices(_SPANISH if spanish else _WORDS, k=n)

    def sentence(self, lo: int = 6, hi: int = 22, spanish: bool = False) -> str:
        words = self.words(self.rng.randint(lo, hi), spanish)
        words[0] = words[0].capitalize()
        if len(words) > 8 and self.rng.random() < 0.4:
            words[len(words) // 2] += ","
        return " ".join(words) + self.rng.choice(".....?!")

    def paragraph(self, sentences: int | None = None, spanish: bool = False) -> str:
        n = sentences or self.rng.randint(2, 7)
        return " ".join(self.sentence(spanish=spanish) for _ in range(n))

    def title(self) -> str:
        return " ".join(w.capitalize() for w in self.words(self.rng.randint(2, 6)))

    def host(self) -> str:
        return f"{self.rng.choice(_HOSTS)}.{self.rng.choice(_TLDS)}"

    def ip(self) -> str:
        r = self.rng
        return f"{r.choice([10, 172, 192, 203, 198])}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"


def html_page(rng: random.Random, title: str, body: str, filler: Filler | None = None) -> str:
    """``body`` inside a whole web page: head with script and style, navigation, prose, footer."""
    f = filler or Filler(rng)
    esc = html.escape
    nav = "".join(f'<li><a href="/{w}/{i}">{esc(w.capitalize())}</a></li>'
                  for i, w in enumerate(f.words(rng.randint(3, 9))))
    before = "".join(f"<p>{esc(f.paragraph())}</p>" for _ in range(rng.randint(0, 3)))
    after = "".join(f"<p>{esc(f.paragraph())}</p>" for _ in range(rng.randint(0, 3)))
    shape = rng.randrange(3)
    script = f"<script>window.dataLayer=window.dataLayer||[];var cfg={{id:{rng.randrange(10**6)}}};</script>"
    style = "<style>body{font-family:sans-serif}td,th{padding:2px 6px}.c0{color:#333}</style>"
    head = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{esc(title)}</title>"
            f"{style}{script}</head>")
    if shape == 0:  # blog
        main = (f"<header><nav><ul>{nav}</ul></nav></header><main><article><h1>{esc(title)}</h1>"
                f"<p class=\"meta\">Posted by {esc(f.words(1)[0])}</p>{before}{body}{after}</article></main>")
    elif shape == 1:  # forum thread
        main = (f"<div id=\"top\"><ul class=\"menu\">{nav}</ul></div><div class=\"thread\"><h2>{esc(title)}"
                f"</h2><div class=\"post\"><div class=\"author\">user{rng.randrange(10**5)}</div>"
                f"<div class=\"content\">{before}{body}</div></div><div class=\"post\">{after}</div></div>")
    else:  # paste/mirror site
        main = (f"<div class=\"bar\"><a href=\"/\">{esc(f.host())}</a> | <a href=\"/raw\">raw</a></div>"
                f"<h1>{esc(title)}</h1>{before}<div class=\"paste\">{body}</div>{after}")
    footer = f"<footer><p>&copy; {rng.randint(2015, 2024)} {esc(f.host())}</p></footer>"
    return f"{head}<body>{main}{footer}</body></html>\n"


def python_code(rng: random.Random, lines: int) -> str:
    """A Python-looking paste: imports, functions, classes and dict literals."""
    f = Filler(rng)
    out = [f"import {m}" for m in rng.sample(["os", "sys", "json", "re", "time", "logging", "typing",
                                               "pathlib", "itertools", "collections"], 3)]
    while len(out) < lines:
        name = "_".join(f.words(2)).replace("'", "")
        args = ", ".join(w.replace("'", "") for w in f.words(rng.randint(0, 3)))
        shape = rng.randrange(3)
        if shape == 0:
            out += [f"def {name}({args}):", f'    """{f.sentence(4, 10)}"""',
                    f"    result = {rng.randrange(1000)}", "    for i in range(len(items)):",
                    f"        result += items[i] * {rng.randrange(1, 9)}", "    return result", ""]
        elif shape == 1:
            out += [f"class {name.title().replace('_', '')}:", f"    limit = {rng.randrange(10, 5000)}",
                    f"    def __init__(self, {args or 'value'}):",
                    f"        self.value = {rng.choice(['None', '0', '[]', 'dict()'])}", ""]
        else:
            out.append(f"{name.upper()} = {{")
            out += [f'    "{w}": {rng.randrange(100000)},' for w in f.words(rng.randint(2, 6))]
            out += ["}", ""]
    return "\n".join(out[:lines]) + "\n"


def log_text(rng: random.Random, lines: int) -> str:
    """A server log paste: access-log lines and application log lines with levels and IDs."""
    f = Filler(rng)
    out = []
    t = rng.randrange(10**6)
    for _ in range(lines):
        t += rng.randint(1, 90)
        stamp = (f"2023-{1 + t // 2_600_000 % 12:02d}-{1 + t // 86400 % 28:02d}"
                 f"T{t // 3600 % 24:02d}:{t // 60 % 60:02d}:{t % 60:02d}Z")
        if rng.random() < 0.5:
            path = "/".join(f.words(rng.randint(1, 3)))
            out.append(f'{f.ip()} - - [{stamp}] "GET /{path}?id={rng.randrange(10**5)} HTTP/1.1" '
                       f'{rng.choice([200, 200, 200, 304, 404, 500])} {rng.randrange(100, 90000)}')
        else:
            level = rng.choice(["INFO", "INFO", "DEBUG", "WARN", "ERROR"])
            out.append(f"{stamp} {level} [{rng.choice(['worker', 'api', 'sched'])}-{rng.randrange(16)}] "
                       f"req={rng.getrandbits(48):012x} {f.sentence(4, 12)}")
    return "\n".join(out) + "\n"


def config_text(rng: random.Random, lines: int) -> str:
    """An INI, YAML or dotenv configuration paste."""
    f = Filler(rng)
    shape = rng.randrange(3)
    out: list[str] = []
    while len(out) < lines:
        key = "_".join(f.words(2)).replace("'", "")
        value = rng.choice([str(rng.randrange(10**5)), f.host(), "true", "false", f.ip(),
                            f"/var/lib/{f.words(1)[0]}"])
        if shape == 0:
            if rng.random() < 0.15:
                out.append(f"[{f.words(1)[0]}]")
            out.append(f"{key} = {value}")
        elif shape == 1:
            out.append(f"{f.words(1)[0]}:" if rng.random() < 0.15 else f"  {key}: {value}")
        else:
            out.append(f"{key.upper()}={value}")
    return "\n".join(out[:lines]) + "\n"
