"""kvatspi - drive the Kilovend app over AT-SPI as a cashier would.

Small helpers over pyatspi (Debian's /usr/bin/python3 + python3-pyatspi):
find widgets by role and accessible name, read and type text, press
buttons, wait for the screen to change, take screenshots.  GTK 4.8 quirks
handled here: a button's name repeats its label ("Sign In Sign In"), text is
read with getText(0, characterCount), and clicks closer than about 0.3 s
merge.
"""
import os
import subprocess
import time

import pyatspi


class Timeout(AssertionError):
    pass


def wait_until(predicate, timeout=20.0, what="condition"):
    end = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < end:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # the tree changes under our feet
            last_exc = exc
        time.sleep(0.1)
    raise Timeout(f"timed out after {timeout:.0f} s waiting for {what}"
                  + (f" (last error: {last_exc})" if last_exc else ""))


def find_app(name="kilovend", timeout=30.0):
    def look():
        desktop = pyatspi.Registry.getDesktop(0)
        for app in desktop:
            if app is not None and (app.name or "").lower() == name:
                return app
        return None
    return wait_until(look, timeout, f"application {name}")


def _matches(node, role, name):
    try:
        if role is not None and node.getRoleName() != role:
            return False
        # "Sign In Sign In": the accessible label, then the label's text;
        # "_Cancel the Sale": a mnemonic's underline.
        n = (node.name or "").replace("_", "")
        return name is None or n == name or n.startswith(name + " ")
    except Exception:
        return False


def find_all(root, role, name):
    return pyatspi.utils.findAllDescendants(root, lambda n: _matches(n, role, name))


def find(root, role, name, timeout=20.0, index=0, fresh=False):
    def look():
        # fresh: drop the cached tree and read it again (a part of the
        # window that was rebuilt).
        if fresh:
            root.clear_cache()
        found = find_all(root, role, name)
        return found[index] if len(found) > index else None
    try:
        return wait_until(look, timeout, f"{role} '{name}'")
    except Timeout as exc:
        # Say what there is instead: the names of that role.
        seen = sorted({n.name or "" for n in find_all(root, role, None)})
        raise Timeout(f"{exc}; {role or 'widgets'} seen: {seen}") from None


def text(node):
    t = node.queryText()
    return t.getText(0, t.characterCount)


def set_text(node, value):
    node.queryEditableText().setTextContents(value)
    time.sleep(0.1)


def sensitive(node):
    return node.getState().contains(pyatspi.STATE_SENSITIVE)


def click(node):
    node.queryAction().doAction(0)
    time.sleep(0.35)


def wait_text(node, predicate, timeout=20.0, what=None):
    return wait_until(lambda: predicate(text(node)) and text(node), timeout,
                      what or f"text of '{node.name}'")


def screenshot(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    subprocess.run(["import", "-window", "root", path], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
