#!/usr/bin/env python3
"""Generate GH Archive-format events (one JSON object per line), seeded.

    bench/gen_gharchive.py OUT.json [EVENTS] [--developers N] [--repos N]
        [--month 2026-10] [--schema full|slim] [--gzip]

A realistic mix of event types (GH Archive's shares, roughly: pushes half,
then creates, pull requests, stars, comments, reviews, issues, forks,
deletes, releases, members), developers and repositories drawn with
Zipf-like popularity, issues and pull requests numbered per repository
and commented, reviewed, closed and merged after they were opened, a few
bots, and one ring of 60 fresh accounts starring the same 12 repositories
within a week (what fake-star detection must catch). `--schema slim`
writes the 2025 payloads (PushEvent without commits, PullRequestEvent
without author or merge flag; merges reported by action "merged").
The first line of stderr states the counts the generator wrote.
"""
import gzip, json, random, sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
opts = {}
it = iter(sys.argv[1:])
for a in it:
    if a.startswith("--"):
        opts[a[2:]] = True if a == "--gzip" else next(it)
if not args:
    sys.exit(__doc__)
OUT = args[0]
N = int(args[1]) if len(args) > 1 else 10_000_000
DEVS = int(opts.get("developers", 200_000))
REPOS = int(opts.get("repos", 20_000))
YEAR, MONTH = map(int, opts.get("month", "2026-10").split("-"))
SLIM = opts.get("schema", "full") == "slim"
rnd = random.Random(20261121)

import calendar, datetime
DAYS = calendar.monthrange(YEAR, MONTH)[1]
T0 = int(datetime.datetime(YEAR, MONTH, 1, tzinfo=datetime.timezone.utc).timestamp())
SPAN = DAYS * 86400

def zipf_table(n, s=1.1):
    w = [1.0 / (i + 1) ** s for i in range(n)]
    tot = sum(w)
    acc, out = 0.0, []
    for x in w:
        acc += x / tot
        out.append(acc)
    return out

import bisect
DEV_CDF = zipf_table(DEVS, 0.9)
REPO_CDF = zipf_table(REPOS, 1.05)
def dev():
    return bisect.bisect_left(DEV_CDF, rnd.random())
def repo():
    return bisect.bisect_left(REPO_CDF, rnd.random())

# Developers work in a few home repositories (most of their events) and
# star or fork anywhere.
homes = {}
def home_repo(d):
    h = homes.get(d)
    if h is None:
        h = [repo() for _ in range(1 + min(int(rnd.expovariate(0.6)), 40))]
        homes[d] = h
    return rnd.choice(h) if rnd.random() < 0.9 else repo()

BOTS = ["dependabot[bot]", "github-actions[bot]", "renovate[bot]"]
def login(d):
    return f"dev{d}"
def repo_name(r):
    return f"org{r % 3000}/project-{r}"

MIX = [("PushEvent", 48), ("CreateEvent", 12), ("PullRequestEvent", 8), ("WatchEvent", 8),
       ("IssueCommentEvent", 7), ("PullRequestReviewEvent", 4), ("PullRequestReviewCommentEvent", 3),
       ("IssuesEvent", 3), ("ForkEvent", 2), ("DeleteEvent", 3), ("ReleaseEvent", 1), ("MemberEvent", 1)]
TYPES = [t for t, w in MIX for _ in range(w)]

WORDS = "the a fix add update remove refactor test docs build ci bump dependency version error handle case when null value config option support feature bug crash memory leak performance improve cleanup".split()
def text(n):
    return " ".join(rnd.choice(WORDS) for _ in range(n))

issues = {}   # repo -> list of (number, author, is_pull, open)
next_no = {}
def new_item(r, author, is_pull):
    n = next_no.get(r, 0) + 1
    next_no[r] = n
    issues.setdefault(r, []).append([n, author, is_pull, True])
    return n
def pick_item(r, want_pull=None):
    lst = issues.get(r)
    if not lst:
        return None
    for _ in range(3):
        it = lst[-1 - min(len(lst) - 1, int(rnd.expovariate(0.2)))]
        if want_pull is None or it[2] == want_pull:
            return it
    return None

def ts(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

def user(login_, id_):
    return {"login": login_, "id": id_, "node_id": f"U_{id_}", "avatar_url": f"https://avatars.githubusercontent.com/u/{id_}?v=4", "type": "User", "site_admin": False}

counts = {"events": 0, "by_type": {}, "stars_ring": 0}
out = gzip.open(OUT, "wt", compresslevel=3) if "gzip" in opts else open(OUT, "w", buffering=1 << 20)
eid = 40_000_000_000
ring = list(range(DEVS + 1000, DEVS + 1060))
ring_repos = list(range(5000, 5012))
ring_events = [(a, r) for a in ring for r in ring_repos]
ring_at = {k: T0 + 10 * 86400 + rnd.randrange(7 * 86400) for k in ring_events}
ring_slots = set(rnd.sample(range(N), min(len(ring_events), N // 2))) if N >= 10_000 else set()
ring_iter = iter(ring_events)

for i in range(N):
    eid += 1 + (rnd.random() < 0.05)
    t = T0 + int(SPAN * i / N)
    if i in ring_slots:
        a, r = next(ring_iter)
        aid, al, etype, payload = a + 10_000_000, f"fresh{a}", "WatchEvent", {"action": "started"}
        t = ring_at[(a, r)]
        counts["stars_ring"] += 1
    else:
        etype = rnd.choice(TYPES)
        if etype in ("PushEvent", "CreateEvent", "DeleteEvent") and rnd.random() < 0.06:
            b = rnd.randrange(len(BOTS)); aid, al = 900_000_000 + b, BOTS[b]
            r = repo()
        else:
            d = dev(); aid, al = d + 10_000_000, login(d)
            r = repo() if etype in ("WatchEvent", "ForkEvent") else home_repo(d)
        payload = None
        if etype == "PushEvent":
            if SLIM:
                payload = {"repository_id": r + 500_000_000, "push_id": eid * 3, "ref": "refs/heads/main", "head": "%040x" % rnd.getrandbits(160), "before": "%040x" % rnd.getrandbits(160)}
            else:
                k = 1 + int(rnd.expovariate(0.7))
                payload = {"repository_id": r + 500_000_000, "push_id": eid * 3, "size": k, "distinct_size": k, "ref": "refs/heads/main",
                           "head": "%040x" % rnd.getrandbits(160), "before": "%040x" % rnd.getrandbits(160),
                           "commits": [{"sha": "%040x" % rnd.getrandbits(160), "author": {"email": f"{al}@example.com", "name": al}, "message": text(8), "distinct": True, "url": f"https://api.github.com/repos/{repo_name(r)}/commits/x"} for _ in range(min(k, 3))]}
        elif etype == "CreateEvent":
            payload = {"ref": f"feature-{rnd.randrange(1000)}", "ref_type": "branch", "master_branch": "main", "description": text(5), "pusher_type": "user"}
        elif etype == "DeleteEvent":
            payload = {"ref": f"feature-{rnd.randrange(1000)}", "ref_type": "branch", "pusher_type": "user"}
        elif etype == "WatchEvent":
            payload = {"action": "started"}
        elif etype == "ForkEvent":
            payload = {"forkee": {"id": eid, "name": f"project-{r}", "full_name": f"{al}/project-{r}", "private": False, "owner": user(al, aid), "description": text(6), "fork": True}}
        elif etype == "ReleaseEvent":
            payload = {"action": "published", "release": {"id": eid, "tag_name": f"v{rnd.randrange(10)}.{rnd.randrange(20)}.0", "name": text(3), "body": text(30), "author": user(al, aid)}}
        elif etype == "MemberEvent":
            m = dev()
            payload = {"action": "added", "member": user(login(m), m + 10_000_000)}
        elif etype == "IssuesEvent":
            it = pick_item(r, False)
            if it is None or rnd.random() < 0.6:
                n = new_item(r, aid, False); action, author = "opened", (aid, al)
            else:
                n, action, author = it[0], ("closed" if it[3] else "reopened"), (it[1], f"dev{it[1] - 10_000_000}")
                it[3] = not it[3]
            payload = {"action": action, "issue": {"url": f"https://api.github.com/repos/{repo_name(r)}/issues/{n}", "id": eid, "number": n, "title": text(6), "user": user(author[1], author[0]), "state": "open" if action != "closed" else "closed", "comments": 0, "created_at": ts(t), "body": text(40)}}
        elif etype == "IssueCommentEvent":
            it = pick_item(r)
            if it is None:
                n, is_pull, author = new_item(r, aid, False), False, aid
            else:
                n, author, is_pull = it[0], it[1], it[2]
            issue = {"url": f"https://api.github.com/repos/{repo_name(r)}/issues/{n}", "id": eid, "number": n, "title": text(6), "user": user(f"dev{author - 10_000_000}", author), "state": "open", "created_at": ts(t), "body": text(20)}
            if is_pull:
                issue["pull_request"] = {"url": f"https://api.github.com/repos/{repo_name(r)}/pulls/{n}"}
            payload = {"action": "created", "issue": issue, "comment": {"id": eid, "user": user(al, aid), "created_at": ts(t), "body": text(25)}}
        else:  # pull request events
            it = pick_item(r, True)
            if etype == "PullRequestEvent":
                if it is None or not it[3] or rnd.random() < 0.55:
                    n = new_item(r, aid, True); action, merged, author = "opened", False, aid
                else:
                    n, author = it[0], it[1]; it[3] = False
                    merged = rnd.random() < 0.7
                    action = "closed"
                if SLIM:
                    if action == "closed" and merged:
                        action = "merged"
                    pr = {"url": f"https://api.github.com/repos/{repo_name(r)}/pulls/{n}", "id": eid, "number": n, "head": {"ref": "feature", "sha": "%040x" % rnd.getrandbits(160)}, "base": {"ref": "main", "sha": "%040x" % rnd.getrandbits(160)}}
                else:
                    pr = {"url": f"https://api.github.com/repos/{repo_name(r)}/pulls/{n}", "id": eid, "number": n, "state": "open" if action == "opened" else "closed", "title": text(6), "user": user(f"dev{author - 10_000_000}", author), "body": text(40), "created_at": ts(t), "merged": merged, "merged_at": ts(t) if merged else None, "comments": 1, "review_comments": 0, "commits": 2, "additions": rnd.randrange(500), "deletions": rnd.randrange(200), "changed_files": rnd.randrange(1, 20)}
                payload = {"action": action, "number": n, "pull_request": pr}
            else:
                if it is None:
                    n, author = new_item(r, aid, True), aid
                else:
                    n, author = it[0], it[1]
                pr = {"url": f"https://api.github.com/repos/{repo_name(r)}/pulls/{n}", "id": eid, "number": n, "user": user(f"dev{author - 10_000_000}", author), "state": "open", "title": text(6)}
                if etype == "PullRequestReviewEvent":
                    payload = {"action": "created", "review": {"id": eid, "user": user(al, aid), "body": text(10), "state": rnd.choice(["approved", "commented", "changes_requested"])}, "pull_request": pr}
                else:
                    payload = {"action": "created", "comment": {"id": eid, "user": user(al, aid), "body": text(15), "path": "src/main.rs", "diff_hunk": "@@ -1,3 +1,4 @@"}, "pull_request": pr}
    counts["events"] += 1
    counts["by_type"][etype] = counts["by_type"].get(etype, 0) + 1
    ev = {"id": str(eid), "type": etype, "actor": {"id": aid, "login": al, "display_login": al, "gravatar_id": "", "url": f"https://api.github.com/users/{al}", "avatar_url": f"https://avatars.githubusercontent.com/u/{aid}?"},
          "repo": {"id": r + 500_000_000, "name": repo_name(r), "url": f"https://api.github.com/repos/{repo_name(r)}"},
          "payload": payload, "public": True, "created_at": ts(t)}
    if r % 3 == 0:
        ev["org"] = {"id": r % 3000, "login": f"org{r % 3000}"}
    out.write(json.dumps(ev, separators=(",", ":")))
    out.write("\n")
out.close()
print(json.dumps(counts), file=sys.stderr)
