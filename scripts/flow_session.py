#!/usr/bin/env python3
"""Signs people in and has each consent once, through the provider's real pages, for
scripts/bench_flow.sh (issue 14): afterwards each one's session cookie makes the
authorization endpoint answer a redirect carrying a code directly (remembered consent).

    flow_session.py <authorize URL> <redirect_uri> <password> <username>...

The authorize URL is the one the benchmark sends (PKCE S256, state, nonce). For each
username, in a browser of its own (a cookie jar), the script follows redirects by
hand and fills in whatever form a page shows -- a sign-in form (Portcullis:
`username`/`password` with its CSRF field; oidc-provider's dev interactions:
`login`/`password`), then a consent form (its Allow / Continue button) -- until the
browser would be sent to `redirect_uri` with a code. Then it asks the authorization
endpoint once more with the same cookies and checks that the answer is a redirect
with a code straight away. Prints each person's Cookie header value for the
authorization endpoint, one line each, on stdout; the rest goes to stderr. Standard
library only.
"""
import html.parser
import http.cookiejar
import sys
import urllib.error
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are followed by hand: the last one goes to the app, which is not listening."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Forms(html.parser.HTMLParser):
    """The page's forms: action, method, fields (hidden and text), submit buttons."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "method": (a.get("method") or "get").lower(),
                               "fields": {}, "buttons": []})
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind == "submit":
                self.forms[-1]["buttons"].append((a["name"], a.get("value") or ""))
            elif kind not in ("checkbox", "radio") or "checked" in a:
                self.forms[-1]["fields"][a["name"]] = a.get("value") or ""
        elif tag == "button" and (a.get("type") or "submit").lower() == "submit":
            self.forms[-1]["buttons"].append((a.get("name"), a.get("value") or ""))
            self.forms[-1]["last_button"] = len(self.forms[-1]["buttons"]) - 1

    def handle_data(self, data):
        form = self.forms[-1] if self.forms else None
        if form is not None and "last_button" in form:
            form.setdefault("labels", {}).setdefault(form["last_button"], "")
            form["labels"][form["last_button"]] += data

    def handle_endtag(self, tag):
        if tag == "button" and self.forms and "last_button" in self.forms[-1]:
            del self.forms[-1]["last_button"]


def fail(msg):
    print(f"flow_session: {msg}", file=sys.stderr)
    sys.exit(1)


class Browser:
    """A cookie jar that follows no redirect (also used by scripts/page_times.py)."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def send(self, url, data=None):
        """One request, no redirect followed: (status, Location or None, body)."""
        # A browser's Accept: the sign-in form's server function answers a plain
        # form post (text/html) with a redirect, a script's call with data.
        req = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode() if data is not None else None,
                                     headers={"Accept": "text/html,application/xhtml+xml"})
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, r.headers.get("Location"), r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:  # 3xx (not followed) and 4xx/5xx land here
            return e.code, e.headers.get("Location"), e.read().decode("utf-8", "replace")

    def cookie_for(self, url):
        """The Cookie header a browser would send to `url`."""
        probe = urllib.request.Request(url)
        self.jar.add_cookie_header(probe)
        return probe.get_header("Cookie")


def session(authorize, redirect_uri, username, password, verbose):
    """Signs `username` in and consents; returns the Cookie header value."""
    browser = Browser()
    send = browser.send

    def code_in(location):
        if location and location.startswith(redirect_uri):
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
            if "code" in q:
                return q["code"][0]
            fail(f"the provider answered the app with an error: {location}")
        return None

    url, data, steps = authorize, None, 0
    while True:
        steps += 1
        if steps > 20:
            fail("no code after 20 steps")
        status, location, body = send(url, data)
        data = None
        if 300 <= status < 400 and location:
            if code_in(location):
                break
            url = urllib.parse.urljoin(url, location)
            continue
        if status != 200:
            fail(f"{url} answered {status}: {body[:300]}")
        parser = Forms()
        parser.feed(body)
        forms = [f for f in parser.forms if f["method"] == "post"]
        login = [f for f in forms if "password" in f["fields"]]
        if login:  # the sign-in form: every field as the page has it, plus the credentials
            form = login[0]
            data = dict(form["fields"])
            data["login" if "login" in data else "username"] = username
            data["password"] = password
        else:  # the consent page: the form whose button says Allow (or Continue)
            choice = None
            for f in forms:
                for i, (name, value) in enumerate(f["buttons"]):
                    label = f.get("labels", {}).get(i, "").strip().lower()
                    if label in ("allow", "continue", "authorize") or (value or "").lower() in ("allow", "approve"):
                        choice = (f, name, value)
                        break
                if choice:
                    break
            if not choice:
                fail(f"{url}: neither a sign-in form nor an Allow button on the page:\n{body[:2000]}")
            form, name, value = choice
            data = dict(form["fields"])
            if name:
                data[name] = value
        if verbose:
            print(f"flow_session: submitting {form['action'] or url} ({', '.join(sorted(data))})", file=sys.stderr)
        url = urllib.parse.urljoin(url, form["action"] or url)

    # Remembered consent: the same request again answers a redirect with a code at once.
    status, location, _ = send(authorize)
    if not (300 <= status < 400 and code_in(location)):
        fail(f"a second authorization request answered {status} {location}, not a code")
    if verbose:
        print(f"flow_session: signed in and consented in {steps} steps; a second request gets a code at once",
              file=sys.stderr)
    # The cookies a browser would send to the authorization endpoint (not, say, a
    # cookie scoped to an interaction's path).
    cookie = browser.cookie_for(authorize)
    if not cookie:
        fail("no cookie for the authorization endpoint")
    return cookie


def main():
    authorize, redirect_uri, password, *usernames = sys.argv[1:]
    if not usernames:
        fail("no username")
    for i, username in enumerate(usernames):
        print(session(authorize, redirect_uri, username, password, verbose=i == 0))
    print(f"flow_session: {len(usernames)} people signed in, each with consent remembered", file=sys.stderr)


if __name__ == "__main__":
    main()
