"""Organisations with the real huggingface_hub client: members work in the org's namespace per role,
everyone else gets the answers of any foreign namespace. Orgs and members are made through the CLI
(`org add`, `org member`) and the admin API."""
import pytest
import requests

from hub_helpers import Hub

from huggingface_hub import HfApi, hf_hub_download  # noqa: E402
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError  # noqa: E402


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    h = Hub(tmp_path_factory.mktemp("huborgs"))
    # alice: write member, bob: read member (with a write token: the role decides), carol: outsider.
    h.carol = h.make_user("carol")
    out = h.server.cli("org", "add", "acme", "--fullname", "Acme Corp").stdout.decode()
    assert "acme" in out, out
    h.server.cli("org", "member", "acme", "alice", "--role", "write")
    h.server.cli("org", "member", "acme", "bob", "--role", "read")
    yield h
    h.stop()


def api(hub, token):
    return HfApi(endpoint=hub.url, token=token)


def test_cli_refuses_clashing_names_and_bad_roles(hub):
    assert hub.server.cli("org", "add", "alice", check=False).returncode != 0
    assert hub.server.cli("user", "add", "acme", check=False).returncode != 0
    assert hub.server.cli("org", "member", "acme", "carol", "--role", "owner", check=False).returncode != 0
    assert hub.server.cli("org", "member", "acme", "nobody", "--role", "read", check=False).returncode != 0
    listing = hub.server.cli("org", "list").stdout.decode()
    assert "acme" in listing and "alice:write" in listing and "bob:read" in listing


def test_whoami_lists_the_org_with_the_role(hub):
    orgs = api(hub, hub.alice).whoami()["orgs"]
    assert [(o["type"], o["name"], o["fullname"], o["roleInOrg"]) for o in orgs] == [("org", "acme", "Acme Corp", "write")]
    assert [o["roleInOrg"] for o in api(hub, hub.bob).whoami()["orgs"]] == ["read"]
    assert api(hub, hub.carol).whoami()["orgs"] == []


def test_write_member_creates_and_uploads_read_member_downloads(hub, tmp_path):
    alice = api(hub, hub.alice)
    url = alice.create_repo("acme/private-model", private=True)
    assert str(url).startswith(hub.url + "/acme/private-model")
    info = alice.upload_file(path_or_fileobj=b"org weights\n", path_in_repo="weights.txt", repo_id="acme/private-model")
    assert len(info.oid) == 40
    assert api(hub, hub.bob).repo_info("acme/private-model").private is True
    path = hf_hub_download("acme/private-model", "weights.txt", endpoint=hub.url, token=hub.bob, cache_dir=tmp_path)
    assert open(path, "rb").read() == b"org weights\n"
    # A read member may not write, even with a write token.
    with pytest.raises(HfHubHTTPError) as e:
        api(hub, hub.bob).upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="acme/private-model")
    assert e.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError) as e:
        api(hub, hub.bob).create_repo("acme/bobs")
    assert e.value.response.status_code == 403


def test_outsider_gets_404_on_private_and_403_on_public(hub, tmp_path):
    alice = api(hub, hub.alice)
    alice.create_repo("acme/private-model", private=True, exist_ok=True)
    alice.create_repo("acme/public-model", exist_ok=True)
    alice.upload_file(path_or_fileobj=b"public\n", path_in_repo="README.md", repo_id="acme/public-model")
    carol = api(hub, hub.carol)
    with pytest.raises(RepositoryNotFoundError):
        carol.repo_info("acme/private-model")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("acme/private-model", "weights.txt", endpoint=hub.url, token=hub.carol, cache_dir=tmp_path)
    assert carol.repo_info("acme/public-model").private is False
    with pytest.raises(HfHubHTTPError) as e:
        carol.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="acme/public-model")
    assert e.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError) as e:
        carol.create_repo("acme/carols")
    assert e.value.response.status_code == 403


def test_listing_by_author_shows_private_org_repos_to_members_only(hub):
    api(hub, hub.alice).create_repo("acme/private-model", private=True, exist_ok=True)
    api(hub, hub.alice).create_repo("acme/public-model", exist_ok=True)
    member = {m.id for m in api(hub, hub.bob).list_models(author="acme")}
    outsider = {m.id for m in api(hub, hub.carol).list_models(author="acme")}
    assert {"acme/private-model", "acme/public-model"} <= member
    assert "acme/public-model" in outsider and "acme/private-model" not in outsider


def test_delete_needs_the_admin_role_and_the_admin_api_manages_members(hub):
    alice = api(hub, hub.alice)
    alice.create_repo("acme/doomed")
    with pytest.raises(HfHubHTTPError) as e:
        alice.delete_repo("acme/doomed")
    assert e.value.response.status_code == 403
    admin = {"Authorization": f"Bearer {hub.root}"}
    r = requests.post(f"{hub.url}/api/admin/orgs/acme/members", json={"user": "alice", "role": "admin"}, headers=admin, timeout=10)
    assert r.status_code == 200 and r.json() == {"user": "alice", "role": "admin"}
    alice.delete_repo("acme/doomed")
    assert not alice.repo_exists("acme/doomed")
    # Removing a member closes the org's private repos to them.
    r = requests.delete(f"{hub.url}/api/admin/orgs/acme/members/bob", headers=admin, timeout=10)
    assert r.status_code == 200
    with pytest.raises(RepositoryNotFoundError):
        api(hub, hub.bob).repo_info("acme/private-model")
    r = requests.get(f"{hub.url}/api/whoami-v2", headers={"Authorization": f"Bearer {hub.bob}"}, timeout=10)
    assert r.json()["orgs"] == []
    # Orgs through the admin API: non-admins are refused, names clash with users.
    r = requests.post(f"{hub.url}/api/admin/orgs", json={"name": "beta"}, headers={"Authorization": f"Bearer {hub.carol}"}, timeout=10)
    assert r.status_code == 403
    assert requests.post(f"{hub.url}/api/admin/orgs", json={"name": "carol"}, headers=admin, timeout=10).status_code == 409
    assert requests.post(f"{hub.url}/api/admin/orgs", json={"name": "beta"}, headers=admin, timeout=10).status_code == 200
    names = [o["name"] for o in requests.get(f"{hub.url}/api/admin/orgs", headers=admin, timeout=10).json()]
    assert names == ["acme", "beta"]
    assert requests.delete(f"{hub.url}/api/admin/orgs/beta", headers=admin, timeout=10).status_code == 200
    assert requests.delete(f"{hub.url}/api/admin/orgs/acme", headers=admin, timeout=10).status_code == 409
