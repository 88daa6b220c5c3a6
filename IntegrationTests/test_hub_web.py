"""The hub's web pages in a real headless Chromium (selenium + Debian chromium-driver): repos uploaded
with huggingface_hub are browsed (card, files with CIDs, file view, history), a user signs in with a
token through the form and manages tokens, an admin adds a fallback source (a second `serve`) in the
portal and huggingface_hub then downloads through it, private repos and admin pages stay closed, and
README/file-name markup never runs. Plain `requests` tests cover CSRF and escaping. Screenshots go to
the test's tmp dir and are copied to /tmp/web-screens/."""
import hashlib
import os
import re
import shutil

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import pytest  # noqa: E402
import requests  # noqa: E402

import huggingface_hub.constants as hf_constants  # noqa: E402
from huggingface_hub import HfApi, hf_hub_download, snapshot_download  # noqa: E402

from conftest import Server  # noqa: E402
from hub_helpers import Hub, random_bytes  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
SCREENS_COPY = "/tmp/web-screens"

README = b"""---
license: mit
language:
- en
tags:
- text-generation
- web-demo
pipeline_tag: text-generation
---
# Web Model Card

Some **bold** words, a [link](https://example.org/) and the [config](config.json).

## Usage

```python
print("<not a tag>")
```
"""

XSS_README = b"""---
tags:
- "<script>alert('tag')</script>"
---
# XSS <script>alert('readme')</script>

[click me](javascript:alert('link')) and [also](JaVaScRiPt:alert('case')) and [fine](https://example.org/)

<a href="javascript:alert('raw')">raw link</a> <a href="java&#x09;script:alert('entity')">entity link</a>

<script>alert('block')</script>

<img src="x" onerror="alert('img')">
"""
XSS_FILE = "<img src=x onerror=alert(1)>.txt"
LFS_SIZE = 2 * 1024 * 1024
MODEL_ADMIN_KEY = "model-server-admin-key-for-the-web-tests"


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    old_xet = hf_constants.HF_HUB_DISABLE_XET
    hf_constants.HF_HUB_DISABLE_XET = True  # LFS uploads go through the hub's LFS API
    h = Hub(tmp_path_factory.mktemp("hubweb"), env={"HUB_UPLOAD_MODE": "lfs", "HUB_LFS_THRESHOLD": "1048576",
                                                                  "HF_SERVER_ADMIN_API_KEY": MODEL_ADMIN_KEY})
    h.screens = tmp_path_factory.mktemp("screens")
    alice = HfApi(endpoint=h.url, token=h.alice)
    alice.create_repo("alice/web-model")
    h.weights = random_bytes(LFS_SIZE, 7)
    for path, data in {"README.md": README, "config.json": b'{"hidden_size": 8}\n', "weights.bin": h.weights}.items():
        alice.upload_file(path_or_fileobj=data, path_in_repo=path, repo_id="alice/web-model", commit_message=f"Add {path}")
    alice.create_repo("alice/web-data", repo_type="dataset")
    alice.upload_file(path_or_fileobj=b"# Dataset card\n", path_in_repo="README.md", repo_id="alice/web-data", repo_type="dataset")
    alice.create_repo("alice/secret-model", private=True)
    alice.upload_file(path_or_fileobj=b"# Secret\n", path_in_repo="README.md", repo_id="alice/secret-model")
    alice.create_repo("alice/xss")
    alice.upload_file(path_or_fileobj=XSS_README, path_in_repo="README.md", repo_id="alice/xss")
    alice.upload_file(path_or_fileobj=b"<script>alert('content')</script>\n", path_in_repo=XSS_FILE, repo_id="alice/xss")
    yield h
    h.stop()
    hf_constants.HF_HUB_DISABLE_XET = old_xet


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install selenium)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--disable-gpu"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def by():
    from selenium.webdriver.common.by import By
    return By


def shot(web, driver, name):
    path = os.path.join(str(web.screens), f"{name}.png")
    driver.save_screenshot(path)
    os.makedirs(SCREENS_COPY, exist_ok=True)
    shutil.copy(path, os.path.join(SCREENS_COPY, f"{name}.png"))


def no_alert(driver):
    from selenium.common.exceptions import NoAlertPresentException
    try:
        text = driver.switch_to.alert.text
    except NoAlertPresentException:
        return True
    raise AssertionError(f"an alert fired: {text}")


def click(driver, element):
    """Clicks a submit button and waits for the next page (a click returns before the navigation ends)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait
    element.click()

    def left_the_page(_):
        # Chromium reports a node of the old page either as stale or as "does not belong to the
        # document" (an inspector error), depending on when in the navigation it is asked.
        try:
            element.is_enabled()
            return False
        except WebDriverException:
            return True
    WebDriverWait(driver, 20).until(left_the_page)
    WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")


def sign_in(web, driver, token):
    B = by()
    driver.delete_all_cookies()
    driver.get(web.url + "/-/login")
    driver.find_element(B.NAME, "token").send_keys(token)
    click(driver, driver.find_element(B.CSS_SELECTOR, "form.box button"))


def sign_out(web, driver):
    driver.delete_all_cookies()


def csrf_of(html):
    m = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert m, html[:2000]
    return m.group(1)


def session_for(web, token):
    """A requests session signed in through the form, and its CSRF token."""
    s = requests.Session()
    page = s.get(web.url + "/-/login", timeout=10)
    r = s.post(web.url + "/-/login", data={"csrf": csrf_of(page.text), "token": token, "next": "/"}, allow_redirects=False, timeout=10)
    assert r.status_code == 303 and "hub_session" in r.headers["Set-Cookie"], (r.status_code, r.text[:500])
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    return s, csrf_of(s.get(web.url + "/-/settings", timeout=10).text)


# MARK: browsing

def test_home_lists_public_repos_and_hides_private_ones(web, browser):
    B = by()
    sign_out(web, browser)
    browser.get(web.url + "/")
    links = {a.text for a in browser.find_elements(B.CSS_SELECTOR, "ul.repos a")}
    assert {"alice/web-model", "alice/web-data", "alice/xss"} <= links
    assert "alice/secret-model" not in links and "secret-model" not in browser.page_source
    shot(web, browser, "01-home")
    browser.get(web.url + "/?search=web-mo&sort=name")
    assert {a.text for a in browser.find_elements(B.CSS_SELECTOR, "ul.repos a")} == {"alice/web-model"}


def test_repo_card_renders_markdown_and_front_matter_tags(web, browser):
    B = by()
    browser.get(web.url + "/alice/web-model")
    card = browser.find_element(B.CSS_SELECTOR, "div.markdown")
    assert card.find_element(B.TAG_NAME, "h1").text == "Web Model Card"
    assert card.find_element(B.TAG_NAME, "h2").text == "Usage"
    assert card.find_element(B.TAG_NAME, "strong").text == "bold"
    # a relative link in the README points at the file in the repo, not next to the page
    assert card.find_element(B.LINK_TEXT, "config").get_attribute("href") == f"{web.url}/alice/web-model/blob/main/config.json"
    assert '<not a tag>' in card.find_element(B.TAG_NAME, "code").text
    tags = [li.text for li in browser.find_elements(B.CSS_SELECTOR, "ul.tags li")]
    assert {"license: mit", "language: en", "text-generation", "web-demo", "pipeline_tag: text-generation"} <= set(tags)
    # the front matter is shown as tags, not as text of the card
    assert "license: mit" not in card.text and "---" not in card.text
    shot(web, browser, "02-model-card")
    browser.get(web.url + "/datasets/alice/web-data")
    assert browser.find_element(B.CSS_SELECTOR, "div.markdown h1").text == "Dataset card"
    assert 'repo_type="dataset"' in browser.page_source


def test_tree_shows_sizes_lfs_marks_and_cids_linking_to_ipfs(web, browser):
    B = by()
    tree = {e["path"]: e for e in requests.get(f"{web.url}/api/models/alice/web-model/tree/main", timeout=10).json()}
    assert "lfs" in tree["weights.bin"] and "lfs" not in tree["config.json"]
    browser.get(web.url + "/alice/web-model/tree/main")
    rows = {}
    for row in browser.find_elements(B.CSS_SELECTOR, "table.files tbody tr"):
        cells = row.find_elements(B.TAG_NAME, "td")
        rows[cells[0].text.replace(" LFS", "")] = (cells, "LFS" in cells[0].text)
    assert set(rows) == {"README.md", "config.json", "weights.bin"}
    assert rows["weights.bin"][1] and not rows["config.json"][1]
    assert rows["weights.bin"][0][1].text == "2.0 MB" and rows["config.json"][0][1].text == "19 B"
    assert rows["README.md"][0][1].text == f"{len(README)} B"
    for path, (cells, _) in rows.items():
        link = cells[2].find_element(B.TAG_NAME, "a")
        assert link.text == tree[path]["cid"]
        assert link.get_attribute("href") == f"{web.url}/ipfs/{tree[path]['cid']}"
    shot(web, browser, "03-tree")
    # the CID link serves the file's bytes
    href = rows["weights.bin"][0][2].find_element(B.TAG_NAME, "a").get_attribute("href")
    assert hashlib.sha256(requests.get(href, timeout=30).content).digest() == hashlib.sha256(web.weights).digest()
    # the download link is the resolve route the client uses
    dl = rows["config.json"][0][3].find_element(B.TAG_NAME, "a").get_attribute("href")
    assert dl == f"{web.url}/alice/web-model/resolve/main/config.json"
    assert requests.get(dl, timeout=10).content == b'{"hidden_size": 8}\n'


def test_blob_and_commits_pages(web, browser):
    B = by()
    browser.get(web.url + "/alice/web-model/blob/main/config.json")
    assert browser.find_element(B.CSS_SELECTOR, "pre.blob").text == '{"hidden_size": 8}'
    shot(web, browser, "04-blob")
    browser.get(web.url + "/alice/web-model/blob/main/weights.bin")
    assert not browser.find_elements(B.CSS_SELECTOR, "pre.blob")
    assert "binary" in browser.page_source or "too large" in browser.page_source
    assert browser.find_elements(B.CSS_SELECTOR, "a[href='/alice/web-model/resolve/main/weights.bin']")
    browser.get(web.url + "/alice/web-model/commits/main")
    titles = [s.text for s in browser.find_elements(B.CSS_SELECTOR, "ol.commits strong")]
    assert titles[:3] == ["Add weights.bin", "Add config.json", "Add README.md"]
    commits = HfApi(endpoint=web.url).list_repo_commits("alice/web-model")
    assert [c.commit_id[:7] for c in commits] == [c.text for c in browser.find_elements(B.CSS_SELECTOR, "ol.commits code")]
    shot(web, browser, "05-commits")


# MARK: signing in, private repos, tokens

def test_private_repo_is_404_signed_out_and_visible_to_its_owner(web, browser):
    B = by()
    for path in ("/alice/secret-model", "/alice/secret-model/tree/main", "/alice/secret-model/blob/main/README.md",
                 "/alice/secret-model/commits/main"):
        assert requests.get(web.url + path, timeout=10).status_code == 404, path
    bob, _ = session_for(web, web.bob)
    assert bob.get(web.url + "/alice/secret-model", timeout=10).status_code == 404
    assert "secret-model" not in bob.get(web.url + "/", timeout=10).text
    sign_in(web, browser, web.alice)
    assert browser.current_url == web.url + "/"
    assert browser.find_element(B.CSS_SELECTOR, "header nav a").text == "alice"
    mine = browser.find_element(B.XPATH, "//h2[text()='Your private repos']/following-sibling::ul")
    assert "alice/secret-model" in mine.text
    shot(web, browser, "06-signed-in-home")
    browser.get(web.url + "/alice/secret-model")
    assert browser.find_element(B.CSS_SELECTOR, "div.markdown h1").text == "Secret"
    sign_out(web, browser)
    browser.get(web.url + "/alice/secret-model")
    assert "404" in browser.title


def test_settings_creates_and_revokes_tokens(web, browser):
    B = by()
    sign_in(web, browser, web.alice)
    browser.get(web.url + "/-/settings")
    browser.find_element(B.NAME, "displayName").send_keys("from-the-browser")
    browser.find_element(B.NAME, "write").click()
    click(browser, browser.find_element(B.XPATH, "//button[text()='Create token']"))
    token = browser.find_element(B.ID, "new-token").text
    shot(web, browser, "07-settings")
    me = HfApi(endpoint=web.url, token=token).whoami()
    assert me["name"] == "alice" and me["auth"]["accessToken"]["role"] == "write"
    row = browser.find_element(B.XPATH, "//tr[td[text()='from-the-browser']]")
    click(browser, row.find_element(B.TAG_NAME, "button"))
    assert "from-the-browser" not in browser.page_source
    assert requests.get(web.url + "/api/whoami-v2", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 401


def test_a_read_token_session_cannot_mint_write_tokens(web):
    s, csrf = session_for(web, web.alice_read)
    r = s.post(web.url + "/-/settings/tokens", data={"csrf": csrf, "displayName": "sneaky", "write": "1"}, timeout=10)
    token = re.search(r'id="new-token">([^<]+)<', r.text).group(1)
    assert HfApi(endpoint=web.url, token=token).whoami()["auth"]["accessToken"]["role"] == "read"


def test_sign_in_with_a_bad_token_is_refused(web, browser):
    B = by()
    sign_in(web, browser, "hf_not_a_real_token_at_all")
    assert "not known" in browser.find_element(B.CSS_SELECTOR, "p.error").text
    assert browser.get_cookie("hub_session") is None


# MARK: admin portal

def test_admin_pages_refuse_non_admins(web, browser):
    for path in ("/-/admin", "/-/admin/sources", "/-/admin/users", "/-/admin/keys"):
        r = requests.get(web.url + path, allow_redirects=False, timeout=10)
        assert r.status_code == 303 and r.headers["Location"].startswith("/-/login?next="), path
        bob, _ = session_for(web, web.bob)
        r = bob.get(web.url + path, allow_redirects=False, timeout=10)
        assert r.status_code == 403 and "Fallback sources" not in r.text, path
    bob, csrf = session_for(web, web.bob)
    r = bob.post(web.url + "/-/admin/users", data={"csrf": csrf, "name": "mallory", "admin": "1"}, timeout=10)
    assert r.status_code == 403
    users = requests.get(f"{web.url}/api/admin/users", headers={"Authorization": f"Bearer {web.root}"}, timeout=10).json()
    assert "mallory" not in {u["name"] for u in users}
    sign_in(web, browser, web.bob)
    browser.get(web.url + "/-/admin")
    assert "403" in browser.title
    shot(web, browser, "08-admin-refused")


def test_admin_adds_a_fallback_source_and_the_client_downloads_through_it(web, browser, tmp_path):
    B = by()
    up = Server(tmp_path / "upstream")
    try:
        up.cli("user", "add", "carol")
        carol = up.cli("token", "create", "carol", "--write").stdout.decode().strip().splitlines()[-1]
        peer = HfApi(endpoint=up.url, token=carol)
        peer.create_repo("carol/peer-model")
        files = {"config.json": b'{"peer": true}\n', "README.md": b"# Peer model\n"}
        for path, data in files.items():
            peer.upload_file(path_or_fileobj=data, path_in_repo=path, repo_id="carol/peer-model")
        assert requests.get(f"{web.url}/api/models/carol/peer-model", timeout=10).status_code == 404

        sign_in(web, browser, web.root)
        browser.get(web.url + "/-/admin")
        assert "Model server" in browser.page_source and browser.find_elements(B.CSS_SELECTOR, "a[href='/metrics']")
        # The model server's /status was read and shown, not the page's "could not be read" fallback.
        assert "could not be read" not in browser.page_source, browser.page_source[-2000:]
        status = browser.find_element(B.XPATH, "//p[starts-with(normalize-space(.), 'Status:')]").text
        assert re.match(r"Status: (ready|starting) · version \S+ · up \d+ s", status) and "models available" in status, status
        assert browser.find_elements(B.XPATH, "//table[@class='kv']//th[text()='max_concurrent']")
        shot(web, browser, "09-admin-overview")
        browser.get(web.url + "/-/admin/sources")
        form = browser.find_element(B.ID, "source-form")
        form.find_element(B.NAME, "name").send_keys("peer-hub")
        form.find_element(B.NAME, "url").send_keys(up.url)
        form.find_element(B.CSS_SELECTOR, "select[name=source_type] option[value=hub]").click()
        priority = form.find_element(B.NAME, "priority")
        priority.clear()
        priority.send_keys("5")
        click(browser, form.find_element(B.TAG_NAME, "button"))
        assert "Added peer-hub" in browser.find_element(B.CSS_SELECTOR, "p.notice").text
        row = browser.find_element(B.XPATH, "//table[@class='sources']//tr[td[text()='peer-hub']]")
        assert up.url in row.text and "enabled" in row.text
        click(browser, row.find_element(B.XPATH, ".//button[text()='Test']"))
        assert "reachable: HTTP 200" in browser.find_element(B.CSS_SELECTOR, "p.notice").text
        shot(web, browser, "10-admin-sources")
        # edit: the form comes back filled in; the priority changes, the rest stays
        click(browser, browser.find_element(B.LINK_TEXT, "Edit"))
        form = browser.find_element(B.ID, "source-form")
        assert form.find_element(B.NAME, "url").get_attribute("value") == up.url
        priority = form.find_element(B.NAME, "priority")
        priority.clear()
        priority.send_keys("7")
        click(browser, form.find_element(B.TAG_NAME, "button"))
        assert "Saved peer-hub" in browser.find_element(B.CSS_SELECTOR, "p.notice").text
        listed = requests.get(f"{web.url}/admin/api/fallback-sources", headers={"Authorization": f"Bearer {web.root}"}, timeout=10).json()
        assert [(s["name"], s["url"], s["source_type"], s["priority"], s["enabled"]) for s in listed] == [("peer-hub", up.url, "hub", 7, True)]

        path = hf_hub_download("carol/peer-model", "config.json", endpoint=web.url, cache_dir=tmp_path / "cache")
        assert open(path, "rb").read() == files["config.json"]
        folder = snapshot_download("carol/peer-model", endpoint=web.url, cache_dir=tmp_path / "cache2")
        assert {p: open(os.path.join(folder, p), "rb").read() for p in files} == files
        browser.get(web.url + "/-/admin/sources")
        assert re.search(r"\b1 of \d+ repos bound", browser.page_source)

        # disable, then delete through the portal
        row = browser.find_element(B.XPATH, "//table[@class='sources']//tr[td[text()='peer-hub']]")
        click(browser, row.find_element(B.XPATH, ".//button[text()='Disable']"))
        assert "disabled" in browser.find_element(B.XPATH, "//table[@class='sources']//tr[td[text()='peer-hub']]").text
        click(browser, browser.find_element(B.XPATH, "//button[text()='Clear cache']"))
        assert "Binding cache cleared" in browser.page_source
        row = browser.find_element(B.XPATH, "//table[@class='sources']//tr[td[text()='peer-hub']]")
        click(browser, row.find_element(B.XPATH, ".//button[text()='Delete']"))
        assert not browser.find_elements(B.XPATH, "//table[@class='sources']//tr[td[text()='peer-hub']]")
        assert requests.get(f"{web.url}/api/models/carol/peer-model", timeout=10).status_code == 404
    finally:
        up.stop()


def test_admin_manages_users_and_org_members(web, browser):
    B = by()
    sign_in(web, browser, web.root)
    browser.get(web.url + "/-/admin/users")
    browser.find_element(B.XPATH, "//form[@action='/-/admin/users']//input[@name='name']").send_keys("dave")
    click(browser, browser.find_element(B.XPATH, "//button[text()='Add user']"))
    dave_row = browser.find_element(B.XPATH, "//tr[td/a[text()='dave']]")
    dave_row.find_element(B.NAME, "write").click()
    click(browser, dave_row.find_element(B.XPATH, ".//button[text()='New token']"))
    dave = browser.find_element(B.ID, "new-token").text
    me = HfApi(endpoint=web.url, token=dave).whoami()
    assert me["name"] == "dave" and me["auth"]["accessToken"]["role"] == "write"
    browser.find_element(B.XPATH, "//form[@action='/-/admin/orgs']//input[@name='name']").send_keys("webco")
    click(browser, browser.find_element(B.XPATH, "//button[text()='Add organisation']"))
    section = browser.find_element(B.XPATH, "//section[@class='org'][.//a[text()='webco']]")
    section.find_element(B.NAME, "user").send_keys("dave")
    section.find_element(B.XPATH, ".//select[@name='role']/option[text()='write']").click()
    click(browser, section.find_element(B.XPATH, ".//button[text()='Add or change member']"))
    assert "dave is now write in webco" in browser.page_source
    HfApi(endpoint=web.url, token=dave).create_repo("webco/dave-model")  # the role works through the API
    shot(web, browser, "11-admin-users")
    orgs = requests.get(f"{web.url}/api/admin/orgs", headers={"Authorization": f"Bearer {web.root}"}, timeout=10).json()
    assert {"user": "dave", "role": "write"} in next(o for o in orgs if o["name"] == "webco")["members"]
    section = browser.find_element(B.XPATH, "//section[@class='org'][.//a[text()='webco']]")
    click(browser, section.find_element(B.XPATH, ".//tr[td[text()='dave']]//button[text()='Remove']"))
    assert "Removed dave from webco" in browser.page_source
    orgs = requests.get(f"{web.url}/api/admin/orgs", headers={"Authorization": f"Bearer {web.root}"}, timeout=10).json()
    assert next(o for o in orgs if o["name"] == "webco")["members"] == []
    # a duplicate is reported on the page, not as a crash
    browser.find_element(B.XPATH, "//form[@action='/-/admin/users']//input[@name='name']").send_keys("dave")
    click(browser, browser.find_element(B.XPATH, "//button[text()='Add user']"))
    assert "already exists" in browser.find_element(B.CSS_SELECTOR, "p.error").text


def test_admin_manages_model_server_keys(web):
    """`serve` shares HF_SERVER_ADMIN_API_KEY with the hub, so the portal lists, creates and revokes keys."""
    s, csrf = session_for(web, web.root)
    admin = {"Authorization": f"Bearer {MODEL_ADMIN_KEY}"}
    r = s.post(web.url + "/-/admin/keys", data={"csrf": csrf, "name": "web-key"}, timeout=10)
    assert r.status_code == 200, r.text[-2000:]
    key = re.search(r"New key \(shown only once\): <code>([^<]+)</code>", r.text).group(1)
    keys = requests.get(web.url + "/admin/keys/list", headers=admin, timeout=10).json()["keys"]
    entry = next(k for k in keys if k["name"] == "web-key")
    assert entry["key_id"] in r.text and not entry["revoked"] and key not in str(keys)
    r = s.post(web.url + "/-/admin/keys/revoke", data={"csrf": csrf, "id": entry["key_id"]}, timeout=10)
    assert "Key revoked" in r.text
    keys = requests.get(web.url + "/admin/keys/list", headers=admin, timeout=10).json()["keys"]
    assert next(k for k in keys if k["key_id"] == entry["key_id"])["revoked"] is True
    bob, bob_csrf = session_for(web, web.bob)
    assert bob.post(web.url + "/-/admin/keys", data={"csrf": bob_csrf, "name": "bob-key"}, timeout=10).status_code == 403


# MARK: XSS

def test_readme_and_file_name_markup_never_runs(web, browser):
    B = by()
    sign_out(web, browser)
    browser.get(web.url + "/alice/xss")
    no_alert(browser)
    assert browser.find_elements(B.TAG_NAME, "script") == []
    assert browser.find_elements(B.CSS_SELECTOR, "[onerror]") == []
    hrefs = [a.get_attribute("href") or "" for a in browser.find_elements(B.TAG_NAME, "a")]
    assert not [h for h in hrefs if h.lower().replace(" ", "").startswith("javascript")], hrefs
    card = browser.find_element(B.CSS_SELECTOR, "div.markdown")
    assert "<script>alert('readme')</script>" in card.find_element(B.TAG_NAME, "h1").text  # shown as text
    # the Markdown links were parsed as links (and lost their javascript: target); the https one kept its own
    links = {a.text: a.get_attribute("href") for a in card.find_elements(B.TAG_NAME, "a")}
    assert links["click me"] is None and links["also"] is None and links["raw link"] is None and links["entity link"] is None
    assert links["fine"] == "https://example.org/"
    assert "<script>alert('tag')</script>" in [li.text for li in browser.find_elements(B.CSS_SELECTOR, "ul.tags li")]
    shot(web, browser, "12-xss-card")
    browser.get(web.url + "/alice/xss/tree/main")
    no_alert(browser)
    names = [a.text for a in browser.find_elements(B.CSS_SELECTOR, "table.files td:first-child a")]
    assert XSS_FILE in names
    assert browser.find_elements(B.CSS_SELECTOR, "[onerror]") == []
    click(browser, browser.find_element(B.LINK_TEXT, XSS_FILE))
    no_alert(browser)
    assert browser.find_element(B.CSS_SELECTOR, "pre.blob").text == "<script>alert('content')</script>"
    assert browser.find_elements(B.TAG_NAME, "script") == []
    shot(web, browser, "13-xss-blob")


def test_pages_escape_user_content_in_the_html(web):
    html = requests.get(web.url + "/alice/xss", timeout=10).text
    assert "<script" not in html.lower()
    assert "&lt;script" in html
    assert 'href="javascript' not in html.lower() and "onerror=" not in html.lower().replace("onerror=alert(1)&gt;", "")
    tree = requests.get(web.url + "/alice/xss/tree/main", timeout=10).text
    assert "&lt;img src=x onerror=alert(1)&gt;.txt" in tree and "<img src=x" not in tree
    search = requests.get(web.url + '/?search="><script>alert(1)</script>', timeout=10).text
    assert "<script>" not in search and "&quot;&gt;&lt;script&gt;" in search
    r = requests.get(web.url + "/alice/xss", timeout=10)
    assert "script-src 'none'" in r.headers["Content-Security-Policy"] and r.headers["X-Content-Type-Options"] == "nosniff"


# MARK: CSRF

def test_state_changing_forms_need_the_csrf_token(web):
    # sign-in without a token (and with a cookie but a forged token) is refused
    assert requests.post(web.url + "/-/login", data={"token": web.alice}, allow_redirects=False, timeout=10).status_code == 403
    s = requests.Session()
    s.get(web.url + "/-/login", timeout=10)
    r = s.post(web.url + "/-/login", data={"token": web.alice, "csrf": "0" * 64}, allow_redirects=False, timeout=10)
    assert r.status_code == 403 and "hub_session" not in r.headers.get("Set-Cookie", "")
    root, csrf = session_for(web, web.root)
    before = requests.get(f"{web.url}/api/admin/users", headers={"Authorization": f"Bearer {web.root}"}, timeout=10).json()
    for path, data in [("/-/admin/users", {"name": "eve"}), ("/-/admin/orgs", {"name": "evil"}),
                       ("/-/admin/sources/save", {"name": "x", "url": "http://127.0.0.1:1", "source_type": "hub"}),
                       ("/-/settings/tokens", {"displayName": "stolen", "write": "1"}), ("/-/logout", {})]:
        assert root.post(web.url + path, data=data, allow_redirects=False, timeout=10).status_code == 403, path
        assert root.post(web.url + path, data={**data, "csrf": "f" * 64}, allow_redirects=False, timeout=10).status_code == 403, path
    # another site's form with the right token still fails on its Origin
    r = root.post(web.url + "/-/admin/users", data={"name": "eve", "csrf": csrf}, headers={"Origin": "http://evil.example"},
                  allow_redirects=False, timeout=10)
    assert r.status_code == 403
    after = requests.get(f"{web.url}/api/admin/users", headers={"Authorization": f"Bearer {web.root}"}, timeout=10).json()
    assert before == after
    assert "stolen" not in root.get(web.url + "/-/settings", timeout=10).text
    assert requests.get(f"{web.url}/admin/api/fallback-sources", headers={"Authorization": f"Bearer {web.root}"}, timeout=10).json() == []
    # the session still works, and sign-out with the token ends it
    assert root.get(web.url + "/-/settings", allow_redirects=False, timeout=10).status_code == 200
    assert root.post(web.url + "/-/logout", data={"csrf": csrf}, allow_redirects=False, timeout=10).status_code == 303
    assert root.get(web.url + "/-/settings", allow_redirects=False, timeout=10).status_code == 303


def test_a_tampered_session_cookie_is_anonymous(web):
    s, _ = session_for(web, web.root)
    value = s.cookies.get("hub_session")
    payload, mac = value.split(".")
    forged = requests.Session()
    forged.cookies.set("hub_session", payload + "." + ("0" if mac[0] != "0" else "1") + mac[1:])
    assert forged.get(web.url + "/-/admin", allow_redirects=False, timeout=10).status_code == 303


# MARK: the pages shadow none of the existing routes

def test_api_resolve_git_and_lfs_routes_still_answer(web, tmp_path):
    api = requests.get(f"{web.url}/api/models/alice/web-model", timeout=10)
    assert api.status_code == 200 and api.json()["id"] == "alice/web-model"
    head = requests.head(f"{web.url}/alice/web-model/resolve/main/config.json", timeout=10)
    assert head.status_code == 200 and len(head.headers["X-Repo-Commit"]) == 40
    assert hf_hub_download("alice/web-model", "weights.bin", endpoint=web.url, cache_dir=tmp_path) and True
    for name in ("web-model", "web-model.git"):
        refs = requests.get(f"{web.url}/alice/{name}/info/refs?service=git-upload-pack", timeout=10)
        assert refs.status_code == 200 and refs.headers["Content-Type"] == "application/x-git-upload-pack-advertisement", name
    batch = requests.post(f"{web.url}/alice/web-model.git/info/lfs/objects/batch",
                          json={"operation": "download", "objects": [{"oid": hashlib.sha256(web.weights).hexdigest(), "size": LFS_SIZE}]},
                          headers={"Accept": "application/vnd.git-lfs+json"}, timeout=10)
    assert batch.status_code == 200 and "download" in batch.json()["objects"][0]["actions"]
    assert requests.get(f"{web.url}/health", timeout=10).status_code == 200
    assert requests.get(f"{web.url}/metrics", timeout=10).status_code == 200
