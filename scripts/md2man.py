#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Writes the manual pages lbd(8), lbctl(8) and xlb.conf(5) from their sections of
README.md, so the pages and the README cannot drift apart.

Usage: scripts/md2man.py [--check] README.md OUTDIR
  writes OUTDIR/lbd.8, OUTDIR/lbctl.8 and OUTDIR/xlb.conf.5 (`make man`, into build/man/);
  with --check, writes nothing and exits 1 naming each page in OUTDIR that differs
  from what README.md gives.

Only the Markdown the README uses is understood: ###/#### headings, paragraphs,
fenced code blocks, pipe tables (each row becomes a .TP item: the first cell is the
tag, the others follow, labelled by their column header), "- " bullets and "1. "
numbered items with indented continuation lines, and inline `code`, **bold**,
*italic* and [links](target). The output is plain man(7) with .EX/.EE, no tbl.
"""
import re
import sys

# page file -> (README heading, .TH title, section, NAME line or None to take the
# section's own "### NAME", SYNOPSIS lines or None, SEE ALSO)
PAGES = {
    "lbd.8": ("## lbd(8)", "LBD", 8, None, None,
              "lbctl(8), xlb.conf(5), systemd.service(5), bpftool(8), ip(8)"),
    "lbctl.8": ("## lbctl(8)", "LBCTL", 8, None, None, "lbd(8), xlb.conf(5), bpftool(8)"),
    "xlb.conf.5": ("## Config and state file format", "XLB.CONF", 5,
                   "xlb.conf \\- configuration and state file format of lbd(8)",
                   ["/etc/xlb/xlb.conf", "/var/lib/xlb/state.conf"], "lbd(8), lbctl(8)"),
}

# column headers whose cell is the item's text, printed without a label
PLAIN_COLUMNS = {"meaning", "what", "effect", "behaviour", "type"}


def version(readme_path):
    agent_h = re.sub(r"README\.md$", "userspace/agent/control/agent.h", readme_path)
    try:
        with open(agent_h, encoding="utf-8") as f:
            m = re.search(r'#define XLB_VERSION "([^"]+)"', f.read())
            if m:
                return m.group(1)
    except OSError:
        pass
    return "unknown"


def esc_text(s):
    """Escape plain text for roff (no inline markup left in it)."""
    s = s.replace("\\", "\\e")
    out = []
    for ch in s:
        if ord(ch) > 127:
            out.append("\\[u%04X]" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def esc_code(s):
    """Literal text: also '-' as \\- so options copy and paste as typed."""
    return esc_text(s).replace("-", "\\-")


INLINE_RE = re.compile(r"`([^`]+)`|\*\*(.+?)\*\*|\*([^*\s][^*]*?)\*|\[([^\]]+)\]\(([^)]+)\)", re.S)


def inline(s):
    """Render one line of Markdown inline markup as roff."""
    out, pos = [], 0
    for m in INLINE_RE.finditer(s):
        out.append(esc_text(s[pos:m.start()]))
        if m.group(1) is not None:
            out.append("\\fB" + esc_code(m.group(1)) + "\\fR")
        elif m.group(2) is not None:
            out.append("\\fB" + inline(m.group(2)) + "\\fR")
        elif m.group(3) is not None:
            out.append("\\fI" + inline(m.group(3)) + "\\fR")
        else:
            out.append(inline(m.group(4)))
        pos = m.end()
    out.append(esc_text(s[pos:]))
    return "".join(out)


def line_out(s):
    """A roff text line: no leading blanks, and never read as a request."""
    s = s.strip()
    if s.startswith(".") or s.startswith("'"):
        s = "\\&" + s
    return s


def lines_out(md_lines):
    """A paragraph's lines: markup may run from one line into the next"""
    text = "\n".join(t.strip() for t in md_lines)
    return [line_out(t) for t in inline(text).split("\n")]


def split_row(line):
    cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [c.strip().replace("\\|", "|") for c in cells]


def section_lines(readme, heading):
    lines, inside = [], False
    for line in readme.splitlines():
        if line.startswith("## "):
            if inside:
                break
            inside = line.strip() == heading
            continue
        if inside:
            lines.append(line)
    if not lines:
        raise SystemExit("md2man: README.md has no section '%s'" % heading)
    return lines


def convert(lines, out):
    """Markdown block structure to roff, appended to out."""
    i, n = 0, len(lines)
    commands_open = False
    while i < n:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if line.startswith("```"):
            i += 1
            out += [".PP", ".in +4n", ".EX"]
            while i < n and not lines[i].startswith("```"):
                code = esc_code(lines[i].rstrip())
                out.append("\\&" + code if code.startswith((".", "'")) else code)
                i += 1
            out += [".EE", ".in"]
            i += 1
            continue
        m = re.match(r"^(#{3,4}) (.*)$", line)
        if m:
            title = m.group(2).strip()
            if m.group(1) == "####":
                out.append(".SS " + inline(title))
            elif title == title.upper():
                out.append(".SH " + esc_text(title))
            else:  # an object or topic of a command: under one COMMANDS section
                if not commands_open:
                    out.append(".SH COMMANDS")
                    commands_open = True
                out.append(".SS " + inline(title))
            i += 1
            continue
        if line.startswith("|"):
            rows = []
            while i < n and lines[i].startswith("|"):
                rows.append(split_row(lines[i]))
                i += 1
            header, body = rows[0], [r for r in rows[1:] if not all(re.fullmatch(r":?-+:?", c) for c in r)]
            for row in body:
                out += [".TP", line_out(inline(row[0]))]
                first = True
                for h, cell in zip(header[1:], row[1:]):
                    if not cell:
                        continue
                    if not first:
                        out.append(".br")
                    first = False
                    if h.lower() in PLAIN_COLUMNS or len(header) == 2:
                        out.append(line_out(inline(cell)))
                    else:
                        out.append(line_out(inline(h[0].upper() + h[1:] + ": " + cell)))
            continue
        m = re.match(r"^(- |\d+\. )(.*)$", line)
        if m:
            marker, text, indent = m.group(1), [m.group(2)], len(m.group(1))
            i += 1
            while i < n and lines[i].startswith(" " * indent) and lines[i].strip():
                text.append(lines[i])
                i += 1
            if marker == "- ":
                out.append(".IP \\(bu 2")
            else:
                out.append(".IP %s 4" % marker.strip())
            out += lines_out(text)
            continue
        para = []
        while i < n and lines[i].strip() and not re.match(r"^(```|#{3,4} |\||- |\d+\. )", lines[i]):
            para.append(lines[i])
            i += 1
        out.append(".PP")
        out += lines_out(para)
    return out


def render(readme, readme_path, page):
    heading, title, sec, name, synopsis, see_also = PAGES[page]
    lines = section_lines(readme, heading)
    out = [
        ".\\\" SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)",
        ".\\\" Generated from README.md (section \"%s\") by scripts/md2man.py:" % heading[3:],
        ".\\\" edit README.md, then run `make man`.",
        '.TH %s %d "" "xlb %s" "%s"' % (title, sec, version(readme_path),
                                       "File Formats" if sec == 5 else "System Administration"),
    ]
    if name is None:
        # "### NAME" then "`lbd` - text": the NAME line man-db's whatis reads
        k = lines.index("### NAME")
        j = k + 1
        while not lines[j].strip():
            j += 1
        m = re.match(r"^`([^`]+)` - (.*)$", lines[j])
        if not m:
            raise SystemExit("md2man: %s: NAME must read '`cmd` - text'" % page)
        out += [".SH NAME", "%s \\- %s" % (esc_code(m.group(1)), esc_text(m.group(2).replace("`", "")))]
        del lines[k:j + 1]
    else:
        out += [".SH NAME", name]
    if synopsis:
        out += [".SH SYNOPSIS"] + [".B " + esc_code(s) + ("\n.br" if s != synopsis[-1] else "")
                                    for s in synopsis]
        out.append(".SH DESCRIPTION")
    convert(lines, out)
    out += [".SH SEE ALSO", esc_text(see_also)]
    return "\n".join(out) + "\n"


def main(argv):
    check = False
    if argv and argv[0] == "--check":
        check, argv = True, argv[1:]
    if len(argv) != 2:
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    readme_path, outdir = argv
    with open(readme_path, encoding="utf-8") as f:
        readme = f.read()
    stale = []
    for page in PAGES:
        text = render(readme, readme_path, page)
        path = "%s/%s" % (outdir, page)
        if check:
            try:
                with open(path, encoding="utf-8") as f:
                    if f.read() != text:
                        stale.append(path)
            except OSError:
                stale.append(path)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    for path in stale:
        print("md2man: %s is not what README.md gives: run `make man`" % path)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
